"""The PostgreSQL engine: the same `Database`/`Transaction` surface as the SQLite one, over an asyncpg pool.

Repositories write their SQL once, with `?` placeholders, in the subset both engines understand; this module
makes that SQL run on PostgreSQL without the repositories knowing:

- `?` becomes `$1, $2, …` (outside string literals, quoted names and comments), once per statement text;
- `LIKE` becomes `ILIKE`: SQLite's LIKE ignores case (of ASCII letters), PostgreSQL's does not;
- `INSERT OR IGNORE INTO …` becomes `INSERT INTO … ON CONFLICT DO NOTHING`;
- `insert()` returns the new row's `id` through `RETURNING id` (SQLite's `lastrowid`);
- `execute()` returns the number of rows changed, read from the command tag;
- rows are asyncpg records, addressable by name and by position like `sqlite3.Row`; a `numeric` value
  (what `sum()` of a `bigint` column gives) arrives as an `int` (a `float` when it has a fraction), as
  SQLite's integer arithmetic would give it.

Transactions of one process are serialised by a lock, as on SQLite, so a repository's read-then-write
transaction behaves the same on both engines; between processes PostgreSQL's own locks and constraints
decide. Reads go straight to the pool. Migrations are `migrations/postgresql/NNNN_name.sql`, numbered in
step with the SQLite set, each applied in one transaction that also moves the `schema_version` row, under an
advisory lock so two processes starting together migrate once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from bot.store.db import (
    Database,
    DatabaseTooNew,
    Migration,
    MigrationError,
    StoreError,
    Transaction,
    behind,
    load_migrations,
    migrations_dir,
)
from bot.store.pg_listen import PgListener

log = logging.getLogger(__name__)

DIALECT = "postgresql"
#: Any constant works; it names "the bot's migration" among the advisory locks of the database.
MIGRATION_LOCK = 0x41494442  # "AIDB"
_SCANNER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|\?|\bLIKE\b", re.S | re.I)
_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.I)
_RETURNING = re.compile(r"\bRETURNING\b", re.I)


@functools.lru_cache(maxsize=2048)
def translate(sql: str) -> str:
    """The PostgreSQL text of a statement written for both engines (see the module docstring)."""
    counter = 0

    def number(match: re.Match[str]) -> str:
        nonlocal counter
        if match.group(0).upper() == "LIKE":
            return "ILIKE"
        if match.group(0) != "?":
            return match.group(0)
        counter += 1
        return f"${counter}"

    text = _SCANNER.sub(number, sql)
    if _OR_IGNORE.match(text):
        text = _OR_IGNORE.sub("INSERT INTO", text, count=1).rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    return text


def pg_migrations_dir() -> Any:
    return migrations_dir() / "postgresql"


def load_pg_migrations() -> list[Migration]:
    """The PostgreSQL migrations, checked like the SQLite ones (1, 2, 3 … without gaps)."""
    return load_migrations(pg_migrations_dir())


def _changed(status: str) -> int:
    """Rows changed, from a command tag such as `UPDATE 3` or `INSERT 0 1`."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def _numeric(text: str) -> int | float:
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("numeric", encoder=str, decoder=_numeric, schema="pg_catalog", format="text")


async def schema_version(conn: asyncpg.Connection) -> int:
    """The version in the `schema_version` row (0 for an empty database)."""
    exists = await conn.fetchval(  # from the catalogue's rows, not a cache: fresh after a lock wait
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        "ON n.oid = c.relnamespace WHERE c.relname = 'schema_version' AND n.nspname = current_schema())"
    )
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version") or 0)


def _refuse_newer(current: int, migrations: Sequence[Migration]) -> None:
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise DatabaseTooNew(
            f"the database is at schema version {current}, but this version of the bot only knows up to "
            f"{latest}; upgrade the bot or point DATABASE_URL at another database (the database was not "
            "changed)"
        )


async def migrate(conn: asyncpg.Connection, migrations: Sequence[Migration]) -> list[int]:
    """Apply the migrations newer than the database, each in one transaction. Returns the versions applied.

    Refuses (touching nothing) a database ahead of the code; a failing step is rolled back, later steps are
    not tried. Serialised across processes by an advisory lock.
    """
    _refuse_newer(await schema_version(conn), migrations)
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        return await _migrate_locked(conn, migrations)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)


async def _migrate_locked(conn: asyncpg.Connection, migrations: Sequence[Migration]) -> list[int]:
    applied: list[int] = []
    for migration in migrations:
        try:
            async with conn.transaction():
                current = await schema_version(conn)
                _refuse_newer(current, migrations)
                if migration.version <= current:
                    continue
                await conn.execute(migration.sql)
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL, "
                    "applied_at timestamptz NOT NULL DEFAULT now())"
                )
                await conn.execute("DELETE FROM schema_version")
                await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", migration.version)
        except asyncpg.PostgresError as exc:
            raise MigrationError(
                f"migration {migration.name} failed and was rolled back "
                f"(the database stays at version {await schema_version(conn)}): {exc}"
            ) from exc
        log.info("applied migration %s", migration.name)
        applied.append(migration.version)
    return applied


