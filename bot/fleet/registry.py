"""The fleet registry: this process's row in `processes`, kept fresh by a heartbeat, and the start-up check
that no live process clashes with it.

A process joins before it connects to Discord: it waits for any clashing row to prove itself alive (its
heartbeat moves) or dead (it expires), and refuses to start when a live one runs an overlapping shard,
another `SHARD_COUNT`, or when either of the two runs every shard. Joins are serialised through the
`fleet-join` lease, so two processes starting together cannot both miss each other. While it runs, the
process heartbeats every third of the liveness window (`LEADER_LEASE_SECONDS`) with a status (per-shard
gateway latency, guild count, outbox lag of its own guilds), forgets rows that stopped beating, and
registers again if its own row was forgotten (a pause longer than the window). A clean stop deregisters.
On SQLite the file lock (`bot.scaling.single_process`) already guarantees one process: any other row is
a dead one, and is forgotten at join.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.fleet import ProcessIdentity, Topology
from bot.scaling import TopologyError
from bot.store.fleet import ProcessRepo, ProcessRow
from bot.store.leases import Lease, LeaseRepo
from bot.timeutil import utcnow

log = logging.getLogger(__name__)

JOIN_LEASE = "fleet-join"
#: How long one process may hold the join lease (checking and registering takes milliseconds).
JOIN_LEASE_DURATION = timedelta(seconds=10)
#: How often a joining process looks at the rows it waits on.
WAIT_STEP = 0.25


def runs_every_shard(shard_count: int | None, shard_ids: tuple[int, ...] | None) -> bool:
    return shard_ids is None or shard_count is None or len(set(shard_ids)) >= shard_count


def describe(shard_count: int | None, shard_ids: tuple[int, ...] | None) -> str:
    """A process's shards in a few words: "every shard", "shards 0,1 of 4"."""
    if runs_every_shard(shard_count, shard_ids):
        return "every shard" if shard_count is None else f"every shard of {shard_count}"
    assert shard_ids is not None  # noqa: S101 (not every shard implies a list)
    ids = ",".join(str(n) for n in sorted(shard_ids))
    return f"shard{'s' if len(shard_ids) > 1 else ''} {ids} of {shard_count}"


def clash(mine: Topology, other: ProcessRow) -> str | None:
    """Why a process with topology `mine` cannot run beside the live process `other` (None: it can)."""
    if runs_every_shard(mine.shard_count, mine.shard_ids):
        return "this process would run every shard, so no other process may run"
    if runs_every_shard(other.shard_count, other.shard_ids):
        return "it runs every shard"
    if other.shard_count != mine.shard_count:
        return f"it runs SHARD_COUNT {other.shard_count}, this process {mine.shard_count}"
    shared = sorted(set(mine.shards) & set(other.shard_ids or ()))
    if shared:
        return f"both would run shard{'s' if len(shared) > 1 else ''} {','.join(map(str, shared))}"
    return None


def refusal(row: ProcessRow, reason: str) -> TopologyError:
    return TopologyError(
        f"another bot process ({row.host}:{row.pid}, {describe(row.shard_count, row.shard_ids)}, version "
        f"{row.version}) is live on this database and {reason}: give each process its own SHARD_IDS of one "
        "SHARD_COUNT, or stop that one (docs/scaling.md)"
    )


@dataclass(frozen=True, slots=True)
class FleetView:
    """The fleet as `/admin status` shows it."""

    me: str
    processes: list[ProcessRow]
    feed_leader: Lease | None


