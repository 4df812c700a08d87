"""The process registry: each running bot process's row, refreshed by its heartbeat.

A process is live while its heartbeat is younger than the liveness window (the lease duration); a process
killed without a clean stop simply stops refreshing its row and counts as dead once the window passes.
Claims made by a dead process (`deliveries.claimed_by`) are void.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.store.base import Repo
from bot.timeutil import from_db, to_db


@dataclass(frozen=True, slots=True)
class ProcessRow:
    id: str
    host: str
    pid: int
    version: str
    shard_count: int | None
    shard_ids: tuple[int, ...] | None
    started_at: datetime
    heartbeat_at: datetime
    status: dict[str, Any]


def _row(row: Any) -> ProcessRow:
    started, beat = from_db(row["started_at"]), from_db(row["heartbeat_at"])
    assert started is not None and beat is not None  # noqa: S101 (NOT NULL columns)
    ids = row["shard_ids"]
    return ProcessRow(
        id=row["id"],
        host=row["host"],
        pid=int(row["pid"]),
        version=row["version"],
        shard_count=None if row["shard_count"] is None else int(row["shard_count"]),
        shard_ids=None if ids is None else tuple(int(n) for n in ids.split(",") if n),
        started_at=started,
        heartbeat_at=beat,
        status=json.loads(row["status"] or "{}"),
    )


class ProcessRepo(Repo):
    async def register(
        self,
        *,
        process_id: str,
        host: str,
        pid: int,
        version: str,
        shard_count: int | None,
        shard_ids: tuple[int, ...] | None,
        now: datetime,
        started_at: datetime | None = None,
    ) -> None:
        """Add this process to the registry (its first heartbeat is now; it started at `started_at`, by
        default now too)."""
        stamp = to_db(now)
        await self.db.execute(
            "INSERT INTO processes (id, host, pid, version, shard_count, shard_ids, started_at, heartbeat_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                process_id,
                host,
                pid,
                version,
                shard_count,
                None if shard_ids is None else ",".join(str(n) for n in shard_ids),
                to_db(started_at or now),
                stamp,
            ),
        )

    async def heartbeat(
        self, process_id: str, *, now: datetime, status: dict[str, Any] | None = None
    ) -> bool:
        """Refresh this process's heartbeat (and its status); False when its row is gone (removed as dead)."""
        if status is None:
            changed = await self.db.execute(
                "UPDATE processes SET heartbeat_at = ? WHERE id = ?", (to_db(now), process_id)
            )
        else:
            changed = await self.db.execute(
                "UPDATE processes SET heartbeat_at = ?, status = ? WHERE id = ?",
                (to_db(now), json.dumps(status, sort_keys=True), process_id),
            )
        return bool(changed)

    async def deregister(self, process_id: str) -> None:
        """Remove this process (a clean stop): its claims are void at once."""
        await self.db.execute("DELETE FROM processes WHERE id = ?", (process_id,))

    async def forget_others(self, process_id: str) -> int:
        """Remove every row but this process's (on SQLite, where the file lock proves the others dead)."""
        return await self.db.execute("DELETE FROM processes WHERE id <> ?", (process_id,))

    async def live(self, *, now: datetime, window: timedelta) -> list[ProcessRow]:
        """The processes whose heartbeat is younger than `window`, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM processes WHERE heartbeat_at > ? ORDER BY started_at, id", (to_db(now - window),)
        )
        return [_row(r) for r in rows]

    async def forget_dead(self, *, now: datetime, window: timedelta) -> int:
        """Remove processes silent for longer than `window`; returns how many."""
        return await self.db.execute("DELETE FROM processes WHERE heartbeat_at <= ?", (to_db(now - window),))

    async def oldest_due_delivery(
        self, *, now: datetime, guild_filter: tuple[str, tuple[int, ...]]
    ) -> datetime | None:
        """Since when the longest-waiting due delivery step of the guilds `guild_filter` selects has been
        due (a send, or a follow-up of a sent one; paused subscriptions do not count): the outbox lag is
        `now` minus this. None when nothing is due. `guild_filter` is `Topology.guild_filter("d.guild_id")`.
        """
        condition, params = guild_filter
        query = (
            "SELECT min(coalesce(d.next_attempt_at, d.sent_at, d.created_at)) FROM deliveries d"  # noqa: S608
            " JOIN subscriptions s ON s.guild_id = d.guild_id AND s.feed_id = d.feed_id"
            " WHERE d.state IN ('pending', 'sent', 'thread_created') AND s.paused = 0"
            f" AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?) AND {condition}"
        )
        value = await self.db.fetchval(query, (to_db(now), *params))
        return from_db(value)
