"""Per-guild work in a fleet, on both engines: each process sees only its guilds' due polls and alerts, and
the claims two processes could race on (closing a poll, an alert attempt) have exactly one winner."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.fleet import Topology
from bot.polls.models import PollMode, PollStatus
from bot.polls.spec import build_spec
from bot.store import Store
from bot.timeutil import utcnow
from tests.fleet.two_processes import second_store
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401

SHARDS = 2
# Two guilds on each shard ((guild_id >> 22) % 2).
GUILDS = {0: (4 << 22, 6 << 22), 1: (5 << 22, 7 << 22)}
PROCESS = {shard: Topology(shard_count=SHARDS, shard_ids=(shard,)) for shard in range(SHARDS)}


async def _open_poll(store: Store, guild_id: int, n: int) -> int:
    spec = build_spec(
        question=f"Question {n}?",
        answers=["Yes", "No"],
        duration_hours=1,
        multiple=False,
        mode=PollMode.NATIVE,
    )
    now = utcnow()
    poll, _ = await store.polls.create(
        spec,
        guild_id=guild_id,
        channel_id=guild_id + 1,
        nonce=f"poll-{n}",
        created_at=now - timedelta(hours=2),
        closes_at=now - timedelta(minutes=1),
    )
    await store.polls.mark_sent(poll.id, 1000 + n)
    return poll.id


async def test_each_process_closes_only_its_guilds_polls_and_a_close_has_one_winner(
    store: Store, tmp_path: Path
) -> None:
    other = await second_store(store, tmp_path)
    try:
        polls = {
            guild: await _open_poll(store, guild, n)
            for n, guild in enumerate(g for guilds in GUILDS.values() for g in guilds)
        }
        now = utcnow()
        for shard, process_store in ((0, store), (1, other)):
            due = await process_store.polls.with_status(
                PollStatus.OPEN, due_before=now, guilds=PROCESS[shard].guild_filter()
            )
            assert sorted(p.guild_id for p in due) == sorted(GUILDS[shard])
        # Everything is found without a filter (one process owning every guild: nothing changes).
        assert len(await store.polls.with_status(PollStatus.OPEN, due_before=now)) == 4

        # Two processes closing the same poll at once (a shard moving between them): one closes it.
        target = polls[GUILDS[0][0]]
        won = await asyncio.gather(
            store.polls.close(target, closed_at=now, final_counts=None),
            other.polls.close(target, closed_at=now, final_counts=None),
        )
        assert sorted(won) == [False, True]
        closed = await store.polls.with_status(PollStatus.CLOSED, guilds=PROCESS[0].guild_filter())
        assert [p.id for p in closed] == [target]
        assert await other.polls.with_status(PollStatus.CLOSED, guilds=PROCESS[1].guild_filter()) == []
    finally:
        await other.close()


async def test_alert_retries_are_per_owner_and_each_attempt_is_claimed_once(
    store: Store, tmp_path: Path
) -> None:
    other = await second_store(store, tmp_path)
    try:
        alerts = {
            guild: await store.alerts.add(guild, f"feed failing in {guild}")
            for guild in GUILDS[0] + GUILDS[1]
        }
        now = utcnow()
        for shard, process_store in ((0, store), (1, other)):
            due = await process_store.alerts.due(now, guilds=PROCESS[shard].guild_filter())
            assert sorted(a.guild_id for a in due) == sorted(GUILDS[shard])

        alert = alerts[GUILDS[1][0]]
        claims = await asyncio.gather(
            *(s.alerts.begin_attempt(alert.id, now=now) for s in (store, other, store, other))
        )
        assert claims.count(True) == 1
        # Claimed: not due again until the claim's hold passes (a crash mid-send is retried after it).
        assert alert.id not in [a.id for a in await other.alerts.due(now)]
        later = now + timedelta(minutes=5)
        assert alert.id in [a.id for a in await other.alerts.due(later)]
        assert await other.alerts.begin_attempt(alert.id, now=later)
        fresh = await store.alerts.get(alert.id)
        assert fresh is not None and fresh.attempts == 2
    finally:
        await other.close()
