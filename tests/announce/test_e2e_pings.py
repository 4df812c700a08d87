"""Members opting in and out of announcement pings: the 🔔 button, /subscribe, /unsubscribe."""

from __future__ import annotations

from bot.announce.models import DeliveryState
from bot.store import Store
from tests.announce.conftest import AnnounceRunner, World
from tests.announce.flows import bot_messages, configure, delivery_state, new_episode
from tests.doubles.discord import Member, Role
from tests.harness import eventually


def has_role(world: World, member: Member, role: Role) -> bool:
    return role.id in world.double.world.member(world.guild, member.user.id).role_ids


async def test_the_button_and_commands_toggle_the_ping_role(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double, guild = world.double, world.guild
    ada = world.members[0]
    role = double.add_role(guild, "Episode pings", mentionable=True)
    await runner.start()
    await configure(runner, world, world.episodes, role={"role": role.id})
    _, item = await new_episode(runner, store, "ep-1", "Ping me")
    await eventually(lambda: delivery_state(store, guild.id, item.id, DeliveryState.DONE), what="announced")
    announcement = bot_messages(world, world.episodes)[0]
    button = f"announce:role:{item.feed_id}"

    record = await (await double.click(announcement, button, ada)).wait_response()
    assert record.ephemeral and "You'll be pinged" in record.content
    assert has_role(world, ada, role)

    record = await (await double.click(announcement, button, ada)).wait_response()
    assert "won't be pinged" in record.content
    assert not has_role(world, ada, role)

    await runner.stop()  # the button outlives the process: it is handled by custom_id, state in the store
    await runner.start()
    record = await (await double.click(announcement, button, ada)).wait_response()
    assert "You'll be pinged" in record.content and has_role(world, ada, role)
    record = await (await double.click(announcement, button, ada)).wait_response()
    assert not has_role(world, ada, role)

    record = await (await double.invoke(guild, ada, "subscribe")).wait_response()
    assert "You'll be pinged" in record.content and has_role(world, ada, role)
    record = await (await double.invoke(guild, ada, "unsubscribe")).wait_response()
    assert "won't be pinged" in record.content and not has_role(world, ada, role)
    assert record.allowed_mentions == {"parse": []}


async def test_a_role_above_the_bot_is_explained_not_attempted(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double, guild, mod = world.double, world.guild, world.mod
    ada = world.members[0]
    bot_position = double.bot_role(guild).position
    high = double.add_role(guild, "Above the bot", mentionable=True, position=bot_position + 1)
    await runner.start()

    await configure(runner, world, world.episodes)
    record = await (
        await double.invoke(guild, mod, "admin feed role", {"feed": "podcast", "role": high.id})
    ).wait_response()
    assert "above my own highest role" in record.content  # the moderator is warned up front

    record = await (await double.invoke(guild, ada, "subscribe")).wait_response()
    assert "above my own highest role" in record.content
    assert not has_role(world, ada, high)
    assert not double.requests_to(f"PUT /guilds/{guild.id}/members/{ada.user.id}/roles/{high.id}")


async def test_without_manage_roles_the_member_is_told_why(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double, guild = world.double, world.guild
    ada = world.members[0]
    role = double.add_role(guild, "Episode pings", mentionable=True)
    await runner.start()
    await configure(runner, world, world.episodes, role={"role": role.id})
    double.set_bot_permissions(guild, double.bot_role(guild).permissions & ~(1 << 28))

    async def lost_manage_roles() -> bool:
        assert runner.bot is not None
        me = runner.bot.get_guild(guild.id)
        return me is not None and me.me is not None and not me.me.guild_permissions.manage_roles

    await eventually(lost_manage_roles, what="the bot to see its new permissions")
    record = await (await double.invoke(guild, ada, "subscribe")).wait_response()
    assert "Manage Roles" in record.content and not has_role(world, ada, role)
