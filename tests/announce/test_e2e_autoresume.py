"""A 403 pause resumes by itself once the moderator fixes the permission, and says so in the mod-log."""

from __future__ import annotations

from bot.announce.models import DeliveryState
from bot.store import Store
from tests.announce.conftest import AnnounceRunner, World
from tests.announce.flows import bot_messages, configure, delivery_state, new_episode
from tests.doubles.discord import P
from tests.harness import eventually


async def _paused(store: Store, world: World) -> bool:
    subs = await store.announcements.list_subscriptions(world.guild.id)
    return bool(subs) and subs[0].paused


async def test_fixing_the_bots_role_resumes_the_feed_without_a_command(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double, guild = world.double, world.guild
    await runner.start()
    await configure(runner, world, world.episodes)
    full = P.BOT_DEFAULT | P.MANAGE_ROLES
    double.set_bot_permissions(guild, full & ~P.EMBED_LINKS)  # the role loses Embed Links ...
    double.deny_bot(world.episodes, P.SEND_MESSAGES)  # ... and the channel denies sending: a 403
    _, item = await new_episode(runner, store, "ep-role", "Waits for the fix")
    await double.wait_for_message(world.modlog.id, lambda m: "are paused" in m.content, timeout=10)

    double.allow_bot(world.episodes)  # half the fix: Embed Links is still missing, the pause stands
    await eventually(lambda: _cycle_after_update(runner), what="the channel update handled")
    assert await _paused(store, world)
    assert await delivery_state(store, guild.id, item.id, DeliveryState.PENDING)

    double.set_bot_permissions(guild, full)  # the rest of the fix, on the bot's role
    resumed = await double.wait_for_message(world.modlog.id, lambda m: "are resumed" in m.content, timeout=10)
    assert "1 waiting announcement(s)" in resumed.content and resumed.mention_user_ids == []
    await eventually(lambda: delivery_state(store, guild.id, item.id, DeliveryState.DONE), what="announced")
    assert [m.embeds[0]["title"] for m in bot_messages(world, world.episodes)] == ["Waits for the fix"]
    assert len([m for m in bot_messages(world, world.modlog) if "are resumed" in m.content]) == 1


async def test_a_fix_made_while_the_bot_was_down_is_noticed_by_the_recheck(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double, guild = world.double, world.guild
    await runner.start()
    await configure(runner, world, world.episodes)
    double.deny_bot(world.episodes)
    _, item = await new_episode(runner, store, "ep-down", "Fixed while away")
    await double.wait_for_message(world.modlog.id, lambda m: "are paused" in m.content, timeout=10)
    await runner.stop()

    double.allow_bot(world.episodes)  # no CHANNEL_UPDATE reaches a stopped bot
    await runner.start()
    await double.wait_for_message(world.modlog.id, lambda m: "are resumed" in m.content, timeout=10)
    await eventually(lambda: delivery_state(store, guild.id, item.id, DeliveryState.DONE), what="announced")


async def test_a_moderators_pause_is_never_resumed_by_itself(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double, guild, mod = world.double, world.guild, world.mod
    await runner.start()
    await configure(runner, world, world.episodes)
    await (await double.invoke(guild, mod, "admin feed pause", {"feed": "podcast"})).wait_response()
    double.deny_bot(world.episodes)
    double.allow_bot(world.episodes)
    cog = runner.bot.get_cog("AutoResume") if runner.bot else None
    assert cog is not None
    live = runner.bot.get_guild(guild.id) if runner.bot else None
    assert live is not None
    assert await cog.check_guild(live) == 0  # type: ignore[attr-defined]
    assert await _paused(store, world)


async def _cycle_after_update(runner: AnnounceRunner) -> bool:
    """The auto-resume cog has had the chance to look at the update (its lock is free)."""
    cog = runner.bot.get_cog("AutoResume") if runner.bot else None
    return cog is not None and not cog._lock.locked()  # type: ignore[attr-defined]
