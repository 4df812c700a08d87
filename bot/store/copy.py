"""`python -m bot copy-db`: copy a SQLite database into an empty PostgreSQL one, verified by row counts.

Every table the two schemas share is copied with its ids (foreign keys first, so each row's parents are
already there), in one PostgreSQL transaction: a failure leaves the target as empty as it was. Triggers are
off while rows arrive (the copy writes what they would derive, such as `title_versions`, as it was), the
identity sequences then continue after the highest copied id, and the search index, which SQLite keeps in
FTS5 tables of its own, is rebuilt from the copied items, transcripts and digests. Each table's row count
is compared before the transaction commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiosqlite
import asyncpg

from bot.store.db import Database, StoreError
from bot.store.pg import PgDatabase
from bot.store.search_pg import REBUILD

log = logging.getLogger(__name__)

BATCH = 5000
#: SQLite's own tables.
_SKIP_PREFIXES = ("sqlite_",)
#: The running fleet's state (who runs, who leads), not data to move: the fleet on PostgreSQL starts anew.
_RUNTIME_TABLES = frozenset({"processes", "leases"})


@dataclass(frozen=True, slots=True)
class CopiedTable:
    name: str
    rows: int


async def _sqlite_tables(conn: aiosqlite.Connection) -> list[str]:
    """SQLite's tables, without its own, the full-text (virtual) tables and their shadow tables: on
    PostgreSQL the indexes are rebuilt or generated from the copied rows instead."""
    rows = await conn.execute_fetchall(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
    )
    virtual = tuple(str(r[0]) for r in rows if str(r[1] or "").upper().startswith("CREATE VIRTUAL TABLE"))
    skip = (*_SKIP_PREFIXES, *virtual)
    return [str(r[0]) for r in rows if not str(r[0]).startswith(skip)]


async def _parents(conn: aiosqlite.Connection, table: str) -> set[str]:
    rows = await conn.execute_fetchall('SELECT "table" FROM pragma_foreign_key_list(?)', (table,))
    return {str(r[0]) for r in rows} - {table}


def _parents_first(tables: list[str], parents: dict[str, set[str]]) -> list[str]:
    ordered: list[str] = []
    pending = list(tables)
    while pending:
        ready = [t for t in pending if parents[t] <= set(ordered) | (parents[t] - set(tables))]
        if not ready:
            raise StoreError(f"the foreign keys of {', '.join(pending)} form a cycle; cannot order the copy")
        ordered.extend(ready)
        pending = [t for t in pending if t not in ready]
    return ordered


async def _pg_columns(conn: asyncpg.Connection, table: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position",
        table,
    )
    return [str(r[0]) for r in rows]


async def _refuse_non_empty(conn: asyncpg.Connection, tables: list[str]) -> None:
    for table in tables:
        if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):  # noqa: S608 (catalogue names)
            raise StoreError(
                f"the target database already holds data (table {table} is not empty); copy-db only fills "
                "an empty database, so nothing was copied"
            )


async def _copy_table(source: aiosqlite.Connection, target: asyncpg.Connection, table: str) -> int:
    wanted = await _pg_columns(target, table)
    have = {str(r[1]) for r in await source.execute_fetchall("SELECT * FROM pragma_table_info(?)", (table,))}
    columns = [c for c in wanted if c in have]
    names = ", ".join(f'"{c}"' for c in columns)
    copied = 0
    async with source.execute(f'SELECT {names} FROM "{table}"') as cursor:  # noqa: S608 (catalogue names)
        while batch := [tuple(r) for r in await cursor.fetchmany(BATCH)]:
            await target.copy_records_to_table(table, records=batch, columns=columns)
            copied += len(batch)
    if "id" in columns:
        await target.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), coalesce(max(id), 0) + 1, false) "  # noqa: S608
            f"FROM \"{table}\" WHERE pg_get_serial_sequence('\"{table}\"', 'id') IS NOT NULL"
        )
    return copied


async def copy_database(source: Database, target: PgDatabase) -> list[CopiedTable]:
    """Copy every shared table of `source` (SQLite) into `target` (PostgreSQL, migrated and empty)."""
    if isinstance(source, PgDatabase):
        raise StoreError("copy-db copies from a SQLite database; DATABASE_URL already names PostgreSQL")
    if await source.schema_version() != await target.schema_version():
        raise StoreError("the two databases are at different schema versions; run `python -m bot migrate`")
    conn = source.conn
    async with target.pool.acquire() as pg:
        shared = set(
            await pg.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_type = 'BASE TABLE'"
            )
        )
        shared_names = {str(r[0]) for r in shared}
        tables = [t for t in await _sqlite_tables(conn) if t in shared_names - _RUNTIME_TABLES]
        parents = {t: await _parents(conn, t) for t in tables}
        ordered = _parents_first(tables, parents)
        await _refuse_non_empty(pg, [*ordered, "search_fts"])
        copied: list[CopiedTable] = []
        async with source.snapshot(), pg.transaction():
            for table in ordered:
                await pg.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
                rows = await _copy_table(conn, pg, table)
                await pg.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
                copied.append(CopiedTable(table, rows))
            await pg.execute(REBUILD)
            await _verify(conn, pg, copied)
        # Statistics for the planner at once: without them the first queries on the copied rows (the
        # outbox claim among them) plan as if the tables were empty until autovacuum gets to them.
        await pg.execute("ANALYZE")
    return copied


async def _verify(
    source: aiosqlite.Connection, target: asyncpg.Connection, copied: list[CopiedTable]
) -> None:
    for table in copied:
        rows = await source.execute_fetchall(f'SELECT count(*) FROM "{table.name}"')  # noqa: S608
        there = int(await target.fetchval(f'SELECT count(*) FROM "{table.name}"'))  # noqa: S608
        expected = int(next(iter(rows))[0])
        if not expected == there == table.rows:
            raise StoreError(
                f"table {table.name}: {expected} rows in SQLite but {there} copied; nothing was committed"
            )
    items = int(await target.fetchval("SELECT count(*) FROM items"))
    indexed = int(await target.fetchval("SELECT count(*) FROM search_fts"))
    if items != indexed:
        raise StoreError(f"the search index holds {indexed} items of {items}; nothing was committed")
