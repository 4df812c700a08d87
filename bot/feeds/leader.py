"""Feed polling by one leader at a time: the process holding the `feed-poller` lease polls, others wait.

Each poll tick takes the lease or renews it (`LEADER_LEASE_SECONDS`); a process that cannot get it skips
the tick, and takes over on a later tick once the leader's lease has run out (a leader that died) or was
released (a leader that stopped cleanly). On SQLite there is one process, so it always holds the lease.
A forced check (`/admin feed check`) does not go through here: it works from any process.

`run_fenced` hands the cycle the lease it runs under (holder and fencing term): the worker commits each
poll only while the lease is still that one, so a leader that stalled past its lease and was replaced
cannot write a stale result after its successor started.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from bot.fleet import ProcessIdentity
from bot.store.leases import Lease, LeaseRepo
from bot.timeutil import utcnow

log = logging.getLogger(__name__)

LEASE_NAME = "feed-poller"

T = TypeVar("T")


def process_id() -> str:
    """A new name for a lease holder: host, pid, and a random part (pids are reused)."""
    return ProcessIdentity().id


class FeedLeader:
    """Holds (or waits for) the feed poller's lease on behalf of this process."""

    def __init__(
        self,
        leases: LeaseRepo,
        *,
        duration: timedelta,
        holder: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.leases = leases
        self.duration = duration
        self.holder = holder or process_id()
        self.clock = clock
        self.leading = False
        self.lease: Lease | None = None  # the lease held since the last `hold`, with its fencing term

    async def hold(self) -> bool:
        """Take the lease or renew it; False when another process holds it (or the store cannot say)."""
        try:
            lease = await self.leases.acquire(
                LEASE_NAME, self.holder, now=self.clock(), duration=self.duration
            )
        except Exception:
            log.exception("could not take or renew the feed poller's lease; not polling this tick")
            lease = None
        held = lease is not None
        self.lease = lease
        if held != self.leading:
            if held:
                log.info("this process (%s) now polls the feeds", self.holder)
            else:
                log.info("another process polls the feeds; this one (%s) waits", self.holder)
        self.leading = held
        return held

    async def run(self, cycle: Callable[[], Awaitable[T]]) -> T | None:
        """Run one poll cycle if this process holds the lease; None (nothing run) when it does not."""
        if not await self.hold():
            return None
        return await cycle()

    async def run_fenced(self, cycle: Callable[[Lease], Awaitable[T]]) -> T | None:
        """As `run`, handing the cycle the lease it runs under, to fence its writes with."""
        if not await self.hold() or self.lease is None:
            return None
        return await cycle(self.lease)

    async def release(self) -> None:
        """Give the lease up (a clean shutdown), so another process takes over at its next tick."""
        self.leading = False
        self.lease = None
        try:
            await self.leases.release(LEASE_NAME, self.holder)
        except Exception:
            log.exception("could not release the feed poller's lease; it runs out by itself")
