"""The fleet: several bot processes sharing one PostgreSQL database, each running some gateway shards.

`Topology` says which guilds this process owns (those on its shards, by Discord's rule
`(guild_id >> 22) % shard_count`); `ProcessIdentity` names this process in the database (leases, claims,
the registry). On SQLite, or with no `SHARD_IDS`, a process owns every guild and nothing changes.
See docs/scaling.md.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from bot.settings import Settings
from bot.timeutil import utcnow


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard whose gateway connection receives this guild's events (Discord's sharding formula)."""
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True, slots=True)
class Topology:
    """Which shards, and so which guilds, this process serves."""

    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Topology:
        return cls(shard_count=settings.shard_count, shard_ids=settings.shards)

    @property
    def partial(self) -> bool:
        """True when this process runs only some of the bot's shards (other processes run the rest)."""
        return (
            self.shard_count is not None
            and self.shard_ids is not None
            and len(set(self.shard_ids)) < self.shard_count
        )

    @property
    def shards(self) -> tuple[int, ...]:
        """The shard ids this process runs (every shard when `SHARD_IDS` is unset)."""
        if self.shard_ids is not None:
            return tuple(sorted(set(self.shard_ids)))
        return tuple(range(self.shard_count or 1))

    def shard_of(self, guild_id: int) -> int:
        return shard_of(guild_id, self.shard_count or 1)

    def owns(self, guild_id: int) -> bool:
        """Whether this process serves the guild (its shard is one of this process's)."""
        if not self.partial:
            return True
        return self.shard_of(guild_id) in self.shards

    def owned(self, guild_ids: Iterable[int]) -> list[int]:
        return [g for g in guild_ids if self.owns(g)]

    def guild_filter(self, column: str = "guild_id") -> tuple[str, tuple[int, ...]]:
        """An SQL condition (both engines) true for the rows of guilds this process owns, and its
        parameters; `("1 = 1", ())` when it owns every guild. `column` is a trusted column name."""
        if not self.partial:
            return "1 = 1", ()
        assert self.shard_count is not None  # noqa: S101 (partial implies it)
        marks = ", ".join("?" for _ in self.shards)
        return f"(({column} >> 22) % ?) IN ({marks})", (self.shard_count, *self.shards)


def _new_process_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True, slots=True)
class ProcessIdentity:
    """This process as the database knows it: `id` is host, pid and a random part (pids are reused)."""

    id: str = field(default_factory=_new_process_id)
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    started_at: datetime = field(default_factory=utcnow)
