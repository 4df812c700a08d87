"""Fan-out: a slow or failing server never delays another, and its own announcement still arrives once."""

from __future__ import annotations

import asyncio

from bot.announce.models import DeliveryState
from bot.store import Store
from tests.announce.conftest import AnnounceRunner, World
from tests.announce.flows import bot_messages, configure, delivery_state, new_episode
from tests.doubles.discord import P
from tests.harness import eventually

SENT = (DeliveryState.SENT, DeliveryState.THREAD_CREATED, DeliveryState.DONE)


async def test_a_failing_server_never_delays_another_and_is_served_once_when_it_recovers(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double = world.double
    other = double.add_guild("Listeners B", bot_permissions=P.BOT_DEFAULT)
    other_channel = double.add_text_channel(other, "new-episodes")
    other_mod = double.add_member(other, "mod-b", permissions=P.MANAGE_GUILD)
    await runner.start()
    await configure(runner, world, world.episodes)
    record = await (
        await double.invoke(
            other, other_mod, "admin feed channel", {"feed": "podcast", "channel": other_channel.id}
        )
    ).wait_response()
    assert "will be announced" in record.content

    # Server A's Discord is slow, then answers 5xx; it only recovers when the test says so.
    slow = asyncio.Event()
    path = f"POST /channels/{world.episodes.id}/messages"
    held = double.inject(path, status=503, gate=slow, times=1)
    burst = double.inject(path, status=502, times=None)

    _, item = await new_episode(runner, store, "ep-fan", "Everyone hears at once")
    await double.wait_for(lambda: bot_messages(world, other_channel), timeout=10, description="B's post")
    # B's announcement was created while A's first send was still unanswered: nothing of A held B back.
    a_sends = double.requests_to(path)
    assert held.hits == 1 and len(a_sends) == 1 and a_sends[0].status is None
    assert not bot_messages(world, world.episodes)
    first = await store.announcements.delivery_for(world.guild.id, item.id)
    second = await store.announcements.delivery_for(other.id, item.id)
    assert first is not None and second is not None and first.id < second.id  # A was first in line

    slow.set()  # A answers its held request with a 503, then its next try meets the 502 burst
    await double.wait_for(lambda: burst.hits >= 1, timeout=10, description="A's retry in the burst")
    burst.cancel()  # A's errors clear
    await eventually(lambda: delivery_state(store, world.guild.id, item.id, *SENT), what="A's post")

    posted = bot_messages(world, world.episodes)
    assert [m.embeds[0]["title"] for m in posted] == ["Everyone hears at once"]  # exactly once
    assert [m.embeds[0]["title"] for m in bot_messages(world, other_channel)] == ["Everyone hears at once"]
    a_statuses = [r.status for r in double.requests_to(path)]
    assert a_statuses[:2] == [503, 502] and a_statuses[-1] == 200
    assert {r.json["nonce"] for r in double.requests_to(path)} == {posted[0].nonce}  # one message, one nonce
