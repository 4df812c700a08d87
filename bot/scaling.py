"""What one bot process may run, checked before it starts (docs/scaling.md).

SQLite serves one process: a second bot process on the same file, or a process that runs only some of the
bot's shards (so that others must run the rest), is refused with one line saying what to do instead.
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
    """Refuse a process that runs only some shards: on SQLite processes cannot share the file, and on
    PostgreSQL the fleet's coordination (leader polling, claimed deliveries) is not built yet."""
    shards = settings.shards
    if shards is None or settings.shard_count is None or len(shards) >= settings.shard_count:
        return
    if settings.database_is_postgresql:
        raise TopologyError(
            f"SHARD_IDS {settings.shard_ids} runs {len(shards)} of SHARD_COUNT {settings.shard_count} "
            "shards, but the coordination several processes need (one poller, each delivery once) is not "
            "built yet: run one process with every shard (leave SHARD_IDS unset) (docs/scaling.md)"
        )
    if len(shards) < settings.shard_count:
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
