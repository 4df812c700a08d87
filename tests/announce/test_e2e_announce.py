"""Announcements end to end: the real bot, configured by a moderator, against the Discord double."""

from __future__ import annotations

from bot.announce.models import DeliveryState
from bot.store import Store
from tests.announce.conftest import AnnounceRunner, World
from tests.announce.flows import bot_messages, configure, delivery_state, new_episode
from tests.announce.helpers import TRANSCRIPTS, add_item, edit_item
from tests.doubles.discord import Message, P
from tests.harness import eventually, hub_for


async def test_announcement_with_thread_buttons_and_role_ping(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double = world.double
    await runner.start()
    role = double.add_role(world.guild, "Episode pings", mentionable=True)
    await configure(runner, world, world.episodes, role={"role": role.id})

    _, item = await new_episode(
        runner, store, "ep-900", "Open weights @everyone <@&1> catch up", duration_seconds=1805,
        episode_number=900, image_url="https://cdn.example.com/900.jpg", transcripts=TRANSCRIPTS,
    )  # fmt: skip

    messages = await double.wait_for(
        lambda: bot_messages(world, world.episodes), timeout=10, description="the announcement"
    )
    assert len(messages) == 1
    message = messages[0]
    embed = message.embeds[0]
    assert embed["url"] == "https://example.com/episodes/ep-900"
    assert "@everyone" not in embed["title"] and "<@&1>" not in embed["title"]
    assert {f["name"]: f["value"] for f in embed["fields"]}["Duration"] == "30:05"
    assert embed["thumbnail"]["url"] == "https://cdn.example.com/900.jpg"
    buttons = [c for row in message.components for c in row["components"]]
    assert [(b.get("label"), b.get("url")) for b in buttons if b.get("url")] == [
        ("Listen", "https://example.com/episodes/ep-900"),
        ("Transcript", "https://example.com/t.html"),
    ]
    assert message.custom_ids() == [f"announce:role:{item.feed_id}"]
    # Only the configured role may be pinged; feed text pings nobody.
    assert message.content == f"<@&{role.id}>"
    assert message.allowed_mentions is not None
    assert message.allowed_mentions["parse"] == [] and [
        int(r) for r in message.allowed_mentions["roles"]
    ] == [role.id]
    assert message.mention_role_ids == [role.id] and not message.mention_everyone

    thread = await double.wait_for(
        lambda: next((t for t in double.threads if t.parent_id == world.episodes.id), None),
        timeout=10,
        description="the discussion thread",
    )
    assert thread.name == "Open weights @everyone <@&1> catch up"[:100]
    assert thread.id == message.id  # opened on the announcement itself
    await eventually(lambda: delivery_state(store, world.guild.id, item.id, DeliveryState.DONE), what="done")
    delivery = await store.announcements.delivery_for(world.guild.id, item.id)
    assert delivery is not None and delivery.thread_id == thread.id and delivery.message_id == message.id
    tracked = await store.threads.thread_for_item(world.guild.id, item.id)
    assert tracked is not None and tracked.thread_id == thread.id
    double.assert_no_errors()


async def test_forum_post_with_the_podcast_tag(runner: AnnounceRunner, world: World, store: Store) -> None:
    double = world.double
    await runner.start()
    await configure(runner, world, world.forum)

    _, item = await new_episode(runner, store, "ep-901", "Forum episode")

    thread = await double.wait_for(
        lambda: next((t for t in double.threads if t.parent_id == world.forum.id), None),
        timeout=10,
        description="the forum post",
    )
    assert thread.name == "Forum episode"
    assert thread.applied_tags == [world.forum.tag_named("Podcast").id]
    starter = double.messages_in(thread)[0]
    assert starter.embeds[0]["title"] == "Forum episode" and starter.content == ""
    assert starter.allowed_mentions == {"parse": []}
    await eventually(lambda: delivery_state(store, world.guild.id, item.id, DeliveryState.DONE), what="done")
    delivery = await store.announcements.delivery_for(world.guild.id, item.id)
    assert delivery is not None and delivery.thread_id == thread.id
    double.assert_no_errors()


async def test_an_edited_item_is_updated_in_place(runner: AnnounceRunner, world: World, store: Store) -> None:
    double = world.double
    await runner.start()
    await configure(runner, world, world.episodes)
    feed, item = await new_episode(runner, store, "ep-902", "Frist title", text="Old notes.")
    await eventually(lambda: delivery_state(store, world.guild.id, item.id, DeliveryState.DONE), what="done")

    edited = await edit_item(store, item, title="First title", text="Corrected notes.")
    assert runner.bot is not None
    await hub_for(runner.bot).on_edited_items(feed, [edited])

    def updated() -> Message | None:
        messages = bot_messages(world, world.episodes)
        return messages[0] if messages and messages[0].embeds[0]["title"] == "First title" else None

    message = await double.wait_for(updated, timeout=10, description="the edited announcement")
    assert len(bot_messages(world, world.episodes)) == 1
    assert message.embeds[0]["description"] == "Corrected notes."
    assert message.edited_at is not None
    assert double.requests_to(f"PATCH /channels/{world.episodes.id}/messages/{message.id}")


async def test_why_explains_announced_and_skipped_items(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double = world.double
    await runner.start()
    await configure(runner, world, world.episodes)
    feed, item = await new_episode(runner, store, "ep-903", "Explained episode")
    old = await add_item(store, feed, "ep-old", "Back catalogue", status="skipped", skip_reason="first_run")
    await eventually(lambda: delivery_state(store, world.guild.id, item.id, DeliveryState.DONE), what="done")

    choices = await double.autocomplete(
        world.guild, world.mod, "admin feed why", {"episode": "Explained"}, focused="episode"
    )
    assert [c["value"] for c in choices] == [str(item.id)]
    record = await (
        await double.invoke(world.guild, world.mod, "admin feed why", {"episode": str(item.id)})
    ).wait_response()
    message_id = bot_messages(world, world.episodes)[0].id
    assert record.ephemeral
    assert f"/{world.episodes.id}/{message_id}" in record.embeds[0]["description"]
    assert "Announced" in record.embeds[0]["description"]

    record = await (
        await double.invoke(world.guild, world.mod, "admin feed why", {"episode": str(old.id)})
    ).wait_response()
    assert "Not announced" in record.embeds[0]["description"]
    assert "first" in record.embeds[0]["description"]


async def test_members_cannot_configure_and_guilds_are_isolated(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double = world.double
    other = double.add_guild("Another server")
    other_channel = double.add_text_channel(other, "news")
    other_mod = double.add_member(other, "othermod", permissions=P.MANAGE_GUILD)
    await runner.start()
    await configure(runner, world, world.episodes)

    record = await (
        await double.invoke(
            world.guild,
            world.members[0],
            "admin feed pause",
            {"feed": "podcast"},
            bypass_default_permissions=True,
        )
    ).wait_response()
    assert "Only moderators" in record.content

    record = await (await double.invoke(other, other_mod, "admin feed list")).wait_response()
    assert "follows no feed" in record.content
    _, item = await new_episode(runner, store, "ep-904", "Only for the first server")
    await eventually(lambda: delivery_state(store, world.guild.id, item.id, DeliveryState.DONE), what="done")
    assert bot_messages(world, other_channel) == []
    assert await store.announcements.delivery_for(other.id, item.id) is None


async def test_a_forum_that_requires_tags_still_gets_its_post(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double = world.double
    strict = double.add_forum_channel(world.guild, "strict-forum", tags=["Debate", "Meta"], require_tag=True)
    await runner.start()
    await configure(runner, world, strict)

    _, item = await new_episode(runner, store, "ep-905", "Strict forum episode")

    await eventually(
        lambda: delivery_state(store, world.guild.id, item.id, DeliveryState.DONE), what="posted"
    )
    (post,) = [t for t in double.threads if t.parent_id == strict.id]
    assert post.applied_tags == [strict.tag_named("Debate").id]
    double.assert_no_errors()
