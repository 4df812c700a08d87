"""The lease's fencing term: a write checked against a lease commits only while that holder and term still
hold it, and on PostgreSQL no take-over can slip in between the check and the commit."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.store import Store
from bot.store.leases import LeaseLost, check_held
from bot.timeutil import utcnow
from tests.postgres import fresh_database, postgres_server, store_on_both_engines  # noqa: F401

NAME = "feed-poller"
LEASE = timedelta(seconds=30)
A, B = "host-a:1:aa", "host-b:2:bb"


async def test_a_write_fenced_by_a_lost_lease_is_refused(store: Store) -> None:
    start = utcnow()
    mine = await store.leases.acquire(NAME, A, now=start, duration=LEASE)
    assert mine is not None
    async with store.db.transaction() as tx:
        await check_held(tx, mine)  # held: no error

    later = start + LEASE + timedelta(seconds=1)
    theirs = await store.leases.acquire(NAME, B, now=later, duration=LEASE)
    assert theirs is not None and theirs.term == mine.term + 1
    with pytest.raises(LeaseLost, match="term 1"):
        async with store.db.transaction() as tx:
            await check_held(tx, mine)

    # Taken back later, the old term still does not count: only the lease as it is now does.
    back = await store.leases.acquire(NAME, A, now=later + 2 * LEASE, duration=LEASE)
    assert back is not None and back.term == mine.term + 2
    with pytest.raises(LeaseLost):
        async with store.db.transaction() as tx:
            await check_held(tx, mine)
    await store.leases.release(NAME, A)
    with pytest.raises(LeaseLost):
        async with store.db.transaction() as tx:
            await check_held(tx, back)


async def test_a_take_over_waits_for_a_fenced_write_to_commit(postgres_server: str) -> None:  # noqa: F811
    async with fresh_database(postgres_server) as url:
        old, new = await Store.open(url, pool_size=2), await Store.open(url, pool_size=2)
        try:
            start = utcnow()
            lease = await old.leases.acquire(NAME, A, now=start, duration=LEASE)
            assert lease is not None
            expired = start + LEASE + timedelta(seconds=1)
            async with old.db.transaction() as tx:
                await check_held(tx, lease)  # the lease ran out, but nobody took it: still ours to commit
                takeover = asyncio.create_task(new.leases.acquire(NAME, B, now=expired, duration=LEASE))
                await asyncio.sleep(0.3)
                assert not takeover.done(), "the take-over did not wait for the fenced transaction"
            taken = await takeover
            assert taken is not None and taken.holder == B and taken.term == lease.term + 1
        finally:
            await old.close()
            await new.close()
