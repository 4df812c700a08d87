"""Exactly once under Discord failures: lost answers, 429, 5xx, 403 and 404, and recovery after a fix."""

from __future__ import annotations

from bot.announce.models import DeliveryState
from bot.store import Store
from tests.announce.conftest import AnnounceRunner, SendInterceptor, World
from tests.announce.flows import bot_messages, configure, delivery_state, new_episode
from tests.doubles.discord import ChannelType, RecordedRequest
from tests.harness import eventually


def announcement_posts(world: World, channel_id: int) -> list[RecordedRequest]:
    return world.double.requests_to(f"POST /channels/{channel_id}/messages")


async def test_a_lost_answer_and_a_429_still_make_one_message(
    runner: AnnounceRunner, world: World, store: Store, interceptor: SendInterceptor
) -> None:
    double = world.double
    await runner.start()
    await configure(runner, world, world.episodes)
    path = f"/channels/{world.episodes.id}/messages"
    posts: list[RecordedRequest] = []

    def second_post(request: RecordedRequest) -> bool:
        if request.method == "POST" and request.path == path:
            posts.append(request)
            return len(posts) == 2
        return False

    interceptor.lose_answers(1)  # 1st send: Discord creates the message, the answer is a 500
    double.inject(second_post, status=429, retry_after=0.05)  # 2nd send: rate limited

    _, item = await new_episode(runner, store, "ep-1", "Survives a flaky Discord")

    await eventually(lambda: delivery_state(store, world.guild.id, item.id, DeliveryState.DONE), what="done")
    messages = bot_messages(world, world.episodes)
    assert len(messages) == 1
    sends = announcement_posts(world, world.episodes.id)
    assert len(sends) == 3  # created-but-lost, 429, then the nonce returned the first message
    assert {s.json["nonce"] for s in sends} == {messages[0].nonce}
    assert all(s.json["enforce_nonce"] is True for s in sends)
    delivery = await store.announcements.delivery_for(world.guild.id, item.id)
    assert delivery is not None and delivery.message_id == messages[0].id


async def test_a_server_error_is_retried_once_with_the_same_nonce(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double = world.double
    await runner.start()
    await configure(runner, world, world.episodes)
    double.inject(f"POST /channels/{world.episodes.id}/messages", status=502, times=1)

    _, item = await new_episode(runner, store, "ep-2", "After a 502")

    await eventually(lambda: delivery_state(store, world.guild.id, item.id, DeliveryState.DONE), what="done")
    assert len(bot_messages(world, world.episodes)) == 1
    assert len(announcement_posts(world, world.episodes.id)) == 2


async def test_403_pauses_alerts_once_and_resume_delivers_everything_once(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double, guild, mod = world.double, world.guild, world.mod
    await runner.start()
    await configure(runner, world, world.episodes)
    double.deny_bot(world.episodes)

    _, first = await new_episode(runner, store, "ep-3", "Missed while broken")
    alert = await double.wait_for_message(world.modlog.id, lambda m: "paused" in m.content, timeout=10)
    assert world.episodes.mention in alert.content and "/admin feed resume feed:podcast" in alert.content
    assert "Send Messages" in alert.content
    assert alert.allowed_mentions == {"parse": []}

    _, second = await new_episode(runner, store, "ep-4", "Also missed")
    for _ in range(3):  # the loop runs again and again: still no retry against a 403
        cycles = runner.cog.cycles
        runner.cog.wake()
        await eventually(lambda c=cycles: _at_least(runner, c + 1), what="another delivery cycle")
    assert len(announcement_posts(world, world.episodes.id)) == 1  # no retry loop against a 403
    assert len([m for m in bot_messages(world, world.modlog) if "paused" in m.content]) == 1  # one alert
    why = await (
        await double.invoke(guild, mod, "admin feed why", {"episode": str(second.id)})
    ).wait_response()
    assert "paused" in why.embeds[0]["description"]

    double.allow_bot(world.episodes)  # the moderator's fix: the bot notices it and resumes by itself
    resumed = await double.wait_for_message(world.modlog.id, lambda m: "are resumed" in m.content, timeout=10)
    assert world.episodes.mention in resumed.content and "2 waiting announcement(s)" in resumed.content

    await eventually(lambda: delivery_state(store, guild.id, second.id, DeliveryState.DONE), what="both sent")
    titles = [m.embeds[0]["title"] for m in bot_messages(world, world.episodes)]
    assert titles == ["Missed while broken", "Also missed"]  # each once, in order
    assert await delivery_state(store, guild.id, first.id, DeliveryState.DONE)


async def _at_least(runner: AnnounceRunner, cycles: int) -> bool:
    return bool(runner.cog.cycles >= cycles)


async def test_404_without_a_modlog_tells_the_owner_and_a_new_channel_recovers(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double, guild, mod = world.double, world.guild, world.mod
    await runner.start()
    record = await (
        await double.invoke(
            guild, mod, "admin feed channel", {"feed": "podcast", "channel": world.episodes.id}
        )
    ).wait_response()
    assert "will be announced" in record.content
    await double.delete_channel(world.episodes)

    _, item = await new_episode(runner, store, "ep-5", "Channel vanished")

    def owner_dm() -> bool:
        channel_id = double.world.dm_channels.get(guild.owner_id)
        return channel_id is not None and any(
            "no longer exists" in m.content for m in double.messages_in(channel_id)
        )

    await double.wait_for(owner_dm, timeout=10, description="a DM to the owner")
    dm = double.messages_in(double.world.dm_channels[guild.owner_id])[0]
    assert "/admin feed channel feed:podcast" in dm.content and "/admin modlog" in dm.content

    fresh = double.add_text_channel(guild, "episodes-v2")
    record = await (
        await double.invoke(
            guild, mod, "admin feed channel", {"feed": "podcast", "channel": fresh.id}, channel=world.modlog
        )
    ).wait_response()
    assert "resumed" in record.content

    await eventually(lambda: delivery_state(store, guild.id, item.id, DeliveryState.DONE), what="delivered")
    assert [m.embeds[0]["title"] for m in bot_messages(world, fresh)] == ["Channel vanished"]
    assert fresh.type == ChannelType.TEXT


async def test_a_resumed_backlog_pings_the_role_once(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double, guild = world.double, world.guild
    await runner.start()
    role = double.add_role(guild, "Episode pings", mentionable=True)
    await configure(runner, world, world.episodes, role={"role": role.id})
    double.deny_bot(world.episodes)
    await new_episode(runner, store, "ep-6", "First while paused")
    await double.wait_for_message(world.modlog.id, lambda m: "paused" in m.content, timeout=10)
    await new_episode(runner, store, "ep-7", "Second while paused")
    _, last = await new_episode(runner, store, "ep-8", "Third while paused")

    double.allow_bot(world.episodes)  # resumed by itself once the permission is back
    await eventually(lambda: delivery_state(store, guild.id, last.id, DeliveryState.DONE), what="all sent")

    messages = bot_messages(world, world.episodes)
    assert [m.embeds[0]["title"] for m in messages] == [
        "First while paused",
        "Second while paused",
        "Third while paused",
    ]
    # Members who opted in hear about the backlog once, not three times in a row.
    assert [m.content for m in messages] == [f"<@&{role.id}>", "", ""]
    assert [int(r) for r in (messages[0].allowed_mentions or {})["roles"]] == [role.id]
    assert all(not (m.allowed_mentions or {}).get("roles") for m in messages[1:])
