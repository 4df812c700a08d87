"""The fan-out on its own: per-server order, a bound on servers served at once, busy servers left out."""

from __future__ import annotations

import asyncio

from bot.announce.fanout import FanOut
from bot.announce.models import ChannelKind, Delivery
from bot.announce.outbox import Outbox
from bot.store import Store
from bot.timeutil import utcnow
from tests.announce.helpers import add_item, podcast

GUILD_A, GUILD_B, GUILD_C = 1001, 1002, 1003


async def deliveries(store: Store, guilds: tuple[int, ...], items: int) -> list[Delivery]:
    feed = await podcast(store)
    for n, guild in enumerate(guilds):
        await store.announcements.subscribe(guild, feed.id, 10 + n, ChannelKind.TEXT)
    for n in range(items):
        await add_item(store, feed, f"ep-{n}", f"Episode {n}")
    await Outbox(store).dispatch_pending()
    return await store.announcements.due_sends(utcnow())


async def test_each_server_keeps_its_order_and_a_stuck_one_holds_up_nobody(store: Store) -> None:
    due = await deliveries(store, (GUILD_A, GUILD_B), items=2)
    release = asyncio.Event()
    sent: list[tuple[int, int]] = []

    async def send(delivery: Delivery) -> None:
        if delivery.guild_id == GUILD_A:
            await release.wait()  # server A is stuck (a request that does not come back)
        sent.append((delivery.guild_id, delivery.item_id))

    woken: list[bool] = []
    fanout = FanOut(send, concurrency=4, on_done=lambda: woken.append(True))
    assert fanout.start(due) == 4
    for _ in range(20):
        await asyncio.sleep(0)
    items = sorted({d.item_id for d in due})
    assert sent == [(GUILD_B, items[0]), (GUILD_B, items[1])]  # B done while A is stuck
    assert fanout.busy == {GUILD_A}
    again = [d for d in due if d.guild_id == GUILD_A]
    assert fanout.start(again) == 0  # A's deliveries are never handed out twice while it is busy
    left = await store.announcements.due_sends(utcnow(), exclude_guilds=fanout.busy)
    assert {d.guild_id for d in left} == {GUILD_B}  # the store leaves busy servers out of the next batch
    release.set()
    await fanout.drain()
    assert sent[2:] == [(GUILD_A, items[0]), (GUILD_A, items[1])]  # A in order, once each
    assert fanout.busy == frozenset() and len(woken) == 2


async def test_no_more_servers_than_the_bound_are_served_at_once(store: Store) -> None:
    due = await deliveries(store, (GUILD_A, GUILD_B, GUILD_C), items=1)
    running, peak = 0, 0

    async def send(delivery: Delivery) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    fanout = FanOut(send, concurrency=2)
    fanout.start(due)
    await fanout.drain()
    assert peak == 2


async def test_a_send_that_raises_stays_with_its_server(store: Store) -> None:
    due = await deliveries(store, (GUILD_A, GUILD_B), items=1)
    sent: list[int] = []

    async def send(delivery: Delivery) -> None:
        if delivery.guild_id == GUILD_A:
            raise RuntimeError("a bug in one server's send")
        sent.append(delivery.guild_id)

    fanout = FanOut(send)
    fanout.start(due)
    await fanout.drain()
    assert sent == [GUILD_B] and fanout.busy == frozenset()


async def test_closing_lets_quick_sends_finish_and_cancels_a_stuck_one(store: Store) -> None:
    due = await deliveries(store, (GUILD_A, GUILD_B), items=1)
    finished: list[int] = []

    async def send(delivery: Delivery) -> None:
        await asyncio.sleep(0.01 if delivery.guild_id == GUILD_B else 3600)
        finished.append(delivery.guild_id)

    fanout = FanOut(send)
    fanout.start(due)
    await fanout.close(grace=0.5)
    assert finished == [GUILD_B] and fanout.busy == frozenset()
