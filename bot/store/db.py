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
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
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


def behind(current: int, latest: int) -> StoreError:
    """The error for a database older than the code, opened without migrating (either engine)."""
    return StoreError(
        f"the database is at schema version {current} but the code expects {latest}; "
        "run `python -m bot migrate`"
    )


def _refuse_newer(current: int, migrations: Sequence[Migration]) -> None:
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise DatabaseTooNew(
            f"the database is at schema version {current}, but this version of the bot only knows up to "
            f"{latest}; upgrade the bot or point DATABASE_PATH at another file (the database was not changed)"
        )


async def _fetchall(conn: aiosqlite.Connection, sql: str, params: Iterable[Any]) -> list[aiosqlite.Row]:
    """Every row of a query in one trip to the connection's thread.

    Opening a cursor, fetching and closing it are three trips, and a trip costs more CPU than a small
    indexed query (a one-row read measured 0.15 ms of CPU in one trip, 0.45 ms in three), so reads go
    through `execute_fetchall`.
    """
    return list(await conn.execute_fetchall(sql, tuple(params)))


class Database:
    """One connection shared by the bot. Writes are serialised by a lock so transactions never interleave."""

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, path: Path | str) -> None:
        self.conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()
        self._reader: sqlite3.Connection | None = None
        self._reader_failed = str(path) == ":memory:"  # a second connection would see another database

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
                raise behind(current, latest)
        except BaseException:
            await conn.close()
            raise
        return cls(conn, path)

    async def schema_version(self) -> int:
        return await user_version(self.conn)

    async def listen(self, channel: str, callback: Callable[[], None]) -> None:
        """Call `callback` when another process signals `channel` (`Transaction.notify`). A SQLite file
        serves one process, whose own wake-ups go through its event hub: there is nothing to hear."""

    async def unlisten(self, channel: str, callback: Callable[[], None]) -> None:
        """Stop calling `callback` for `channel`."""

    async def close(self) -> None:
        async with self._write_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
            self._reader_failed = True
            try:
                await self.conn.execute("PRAGMA optimize")
            finally:
                await self.conn.close()

    async def peek(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        """A small read answered at once, on the event loop's own thread, from a read-only connection.

        For the hottest lookups only (autocomplete asks on every keystroke): a trip to the shared
        connection's thread costs about 0.13 ms of CPU, the query itself a few microseconds. Only statements
        that read a handful of rows through an index belong here, since the loop waits for them. They see
        committed data only, never a transaction this connection has half done. When the reader can't
        answer (the file is busy being recovered, say), the shared connection does.
        """
        reader = self._open_reader()
        if reader is not None:
            try:
                return reader.execute(sql, tuple(params)).fetchall()
            except sqlite3.OperationalError as exc:
                log.debug("the read-only connection could not answer (%s); asking the shared one", exc)
        return await self.fetchall(sql, params)

    def _open_reader(self) -> sqlite3.Connection | None:
        if self._reader is None and not self._reader_failed:
            try:
                uri = Path(self.path).resolve().as_uri() + "?mode=ro"
                reader = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=0)
                reader.row_factory = sqlite3.Row
                reader.execute("PRAGMA cache_size = -1024")  # KiB: it reads small indexed tables only
                self._reader = reader
            except sqlite3.Error as exc:
                log.warning("no read-only connection to the database (%s); reads all use the shared one", exc)
                self._reader_failed = True
        return self._reader

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Transaction]:
        """Reads that see one committed state of the database throughout, whatever commits meanwhile.

        A deferred `BEGIN … ROLLBACK`, which blocks no writer under WAL, taken under the write lock so that
        no transaction of this connection is half done (its writes would be visible here) and none starts.
        """
        async with self._write_lock:
            try:
                await self.conn.execute("BEGIN")  # inside the try, as in `transaction`
                yield Transaction(self.conn)
            finally:
                await _rollback(self.conn)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        return await _fetchall(self.conn, sql, params)

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        """The first row (for lookups by key or with `LIMIT 1`: every row is read)."""
        rows = await _fetchall(self.conn, sql, params)
        return rows[0] if rows else None

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
            try:
                # Inside the try: a task cancelled while awaiting BEGIN (a loop stopped at shutdown) leaves
                # the BEGIN queued on aiosqlite's thread, where it still runs; the ROLLBACK queued after it
                # closes that transaction instead of leaving the connection inside it for good.
                await self.conn.execute("BEGIN IMMEDIATE")
                yield Transaction(self.conn)
            except BaseException:
                await _rollback(self.conn)
                raise
            else:
                await self.conn.execute("COMMIT")


def sqlite_path(url: str) -> str | None:
    """The file of a `sqlite:///path` URL (`sqlite:////abs/path` for an absolute one), or None if `url` is not
    one."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///")
    if not path:
        raise StoreError("DATABASE_URL sqlite:/// names no file")
    return path


def is_postgresql(target: object) -> bool:
    return isinstance(target, str) and target.split("://", 1)[0].split("+")[0] in ("postgresql", "postgres")


async def open_database(
    target: Path | str, *, apply_migrations: bool = True, pool_size: int = 10
) -> Database:
    """Open the database named by `target`: a file path, a `sqlite:///` URL or a `postgresql://` URL."""
    if is_postgresql(target):
        from bot.store.pg import PgDatabase

        return await PgDatabase.open(str(target), apply_migrations=apply_migrations, pool_size=pool_size)
    if isinstance(target, str) and "://" in target:
        path = sqlite_path(target)
        if path is None:
            scheme = target.split("://", 1)[0]
            raise StoreError(f"DATABASE_URL must start with sqlite:/// or postgresql://, not {scheme}://")
        target = path
    return await Database.open(target, apply_migrations=apply_migrations)


async def _rollback(conn: aiosqlite.Connection) -> None:
    """Roll back whatever transaction is open, even from a cancelled task; none open is fine."""
    try:
        await asyncio.shield(conn.execute("ROLLBACK"))
    except sqlite3.OperationalError as exc:
        if "no transaction is active" not in str(exc):
            raise


class Transaction:
    """The handle given inside `Database.transaction()`; reads here see the transaction's own writes."""

    dialect = "sqlite"

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

    async def notify(self, channel: str) -> None:
        """Signal the processes listening on `channel` once this transaction commits. SQLite: one process,
        nobody else to tell."""

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        return await _fetchall(self.conn, sql, params)

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        """The first row (for lookups by key or with `LIMIT 1`: every row is read)."""
        rows = await _fetchall(self.conn, sql, params)
        return rows[0] if rows else None
