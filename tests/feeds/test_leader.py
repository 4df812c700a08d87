"""Feed polling by one leader at a time, on both engines: two processes' pollers share one store."""

from __future__ import annotations

from datetime import timedelta

from bot.feeds.leader import LEASE_NAME, FeedLeader, process_id
from bot.store import Store
from tests.harness import SettableClock as Clock
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401  (store on both engines)

LEASE = timedelta(seconds=30)
TICK = timedelta(seconds=5)


class Poller:
    """A poll cycle that counts how often it ran."""

    def __init__(self) -> None:
        self.cycles = 0

    async def poll_due(self) -> list[str]:
        self.cycles += 1
        return ["polled"]


def pair(store: Store, clock: Clock) -> tuple[FeedLeader, FeedLeader]:
    return (
        FeedLeader(store.leases, duration=LEASE, holder="host-a:1:aa", clock=clock),
        FeedLeader(store.leases, duration=LEASE, holder="host-b:2:bb", clock=clock),
    )


async def test_two_pollers_on_one_store_only_one_polls(store: Store) -> None:
    clock = Clock()
    a, b = pair(store, clock)
    work_a, work_b = Poller(), Poller()
    for _ in range(20):  # 100 s of ticks: far past one lease, so the leader renews rather than lapses
        assert await a.run(work_a.poll_due) == ["polled"]
        assert await b.run(work_b.poll_due) is None
        clock.now += TICK
    assert (work_a.cycles, work_b.cycles) == (20, 0)
    assert a.leading and not b.leading


async def test_when_the_leader_stops_renewing_the_other_takes_over_within_the_lease(store: Store) -> None:
    clock = Clock()
    a, b = pair(store, clock)
    work_a, work_b = Poller(), Poller()
    await a.run(work_a.poll_due)
    died_at = clock.now  # a dies here: no more renewals, no release
    while await b.run(work_b.poll_due) is None:
        clock.now += TICK
        assert clock.now - died_at <= LEASE, "the other process did not take over within the lease"
    assert work_b.cycles == 1 and b.leading
    # The old leader, back (a long pause, not a death), no longer polls: the lease is b's now.
    assert await a.run(work_a.poll_due) is None and work_a.cycles == 1 and not a.leading


async def test_a_clean_stop_releases_the_lease_at_once(store: Store) -> None:
    clock = Clock()
    a, b = pair(store, clock)
    work_b = Poller()
    assert await a.hold()
    assert await b.run(work_b.poll_due) is None
    await a.release()
    assert await store.leases.current(LEASE_NAME, now=clock.now) is None
    assert await b.run(work_b.poll_due) == ["polled"]  # same instant: no waiting for the lease to run out


async def test_a_process_that_lost_the_lease_polls_again_once_it_gets_it_back(store: Store) -> None:
    clock = Clock()
    a, b = pair(store, clock)
    work_a = Poller()
    assert await b.hold()
    assert await a.run(work_a.poll_due) is None
    await b.release()
    assert await a.run(work_a.poll_due) == ["polled"] and work_a.cycles == 1


async def test_one_process_alone_always_holds_it(store: Store) -> None:
    clock = Clock()
    alone = FeedLeader(store.leases, duration=LEASE, clock=clock)
    work = Poller()
    for _ in range(3):
        await alone.run(work.poll_due)
        clock.now += LEASE * 2  # even with ticks further apart than the lease (a suspended laptop)
    assert work.cycles == 3


def test_process_ids_name_the_host_and_pid_and_differ_between_pollers() -> None:
    first, second = process_id(), process_id()
    assert first != second and first.count(":") == 2 and first.split(":")[:2] == second.split(":")[:2]
