"""The SQLite connection: pragmas, numbered migrations, and serialised write transactions.

Migrations are `migrations/NNNN_name.sql`, applied in order. Each runs as one script of the form
`BEGIN; <file>; PRAGMA user_version = N; COMMIT;` so a failing step leaves the file at the previous
version (`executescript` would otherwise commit an open transaction first, which is not atomic).
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import sys
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
BUSY_TIMEOUT_MS = 5000


class StoreError(Exception):
    """The database cannot be used; the message says why and what to do."""


class DatabaseTooNew(StoreError):
    """The database was written by a newer version of the bot."""


class MigrationError(StoreError):
    """A migration failed and was rolled back."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations_dir() -> Path:
    """Where the migration files live: the source tree, or the data files of an installed wheel."""
    candidates = [
        Path(__file__).resolve().parents[2] / "migrations",
        Path(sys.prefix) / "share" / "aidb-community-bot" / "migrations",
    ]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise StoreError("the migrations folder is missing from this installation")


def load_migrations(directory: Path | None = None) -> list[Migration]:
    """Read every numbered migration, checking that the numbers run 1, 2, 3 … without gaps."""
    directory = directory or migrations_dir()
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise StoreError(f"migration file {path.name!r} is not named NNNN_name.sql")
        found.append(Migration(int(match.group(1)), path.stem, path.read_text(encoding="utf-8")))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise StoreError(f"migration {migration.name} should be number {expected:04d}")
    return found


async def connect(path: Path | str) -> aiosqlite.Connection:
    """Open a connection in autocommit mode (transactions are explicit) with rows addressable by name."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = aiosqlite.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


async def configure(conn: aiosqlite.Connection) -> None:
    """The pragmas every connection needs: WAL, foreign keys, NORMAL sync (safe under WAL)."""
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA synchronous = NORMAL")


async def user_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection, migrations: Sequence[Migration]) -> list[int]:
    """Apply the migrations newer than the database, each atomically. Returns the versions applied.

    Raises `DatabaseTooNew` (touching nothing) when the database is ahead of the code, and
    `MigrationError` when a step fails; that step is rolled back and later steps are not tried.
    """
    current = await user_version(conn)
    _refuse_newer(current, migrations)
    applied = []
    for migration in migrations:
        if migration.version <= current:
            continue
        script = f"BEGIN;\n{migration.sql}\n;PRAGMA user_version = {migration.version};\nCOMMIT;"
        try:
            await conn.executescript(script)
        except sqlite3.Error as exc:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise MigrationError(
                f"migration {migration.name} failed and was rolled back "
                f"(the database stays at version {await user_version(conn)}): {exc}"
            ) from exc
        log.info("applied migration %s", migration.name)
        applied.append(migration.version)
    return applied


def _refuse_newer(current: int, migrations: Sequence[Migration]) -> None:
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise DatabaseTooNew(
            f"the database is at schema version {current}, but this version of the bot only knows up to "
            f"{latest}; upgrade the bot or point DATABASE_PATH at another file (the database was not changed)"
        )


class Database:
    """One connection shared by the bot. Writes are serialised by a lock so transactions never interleave."""

    def __init__(self, conn: aiosqlite.Connection, path: Path | str) -> None:
        self.conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, path: Path | str, *, apply_migrations: bool = True, migrations: Sequence[Migration] | None = None
    ) -> Database:
        conn = await connect(path)
        try:
            wanted = list(migrations) if migrations is not None else load_migrations()
            latest = wanted[-1].version if wanted else 0
            current = await user_version(conn)
            _refuse_newer(current, wanted)  # before any pragma writes to the file
            await configure(conn)
            if apply_migrations:
                await migrate(conn, wanted)
            elif current < latest:
                raise StoreError(
                    f"the database is at schema version {current} but the code expects {latest}; "
                    "run `python -m bot migrate`"
                )
        except BaseException:
            await conn.close()
            raise
        return cls(conn, path)

    async def close(self) -> None:
        async with self._write_lock:
            try:
                await self.conn.execute("PRAGMA optimize")
            finally:
                await self.conn.close()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self.conn.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self.conn.execute(sql, tuple(params)) as cursor:
            return await cursor.fetchone()

    async def fetchval(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one write statement in its own transaction; returns the number of rows changed."""
        async with self.transaction() as tx:
            return await tx.execute(sql, params)

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one INSERT in its own transaction; returns the new row id."""
        async with self.transaction() as tx:
            return await tx.insert(sql, params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """`BEGIN IMMEDIATE … COMMIT`, rolled back on any exception, one at a time."""
        async with self._write_lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self.conn)
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")


class Transaction:
    """The handle given inside `Database.transaction()`; reads here see the transaction's own writes."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run a statement; returns the number of rows changed."""
        async with self.conn.execute(sql, tuple(params)) as cursor:
            return cursor.rowcount

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run an INSERT; returns the new row id."""
        async with self.conn.execute(sql, tuple(params)) as cursor:
            return int(cursor.lastrowid or 0)

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        await self.conn.executemany(sql, [tuple(row) for row in rows])

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self.conn.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self.conn.execute(sql, tuple(params)) as cursor:
            return await cursor.fetchone()