class FleetRegistry:
    """This process's membership of the fleet (see the module docstring)."""

    def __init__(
        self,
        processes: ProcessRepo,
        leases: LeaseRepo,
        *,
        topology: Topology,
        process: ProcessIdentity,
        version: str,
        window: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.processes = processes
        self.leases = leases
        self.topology = topology
        self.process = process
        self.version = version
        self.window = window
        self.clock = clock
        #: True between `join()` and `leave()`: only then does the heartbeat write anything.
        self.joined = False

    @property
    def interval(self) -> timedelta:
        """How often the heartbeat runs: three beats fit in the liveness window."""
        return self.window / 3

    # Joining and leaving ---------------------------------------------------------------------------

    async def join(self) -> None:
        """Register this process, or raise `TopologyError` (one line) when a live process clashes with it.

        May wait up to the liveness window for a clashing row whose process died without deregistering.
        Joining again once joined does nothing.
        """
        if self.joined:
            return
        if self.processes.postgresql:
            await self._wait_out_clashes()
            await self._take_join_lease()
            try:
                for row in await self._others():
                    reason = clash(self.topology, row)
                    if reason is not None:
                        raise refusal(row, reason)
                await self._register()
            finally:
                await self.leases.release(JOIN_LEASE, self.process.id)
        else:
            await self.processes.forget_others(self.process.id)
            await self._register()
        log.info(
            "joined the fleet as %s (%s)",
            self.process.id,
            describe(self.topology.shard_count, self.topology.shard_ids),
        )

    async def leave(self) -> None:
        """Deregister (a clean stop): the others see at once that this process is gone."""
        if not self.joined:
            return
        self.joined = False
        try:
            await self.processes.deregister(self.process.id)
        except Exception:
            log.exception("could not deregister this process; its row expires by itself")

    async def _register(self) -> None:
        await self.processes.register(
            process_id=self.process.id,
            host=self.process.host,
            pid=self.process.pid,
            version=self.version,
            shard_count=self.topology.shard_count,
            shard_ids=self.topology.shard_ids if self.topology.partial else None,
            now=self.clock(),
            started_at=self.process.started_at,
        )
        self.joined = True

    async def _others(self) -> list[ProcessRow]:
        now = self.clock()
        await self.processes.forget_dead(now=now, window=self.window)
        return [r for r in await self.processes.live(now=now, window=self.window) if r.id != self.process.id]

    async def _wait_out_clashes(self) -> None:
        """Wait until no clashing row is left, refusing as soon as one proves alive (its heartbeat moved).

        A process killed a moment ago left a row that looks live until it expires; a live process beats
        at least every third of the window. So the wait ends within the window either way."""
        first_beat: dict[str, datetime] = {}
        deadline = self.clock() + self.window + self.interval
        while True:
            clashing = [(row, why) for row in await self._others() if (why := clash(self.topology, row))]
            if not clashing:
                return
            for row, why in clashing:
                if row.id not in first_beat:
                    log.info(
                        "waiting for %s:%s (%s) to heartbeat (live: refuse) or to expire (dead: start)",
                        row.host,
                        row.pid,
                        describe(row.shard_count, row.shard_ids),
                    )
                seen = first_beat.setdefault(row.id, row.heartbeat_at)
                if row.heartbeat_at > seen or self.clock() > deadline:
                    raise refusal(row, why)
            await asyncio.sleep(WAIT_STEP)

    async def _take_join_lease(self) -> None:
        deadline = self.clock() + JOIN_LEASE_DURATION * 2
        while (
            await self.leases.acquire(
                JOIN_LEASE, self.process.id, now=self.clock(), duration=JOIN_LEASE_DURATION
            )
            is None
        ):
            if self.clock() > deadline:
                raise TopologyError(
                    "another bot process has been joining the fleet for too long; try again (docs/scaling.md)"
                )
            await asyncio.sleep(WAIT_STEP)

    # Heartbeat -------------------------------------------------------------------------------------

    async def heartbeat(self, *, latencies: Mapping[int, float | None], guilds: int) -> None:
        """Refresh this process's row with its status; register again if the row was forgotten."""
        if not self.joined:
            return
        now = self.clock()
        since = await self.processes.oldest_due_delivery(
            now=now, guild_filter=self.topology.guild_filter("d.guild_id")
        )
        lag = None if since is None else round(max(0.0, (now - since).total_seconds()), 1)
        status: dict[str, Any] = {
            "guilds": guilds,
            "latency_ms": {str(shard): _ms(value) for shard, value in sorted(latencies.items())},
            "outbox_lag_seconds": lag,
        }
        if not await self.processes.heartbeat(self.process.id, now=now, status=status):
            log.warning(
                "this process's registry row was gone (judged dead after a pause longer than %s s); "
                "registering again",
                int(self.window.total_seconds()),
            )
            await self._register()
            await self.processes.heartbeat(self.process.id, now=now, status=status)
            for row in await self._others():
                reason = clash(self.topology, row)
                if reason is not None:
                    log.error("%s", refusal(row, reason))
        await self.processes.forget_dead(now=now, window=self.window)

    # Reading ---------------------------------------------------------------------------------------

    async def view(self, *, feed_lease: str) -> FleetView:
        """The live processes (oldest first) and who holds the `feed_lease` lease."""
        now = self.clock()
        return FleetView(
            me=self.process.id,
            processes=await self.processes.live(now=now, window=self.window),
            feed_leader=await self.leases.current(feed_lease, now=now),
        )


def _ms(seconds: float | None) -> float | None:
    """A latency in milliseconds, or None before the first heartbeat acknowledgement (NaN or infinite)."""
    if seconds is None or seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return round(seconds * 1000, 1)
