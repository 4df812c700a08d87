"""Moderator console end to end: /admin setup, /admin status, /admin audit, refusals and the mod-log echo."""

from __future__ import annotations

import pytest

from bot.client import CommunityBot
from bot.store import Store
from tests.announce.helpers import newsletter
from tests.commands.conftest import World
from tests.commands.seed import episode, follow, podcast
from tests.doubles.discord import CommandNotVisible, P
from tests.harness import eventually


async def test_setup_stores_the_configuration_and_says_exactly_what_is_missing(
    bot: CommunityBot, world: World, store: Store
) -> None:
    double = world.double
    forum = double.add_forum_channel(world.guild, "letters", tags=["Issue"])
    ping = double.add_role(world.guild, "episode-pings", mentionable=True)
    high = double.add_role(world.guild, "too-high", position=99)
    double.deny_bot(world.episodes, P.MANAGE_THREADS | P.CREATE_PUBLIC_THREADS)
    double.deny_bot(forum, P.SEND_MESSAGES)
    await eventually(lambda: _synced(bot, forum.id), what="the forum channel in the cache")

    record = await double.invoke(
        world.guild,
        world.mod,
        "admin setup",
        {
            "podcast_channel": world.episodes,
            "newsletter_channel": forum,
            "mod_log": world.modlog,
            "podcast_role": ping,
            "newsletter_role": high,
        },
    )
    final = await record.wait_final(lambda m: "My permissions" in m.content)
    assert record.ephemeral and record.response_type == 5  # deferred first, then edited
    text = final.content
    assert f"Podcast announcements go to <#{world.episodes.id}>" in text
    assert f"<#{world.episodes.id}> (announcements): missing Create Public Threads, Manage Threads" in text
    assert f"<#{forum.id}> (announcements (forum)): missing Create Posts" in text
    assert f"✅ <#{world.modlog.id}> (mod-log): everything needed" in text
    assert f"✅ <@&{ping.id}>: I can hand it out" in text
    assert f"❌ <@&{high.id}>: it is at or above my highest role" in text
    assert final.allowed_mentions == {"parse": []} and final.mention_role_ids == []

    subs = {s.channel_id: s for s in await store.announcements.list_subscriptions(world.guild.id)}
    assert set(subs) == {world.episodes.id, forum.id}
    assert subs[world.episodes.id].ping_role_id == ping.id
    assert (await store.guilds.get(world.guild.id)).mod_log_channel_id == world.modlog.id

    # The action is in the audit log and echoed to the mod-log channel, pinging nobody.
    echo = await double.wait_for_message(world.modlog.id, lambda m: "/admin setup" in m.content)
    assert f"<@{world.mod.id}> ran `/admin setup`" in echo.content and f"#{world.modlog.name}" in echo.content
    assert echo.allowed_mentions == {"parse": []} and echo.mention_user_ids == []
    entries = await store.audit.recent(world.guild.id)
    assert entries[0].command == "admin setup" and entries[0].arguments["mod_log"].startswith("#mod-log")


def _synced(bot: CommunityBot, channel_id: int) -> object:
    async def check() -> object:
        return bot.get_channel(channel_id)

    return check()


async def test_members_never_reach_admin_commands_and_refusals_are_audited(
    bot: CommunityBot, world: World, store: Store
) -> None:
    double = world.double
    with pytest.raises(CommandNotVisible):  # hidden by default permissions
        await double.invoke(world.guild, world.member, "admin status")
    # A server owner can override visibility; the run-time guard still refuses.
    record = await double.invoke(world.guild, world.member, "admin status", bypass_default_permissions=True)
    reply = await record.wait_final()
    assert record.ephemeral and "Only moderators" in reply.content and "Traceback" not in reply.content
    await eventually(lambda: store.audit.count(world.guild.id), what="the refusal to be recorded")

    audit = await world.run(world.mod, "admin audit")
    lines = audit.embeds[0]["description"]
    assert "⛔ 1 refused attempt by 1 person" in lines and "was refused" not in lines  # collapsed
    refusals = await world.run(world.mod, "admin audit", show="refusals")
    assert f"⛔ <@{world.member.id}> was refused `/admin status`" in refusals.embeds[0]["description"]
    filtered = await world.run(world.mod, "admin audit", member=world.mod, show="all")
    assert "was refused" not in (filtered.embeds[0]["description"])
    choices = await double.autocomplete(
        world.guild, world.mod, "admin audit", {"command": "sta"}, focused="command"
    )
    assert [c["value"] for c in choices] == ["admin status"]


async def test_status_reports_feeds_outbox_llm_threads_and_permissions(
    bot: CommunityBot, world: World, store: Store
) -> None:
    feed = await podcast(store)
    await follow(store, world.guild.id, feed, world.episodes.id)
    await store.feeds.update_feed(feed.id, last_error="HTTP 503 from the host", consecutive_failures=2)
    await store.digests.add_usage(1200, 300)
    world.double.deny_bot(world.episodes, P.EMBED_LINKS)

    record = await world.double.invoke(world.guild, world.mod, "admin status")
    await record.wait_final(lambda m: bool(m.embeds))
    assert record.response_type == 5 and record.ephemeral
    fields = {f["name"]: f["value"] for f in record.embeds[0]["fields"]}
    assert record.embeds[0]["title"] == "Bot status — needs attention"
    assert "The AI Daily Brief" in fields["Feeds"] and "2 failures in a row" in fields["Feeds"]
    assert "HTTP 503 from the host" in fields["Feeds"]
    assert "0 on the way, 0 failed" in fields["Announcement outbox"]
    assert (
        "1,500 tokens today of 200,000" in fields["Digests (LLM usage)"]
        or "No LLM" in fields["Digests (LLM usage)"]
    )
    assert f"❌ <#{world.episodes.id}> (announcements): missing Embed Links" in fields["My permissions"]
    assert "version" in fields["Bot"]


