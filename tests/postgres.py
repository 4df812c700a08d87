"""A throwaway PostgreSQL server for the store's tests, and the `store` fixture that runs on both engines.

The server is started once per test session from the machine's PostgreSQL binaries (`initdb`, `pg_ctl`;
as the `postgres` user when the tests run as root, since both refuse root) in a temporary folder on a free
port, with fsync off: it holds nothing worth keeping. With `TEST_DATABASE_URL` set (a URL whose user may
create databases) that server is used instead. A template database is migrated once; each test gets its
own database copied from it (a file copy, a few tens of milliseconds) and dropped afterwards.

A test module runs its `store` tests on both engines by importing the fixture:

    from tests.postgres import store_on_both_engines  # noqa: F401
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, closing
from pathlib import Path

import asyncpg
import pytest

from bot.store import Store
from bot.store.pg import PgDatabase, translate

PG_BIN_DIRS = [Path("/usr/lib/postgresql/15/bin")]
TEMPLATE = f"aidb_template_{os.getpid()}"  # per session: sessions may share a TEST_DATABASE_URL server
ENGINES = ["sqlite", "postgresql"]
_serial = itertools.count(1)


def pg_bin() -> Path | None:
    """The folder holding `initdb` and `pg_ctl` (PostgreSQL 15 first, else the newest installed), or None
    when PostgreSQL is not installed."""
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts[-3])
    for candidate in [*PG_BIN_DIRS, *(path.parent for path in reversed(installed))]:
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """One PostgreSQL server in a temporary folder; `url` is its superuser URL (no password)."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="aidb-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.binaries / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        if self._as_root:
            shutil.chown(self.folder, user="postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        log = str(self.folder / "log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _database_url(server_url: str, name: str) -> str:
    base, _, _ = server_url.rpartition("/")
    return f"{base}/{name}"


async def _prepare_template(server_url: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
    finally:
        await conn.close()
    store = await Store.open(_database_url(server_url, TEMPLATE), pool_size=1)
    await store.close()


async def _drop(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server the tests may create databases on, with the migrated template."""
    url = os.environ.get("TEST_DATABASE_URL")
    cluster: Cluster | None = None
    if not url:
        binaries = pg_bin()
        if binaries is None:
            pytest.fail(
                "PostgreSQL is not installed: `make test` installs it (apt-get install postgresql-15), "
                "or set TEST_DATABASE_URL to a server the tests may create databases on"
            )
        cluster = Cluster(binaries)
        cluster.start()
        url = cluster.url
    try:
        # In a thread of its own: the first test to ask may already be running in an event loop.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _prepare_template(url)).result()
        yield url
    finally:
        if cluster is not None:
            cluster.stop()
        else:
            with ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, _drop(url, TEMPLATE)).result()


@asynccontextmanager
async def fresh_database(postgres_server: str) -> AsyncIterator[str]:
    """A fresh, migrated database of its own for one test (its URL); dropped afterwards."""
    name = f"aidb_test_{os.getpid()}_{next(_serial)}"
    admin = await asyncpg.connect(postgres_server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}" STRATEGY FILE_COPY')
        yield _database_url(postgres_server, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(name="store", params=ENGINES)
async def store_on_both_engines(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A real, migrated store: once on SQLite in a temporary file, once on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        opened = await Store.open(tmp_path / "store.sqlite3")
        try:
            yield opened
        finally:
            await opened.close()
        return
    async with fresh_database(request.getfixturevalue("postgres_server")) as url:
        opened = await Store.open(url, pool_size=4)
        try:
            yield opened
        finally:
            await opened.close()


@pytest.fixture
async def postgres_url(postgres_server: str) -> AsyncIterator[str]:
    """The URL of a fresh, migrated PostgreSQL database for this test."""
    async with fresh_database(postgres_server) as url:
        yield url


async def commit_elsewhere(store: Store, tmp_path: Path, sql: str, *params: object) -> None:
    """Commit `sql` (with `?` placeholders) through a client of its own, as another process would: a
    connection to the same PostgreSQL database, or to the SQLite file `store.sqlite3` in `tmp_path`."""
    if isinstance(store.db, PgDatabase):
        other = await asyncpg.connect(store.db.url)
        try:
            await other.execute(translate(sql), *params)
        finally:
            await other.close()
        return
    with closing(sqlite3.connect(tmp_path / "store.sqlite3")) as conn, conn:
        conn.execute(sql, params)
