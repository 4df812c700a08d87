"""The `copy-db` command: open both databases, copy, and report each table's rows."""

from __future__ import annotations

from bot.settings import Settings
from bot.store.copy import copy_database
from bot.store.db import Database, StoreError, is_postgresql, open_database
from bot.store.pg import PgDatabase, redact


async def copy_db_command(settings: Settings, target_url: str) -> int:
    """Copy the configured SQLite database into the PostgreSQL database at `target_url`; 0 on success."""
    if not is_postgresql(target_url):
        raise StoreError("--to must be a postgresql:// URL")
    if settings.database_is_postgresql:
        raise StoreError("DATABASE_URL already names PostgreSQL; copy-db copies from a SQLite database")
    source: Database = await open_database(settings.database)
    try:
        target = await open_database(target_url, pool_size=1)
        try:
            assert isinstance(target, PgDatabase)  # noqa: S101 (is_postgresql above)
            copied = await copy_database(source, target)
        finally:
            await target.close()
    finally:
        await source.close()
    for table in copied:
        print(f"{table.name}: {table.rows} rows")
    total = sum(table.rows for table in copied)
    print(
        f"copied {total} rows in {len(copied)} tables into {redact(target_url)}; row counts match and the "
        "search index was rebuilt. Set DATABASE_URL to it to use it."
    )
    return 0
