"""Work done once across the fleet, coordinated through leases (`bot/store/leases.py`).

- `LeaseGate(leases, name, holder, duration)`: `run(job)` runs `job` only when this process takes lease
  `name` (or already holds it), renews the lease every third of `duration` while the job runs, and cancels
  the job (raising `LeaseGone`) if the lease is lost meanwhile: another process took it after a renewal
  failed for longer than the lease. A per-item lease (`digest:<key>`) is released when its job ends, so the
  next process need not wait; a process that dies holding one loses it when it runs out.
- `FleetJob(gate, every)`: a periodic job run by ONE process of the fleet. Every process calls `tick(job)`
  often (every third of the lease, at most); each tick takes or renews the lease, so the holder keeps it
  between runs, and only the holder runs the job, when `every` has passed since it last ran it (or at once
  when it has just become the holder). When the holder dies, another process takes the lease within its
  duration and runs the job at its next tick.

Holder names are `ProcessIdentity.id` (host, pid, random part). With one process (SQLite always) the one
process always holds every lease, so jobs run exactly as they did before there was a fleet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.timeutil import utcnow

if TYPE_CHECKING:
    from bot.store.leases import Lease, LeaseRepo

log = logging.getLogger(__name__)

T = TypeVar("T")


class LeaseGone(Exception):
    """The lease went to another process (or ran out unrenewed) while its job ran: the job was cancelled."""


@dataclass(frozen=True, slots=True)
class Ran(Generic[T]):
    """A job that ran under the lease: what it returned, and the lease's fencing term it ran under."""

    value: T
    term: int


class LeaseGate:
    """One lease of this process: take it, run work under it while renewing it, give it up."""

    def __init__(
        self,
        leases: LeaseRepo,
        name: str,
        holder: str,
        duration: timedelta,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.leases = leases
        self.name = name
        self.holder = holder
        self.duration = duration
        self.clock = clock
        self.held: Lease | None = None

    @property
    def renew_seconds(self) -> float:
        """How often a held lease is renewed while its job runs: three renewals fit in one lease."""
        return self.duration.total_seconds() / 3

    async def hold(self) -> Lease | None:
        """Take the lease or renew it; None when another process holds it (or the store cannot say)."""
        try:
            lease = await self.leases.acquire(
                self.name, self.holder, now=self.clock(), duration=self.duration
            )
        except Exception:
            log.exception("could not take or renew the lease %s", self.name)
            lease = None
        if (lease is None) != (self.held is None):
            if lease is not None:
                log.info("this process (%s) now holds the lease %s", self.holder, self.name)
            else:
                log.info("the lease %s is held elsewhere; this process (%s) waits", self.name, self.holder)
        self.held = lease
        return lease

    async def run(self, job: Callable[[], Awaitable[T]], *, release: bool = False) -> Ran[T] | None:
        """Run `job` under the lease: None (nothing run) when another process holds it. The lease is renewed
        while the job runs; if it is lost meanwhile the job is cancelled and `LeaseGone` raised. `release`
        gives the lease up when the job ends (however it ends)."""
        lease = await self.hold()
        if lease is None:
            return None
        work: asyncio.Future[T] = asyncio.ensure_future(job())
        keeper = asyncio.create_task(self._keep(lease.expires_at), name=f"lease-keeper-{self.name}")
        racing: set[asyncio.Future[Any]] = {work, keeper}
        try:
            try:
                await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:
                work.cancel()
                raise
            if work.done():
                return Ran(work.result(), (self.held or lease).term)
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
            raise LeaseGone(f"the lease {self.name} was lost while its job ran; the job was stopped")
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            if release:
                await self.release()

    async def _keep(self, expires_at: datetime) -> None:
        """Renew the lease every `renew_seconds`; return once it is lost: another process holds it, or the
        store could not renew it before it ran out."""
        while True:
            await asyncio.sleep(self.renew_seconds)
            try:
                lease = await self.leases.acquire(
                    self.name, self.holder, now=self.clock(), duration=self.duration
                )
            except Exception:
                log.warning("could not renew the lease %s; still held until %s", self.name, expires_at)
                if self.clock() >= expires_at:
                    self.held = None
                    return
                continue
            self.held = lease
            if lease is None:
                log.warning("the lease %s went to another process while its job ran", self.name)
                return
            expires_at = lease.expires_at

    async def release(self) -> None:
        """Give the lease up (job done, or a clean shutdown), so another process need not wait for it."""
        self.held = None
        try:
            await self.leases.release(self.name, self.holder)
        except Exception:
            log.exception("could not release the lease %s; it runs out by itself", self.name)


class FleetJob:
    """A periodic job run by the holder of its lease only: once per `every` across the fleet."""

    def __init__(self, gate: LeaseGate, every: timedelta, *, monotonic: Callable[[], float] = time.monotonic):
        self.gate = gate
        self.every = every
        self.monotonic = monotonic
        self.last_run: float | None = None  # when this process last ran it (while holding the lease)
        self.runs = 0

    @property
    def tick_seconds(self) -> float:
        """How often `tick` should be called: often enough to keep the lease, and to run on time."""
        return min(self.every.total_seconds(), self.gate.renew_seconds)

    def due(self) -> bool:
        return self.last_run is None or self.monotonic() - self.last_run >= self.every.total_seconds()

    async def tick(self, job: Callable[[], Awaitable[T]]) -> Ran[T] | None:
        """Keep (or take) the lease and run `job` if this process holds it and the job is due; None when
        nothing ran. A process that loses the lease runs the job at once when it gets it back."""
        if self.gate.held is None:
            self.last_run = None
        if not self.due():
            if await self.gate.hold() is None:
                self.last_run = None
            return None
        started = self.monotonic()
        try:
            ran = await self.gate.run(job)
        finally:
            # A failed run counts as a run (tried again after `every`, not at the next tick); a lost or
            # refused lease does not.
            self.last_run = started if self.gate.held is not None else None
        if ran is not None:
            self.runs += 1
        return ran

    async def release(self) -> None:
        """Give the lease up at a clean shutdown: another process runs the job at its next tick."""
        self.last_run = None
        await self.gate.release()


class FleetLeases:
    """Makes this process's lease gates and fleet jobs (the holder is this process; built once in the
    container)."""

    def __init__(self, leases: LeaseRepo, holder: str, duration: timedelta) -> None:
        self.leases = leases
        self.holder = holder
        self.duration = duration

    def gate(self, name: str, duration: timedelta | None = None) -> LeaseGate:
        return LeaseGate(self.leases, name, self.holder, duration or self.duration)

    def job(self, name: str, every: timedelta) -> FleetJob:
        return FleetJob(self.gate(name), every)