class PgTransaction(Transaction):
    """The handle given inside `PgDatabase.transaction()`; reads here see the transaction's own writes."""

    dialect = DIALECT

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.pg = conn

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run a statement; returns the number of rows changed."""
        return _changed(await self.pg.execute(translate(sql), *params))

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run an INSERT; returns the new row's id (0 when nothing was inserted)."""
        text = translate(sql)
        if not _RETURNING.search(text):
            text += " RETURNING id"
        return int(await self.pg.fetchval(text, *params) or 0)

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        batch = [tuple(row) for row in rows]
        if batch:
            await self.pg.executemany(translate(sql), batch)

    async def notify(self, channel: str) -> None:
        """Signal every process listening on `channel` (`PgDatabase.listen`) once this transaction commits
        (nothing is sent if it rolls back; signals repeated in one transaction arrive once)."""
        await self.pg.execute("SELECT pg_notify($1, '')", channel)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        return list(await self.pg.fetch(translate(sql), *params))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Any:
        return await self.pg.fetchrow(translate(sql), *params)


class PgDatabase(Database):
    """A pool of connections to one PostgreSQL database, with the surface of `bot.store.db.Database`."""

    dialect = DIALECT

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self.pool = pool
        self.url = url
        self.path = url  # what messages name the database by; never printed with its password
        self._write_lock = asyncio.Lock()
        self.listener = PgListener(_asyncpg_dsn(url), redact(url))

    @classmethod
    async def open(
        cls,
        url: Path | str,
        *,
        apply_migrations: bool = True,
        migrations: Sequence[Migration] | None = None,
        pool_size: int = 10,
    ) -> PgDatabase:
        """Connect a pool of at most `pool_size` connections and migrate (or check) the schema."""
        try:
            pool = await asyncpg.create_pool(
                _asyncpg_dsn(str(url)), min_size=1, max_size=max(1, pool_size), init=_init_connection
            )
        except (OSError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise StoreError(f"cannot connect to PostgreSQL at {redact(str(url))}: {exc}") from exc
        try:
            wanted = list(migrations) if migrations is not None else load_pg_migrations()
            async with pool.acquire() as conn:
                current = await schema_version(conn)
                _refuse_newer(current, wanted)
                latest = wanted[-1].version if wanted else 0
                if apply_migrations:
                    await migrate(conn, wanted)
                elif current < latest:
                    raise behind(current, latest)
        except BaseException:
            await pool.close()
            raise
        return cls(pool, str(url))

    async def close(self) -> None:
        await self.listener.close()
        async with self._write_lock:
            await self.pool.close()

    async def listen(self, channel: str, callback: Callable[[], None]) -> None:
        """Call `callback` whenever a transaction of any process signals `channel` (`notify`), through one
        connection of this process's own, kept open (`bot.store.pg_listen`)."""
        await self.listener.add(channel, callback)

    async def unlisten(self, channel: str, callback: Callable[[], None]) -> None:
        await self.listener.remove(channel, callback)

    async def schema_version(self) -> int:
        async with self.pool.acquire() as conn:
            return await schema_version(conn)

    async def peek(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        """A small hot read; on PostgreSQL just a pooled read."""
        return await self.fetchall(sql, params)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[PgTransaction]:
        """Reads that see one committed state of the database throughout (a read-only repeatable read)."""
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            yield PgTransaction(conn)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        return list(await self.pool.fetch(translate(sql), *params))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Any:
        return await self.pool.fetchrow(translate(sql), *params)

    async def fetchval(self, sql: str, params: Iterable[Any] = ()) -> Any:
        return await self.pool.fetchval(translate(sql), *params)

    # execute() and insert() are inherited: each runs in `transaction()` below.

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgTransaction]:
        """One transaction, rolled back on any exception; one at a time in this process."""
        async with self._write_lock, self.pool.acquire() as conn, conn.transaction():
            yield PgTransaction(conn)


def _asyncpg_dsn(url: str) -> str:
    """asyncpg takes `postgresql://` and `postgres://`; SQLAlchemy-style `postgresql+asyncpg://` too."""
    return re.sub(r"^postgres(?:ql)?(?:\+\w+)?://", "postgresql://", url)


def redact(url: str) -> str:
    """The URL with its password replaced, for messages and logs."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def url_passwords(*urls: str | None) -> list[str]:
    """The passwords inside these database URLs (to be kept out of logs)."""
    found = []
    for url in urls:
        if url and "://" in url:
            password = urlsplit(url).password
            if password:
                found.append(password)
    return found