async def test_a_moderator_of_one_guild_cannot_see_or_change_another(
    bot: CommunityBot, world: World, store: Store
) -> None:
    double = world.double
    feed = await podcast(store)
    await follow(store, world.guild.id, feed, world.episodes.id)
    item = await episode(store, feed, "secret", "Guild A only episode")
    letter = await newsletter(store)
    await follow(store, world.other_guild.id, letter)
    await episode(store, letter, "b-issue", "Guild B newsletter issue")
    await world.run(world.mod, "admin setup", mod_log=world.modlog)

    # Guild B's moderator sees none of guild A's audit log, feeds or episodes.
    audit = await world.run(world.other_mod, "admin audit", guild=world.other_guild)
    assert audit.embeds[0]["description"] == "Nothing recorded yet."
    status = await double.invoke(world.other_guild, world.other_mod, "admin status")
    await status.wait_final(lambda m: bool(m.embeds))
    assert "Guild A" not in str(status.embeds) and "The AI Daily Brief" not in str(status.embeds)
    found = await world.run(world.other_mod, "search", guild=world.other_guild, query="guild")
    assert [f["name"] for f in found.embeds[0]["fields"]] == ["1. **Guild** B newsletter issue"]
    by_id = await world.run(world.other_mod, "episode", guild=world.other_guild, query=str(item.id))
    assert by_id.ephemeral and "Guild A only" not in by_id.content and not by_id.embeds
    choices = await double.autocomplete(
        world.other_guild, world.other_mod, "episode", {"query": "guild"}, focused="query"
    )
    assert [c["name"].split(" · ")[0] for c in choices] == ["Guild B newsletter issue"]

    # ...and changes nothing there: setup in B leaves A's configuration alone.
    lobby = double.add_text_channel(world.other_guild, "b-log")
    await eventually(lambda: _synced(bot, lobby.id), what="the new channel")
    await world.run(world.other_mod, "admin setup", guild=world.other_guild, mod_log=lobby)
    assert (await store.guilds.get(world.guild.id)).mod_log_channel_id == world.modlog.id
    assert [s.guild_id for s in await store.announcements.list_subscriptions(world.guild.id)] == [
        world.guild.id
    ]
    assert not [m for m in double.messages_in(world.modlog) if "b-log" in m.content]


async def test_a_failed_admin_action_is_audited_once_as_failed(
    bot: CommunityBot, world: World, store: Store
) -> None:
    refused = await world.run(world.mod, "admin feed pause", feed="no such feed")
    assert refused.ephemeral
    await eventually(lambda: store.audit.count(world.guild.id), what="the failure to be recorded")
    entries = await store.audit.recent(world.guild.id)
    assert [(entry.command, entry.outcome) for entry in entries] == [("admin feed pause", "failed")]
    assert entries[0].user_id == world.mod.id


async def test_refusals_are_collapsed_so_a_moderators_action_stays_on_the_first_page(
    bot: CommunityBot, world: World, store: Store
) -> None:
    double = world.double
    await world.run(world.mod, "admin modlog", channel=world.modlog)
    for _ in range(22):  # a member forcing /admin again and again
        record = await double.invoke(
            world.guild, world.member, "admin status", bypass_default_permissions=True
        )
        await record.wait_final()
    await world.run(world.mod, "admin threads weekly-off")

    async def all_recorded() -> bool:
        return await store.audit.count(world.guild.id) == 24

    await eventually(all_recorded, what="22 refusals and 2 actions recorded")

    first_page = (await world.run(world.mod, "admin audit")).embeds[0]
    lines = first_page["description"].splitlines()
    assert lines[0].startswith("⛔ 22 refused attempts by 1 person")
    assert any("ran `/admin modlog`" in line for line in lines)
    assert any("ran `/admin threads weekly-off`" in line for line in lines)
    assert "Page 1 of 1" in first_page["footer"]["text"]

    refusals = (await world.run(world.mod, "admin audit", show="refusals")).embeds[0]
    assert "Page 1 of 3" in refusals["footer"]["text"] and "22 entries" in refusals["footer"]["text"]
    assert all("was refused `/admin status`" in line for line in refusals["description"].splitlines())
    by_member = (await world.run(world.mod, "admin audit", show="all", member=world.member)).embeds[0]
    assert "22 entries" in by_member["footer"]["text"] and "ran `/admin" not in by_member["description"]
    actions = (await world.run(world.mod, "admin audit", show="actions")).embeds[0]
    assert "ran `/admin threads weekly-off`" in actions["description"]
    assert "refused" not in actions["description"]  # the audit runs themselves are actions too
    failures = (await world.run(world.mod, "admin audit", show="failures")).embeds[0]
    assert failures["description"] == "Nothing recorded yet for that filter."
