"""What one bot process may run, checked before it starts (docs/scaling.md).

SQLite serves one process: a second bot process on the same file, or a process that runs only some of the
bot's shards (so that others must run the rest), is refused with one line saying what to do instead.
Processes sharing a PostgreSQL database are checked against each other by the fleet registry
(`bot.fleet.registry`) once the store is open.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from bot.settings import Settings


class TopologyError(Exception):
    """This process cannot run as configured; the message is one line."""


def check_topology(settings: Settings) -> None:
    """Refuse a process that runs only some shards on SQLite: the processes running the other shards
    would need the same database, and processes cannot share a SQLite file. On PostgreSQL a partial
    process is fine; the fleet registry checks, once the store is open, that it clashes with no other."""
    shards = settings.shards
    if shards is None or settings.shard_count is None or len(shards) >= settings.shard_count:
        return
    if not settings.database_is_postgresql:
        raise TopologyError(
            f"SHARD_IDS {settings.shard_ids} runs {len(shards)} of SHARD_COUNT {settings.shard_count} "
            "shards, so other processes must run the rest, and processes cannot share a SQLite file: set "
            "DATABASE_URL to a PostgreSQL database (docs/scaling.md)"
        )


@contextlib.contextmanager
def single_process(settings: Settings) -> Iterator[None]:
    """Hold the SQLite file's run lock while the bot runs; a second bot process on it is refused.

    The lock (`<database>.run-lock`, an advisory `flock`) goes when the process ends, however it ends.
    Commands that use the file briefly (`migrate`, `digest`) do not take it. On PostgreSQL: no lock.
    """
    if settings.database_is_postgresql:
        yield
        return
    path = Path(f"{settings.database_path}.run-lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TopologyError(
                f"another bot process is already running on {settings.database_path}, and a SQLite file "
                "serves one process: stop that one, or share a PostgreSQL database through DATABASE_URL "
                "(docs/scaling.md)"
            ) from None
        yield
    finally:
        os.close(fd)
