"""The lease primitive on both engines: one holder at a time, takeover after expiry, fencing terms."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.store import Store
from bot.timeutil import utcnow

TTL = timedelta(seconds=30)


async def test_one_holder_until_it_expires_then_a_takeover_under_a_new_term(store: Store) -> None:
    t0 = utcnow()
    first = await store.leases.acquire("poller", "a", now=t0, duration=TTL)
    assert first is not None and (first.holder, first.term) == ("a", 1)
    assert await store.leases.acquire("poller", "b", now=t0 + timedelta(seconds=10), duration=TTL) is None

    renewed = await store.leases.acquire("poller", "a", now=t0 + timedelta(seconds=20), duration=TTL)
    assert renewed is not None and renewed.term == 1 and renewed.acquired_at == first.acquired_at
    assert renewed.expires_at == t0 + timedelta(seconds=50)
    # Renewal moved the expiry: b is still refused where the first lease would have run out.
    assert await store.leases.acquire("poller", "b", now=t0 + timedelta(seconds=40), duration=TTL) is None

    later = t0 + timedelta(seconds=50)
    taken = await store.leases.acquire("poller", "b", now=later, duration=TTL)
    assert taken is not None and (taken.holder, taken.term) == ("b", 2)
    # The deposed holder cannot renew over the new one, and sees who holds it.
    assert await store.leases.acquire("poller", "a", now=later, duration=TTL) is None
    current = await store.leases.current("poller", now=later)
    assert current is not None and current.holder == "b"
    # Other leases are independent.
    assert await store.leases.acquire("maintenance", "a", now=later, duration=TTL) is not None


async def test_a_released_lease_is_free_at_once(store: Store) -> None:
    t0 = utcnow()
    assert await store.leases.acquire("poller", "a", now=t0, duration=TTL) is not None
    assert not await store.leases.release("poller", "b")
    assert await store.leases.release("poller", "a")
    assert await store.leases.current("poller", now=t0) is None
    taken = await store.leases.acquire("poller", "b", now=t0, duration=TTL)
    assert taken is not None and taken.holder == "b"


async def test_processes_asking_at_once_get_one_holder(store: Store, tmp_path: Path) -> None:
    """Five stores (five processes, as far as the database knows) race for one lease, ten times."""
    target = store.db.path if store.dialect == "postgresql" else tmp_path / "store.sqlite3"
    others = [await Store.open(target, pool_size=2) for _ in range(5)]
    try:
        for round_ in range(10):
            now = utcnow() + timedelta(minutes=round_)  # each round starts after the last lease expired
            won = await asyncio.gather(
                *(
                    other.leases.acquire("poller", f"p{i}", now=now, duration=TTL)
                    for i, other in enumerate(others)
                )
            )
            winners = [lease for lease in won if lease is not None]
            assert len(winners) == 1, f"round {round_}: {winners}"
            assert winners[0].term == round_ + 1
    finally:
        for other in others:
            await other.close()
