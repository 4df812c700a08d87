"""Lease gates and fleet jobs on both engines: two stores stand for two processes sharing one database."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.fleet.once import FleetJob, LeaseGate, LeaseGone
from bot.store import Store
from tests.fleet.two_processes import second_store
from tests.harness import SettableClock as Clock
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401

LEASE = timedelta(seconds=30)


async def test_only_one_process_runs_the_job_and_the_other_runs_it_once_the_holder_is_gone(
    store: Store, tmp_path: Path
) -> None:
    other = await second_store(store, tmp_path)
    clock = Clock()
    try:
        a = LeaseGate(store.leases, "maintenance", "proc-a", LEASE, clock=clock)
        b = LeaseGate(other.leases, "maintenance", "proc-b", LEASE, clock=clock)
        ran: list[str] = []

        async def job_of(name: str) -> str:
            ran.append(name)
            return name

        first, second = await asyncio.gather(a.run(lambda: job_of("a")), b.run(lambda: job_of("b")))
        assert [r is not None for r in (first, second)].count(True) == 1
        assert len(ran) == 1
        winner, loser = (a, b) if first is not None else (b, a)
        # The holder keeps it between runs; the other keeps being refused while it is live.
        assert await winner.run(lambda: job_of("again")) is not None
        assert await loser.run(lambda: job_of("never")) is None
        # The holder dies (stops renewing): after the lease the other takes over, under a new term.
        clock.now += LEASE + timedelta(seconds=1)
        took = await loser.run(lambda: job_of("takeover"))
        assert took is not None and took.value == "takeover" and took.term == 2
        assert ran[-1] == "takeover" and "never" not in ran
    finally:
        await other.close()


async def test_a_long_job_keeps_its_lease_and_a_released_lease_is_free_at_once(
    store: Store, tmp_path: Path
) -> None:
    """A job running for several lease durations is renewed meanwhile, so nobody else gets in."""
    other = await second_store(store, tmp_path)
    short = timedelta(milliseconds=600)
    try:
        a = LeaseGate(store.leases, "digest:x", "proc-a", short)
        b = LeaseGate(other.leases, "digest:x", "proc-b", short)
        refused: list[bool] = []

        async def long_job() -> int:
            for _ in range(6):  # 1.5 s: more than twice the lease
                await asyncio.sleep(0.25)
                refused.append(await b.run(lambda: asyncio.sleep(0), release=True) is None)
            return 42

        ran = await a.run(long_job, release=True)
        assert ran is not None and ran.value == 42
        assert refused and all(refused)
        # Released when the job ended: the other process gets it at once.
        assert await b.run(lambda: asyncio.sleep(0), release=True) is not None
    finally:
        await other.close()


async def test_a_job_whose_lease_went_elsewhere_is_stopped(store: Store, tmp_path: Path) -> None:
    """The holder's renewals fail (its store is gone) until the lease runs out and another process takes
    it: the first job is cancelled rather than running on beside the new holder's."""
    other = await second_store(store, tmp_path)
    short = timedelta(milliseconds=450)
    try:
        a = LeaseGate(store.leases, "websub-reconcile", "proc-a", short)
        b = LeaseGate(other.leases, "websub-reconcile", "proc-b", short)
        # a's renewals see b holding the lease (b took it while a's renewal was late).
        stopped = asyncio.Event()

        async def endless() -> None:
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                stopped.set()
                raise

        async def steal() -> None:
            await asyncio.sleep(0.05)
            await store.leases.release("websub-reconcile", "proc-a")  # as if it had run out
            assert await b.hold() is not None

        with pytest.raises(LeaseGone):
            await asyncio.gather(a.run(endless), steal())
        assert stopped.is_set()
    finally:
        await other.close()


async def test_a_fleet_job_runs_once_per_period_across_processes(store: Store, tmp_path: Path) -> None:
    other = await second_store(store, tmp_path)
    clock = Clock()
    ticks = [0.0]
    try:
        jobs = [
            FleetJob(
                LeaseGate(s.leases, "maintenance", name, LEASE, clock=clock),
                timedelta(hours=1),
                monotonic=lambda: ticks[0],
            )
            for s, name in ((store, "proc-a"), (other, "proc-b"))
        ]
        runs: list[str] = []

        async def tick_all(step: float) -> None:
            for job in jobs:

                async def maintenance(holder: str = job.gate.holder) -> None:
                    runs.append(holder)

                await job.tick(maintenance)
            ticks[0] += step
            clock.now += timedelta(seconds=step)

        for _ in range(361):  # an hour of 10-second ticks in both processes, and one more
            await tick_all(10)
        assert runs == ["proc-a", "proc-a"], "runs at once, then once an hour, by the first holder only"
        # proc-a dies: proc-b takes over after the lease and runs at once, then hourly.
        del jobs[0]
        for _ in range(4):
            await tick_all(10)
        assert runs == ["proc-a", "proc-a", "proc-b"]
    finally:
        await other.close()
