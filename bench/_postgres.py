"""A PostgreSQL server for the fleet benchmarks: the tests' throwaway cluster (`tests/postgres.py`), started
once per bench run and stopped when the run ends, or the server `TEST_DATABASE_URL` names.

The cluster comes from the machine's PostgreSQL binaries (as the `postgres` user when the bench runs as
root), in a temporary folder on a free port, with fsync off like the tests' (so the figures compare the
engines' query work, not the disk: SQLite runs with its production pragmas, WAL and synchronous=NORMAL).
Each measurement gets a fresh, migrated database of its own.
"""

from __future__ import annotations

import atexit
import itertools
import os

import asyncpg

from bot.store import Store

_serial = itertools.count(1)
_server: dict[str, str] = {}


def server_url() -> str:
    """The superuser URL of the bench run's PostgreSQL server, started on first use."""
    if "url" not in _server:
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            from tests.postgres import Cluster, pg_bin  # the tests' cluster code (it imports pytest)

            binaries = pg_bin()
            if binaries is None:
                raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql-15)")
            cluster = Cluster(binaries)
            cluster.start()
            atexit.register(cluster.stop)
            url = cluster.url
        _server["url"] = url
    return _server["url"]


async def fresh_database(label: str) -> str:
    """The URL of a new, empty database on the bench server (migrated by the first `Store.open`)."""
    server = server_url()
    name = f"aidb_bench_{label}_{os.getpid()}_{next(_serial)}"
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, _ = server.rpartition("/")
    return f"{base}/{name}"


async def drop_database(url: str) -> None:
    server = server_url()
    name = url.rpartition("/")[2]
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def open_fresh(label: str, pool_size: int = 4) -> tuple[Store, str]:
    """A migrated store on a fresh database, and its URL."""
    url = await fresh_database(label)
    return await Store.open(url, pool_size=pool_size), url
