"""`/admin threads weekly-preview` and `weekly-post-now`, end to end through the Discord protocol double."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.feeds.models import ParsedItem
from bot.store import Store
from bot.store.feeds import NewItem
from bot.threads.weekly import latest_slot, week_key
from bot.timeutil import utcnow
from tests.threads.conftest import ThreadsRunner, World
from tests.threads.helpers import record_announced

WEDNESDAY, FRIDAY = 2, 4


def _next_wednesday_noon() -> datetime:
    """A Wednesday after now, so Friday's slot of the same ISO week lies after the configuration."""
    now = utcnow()
    return latest_slot(now, WEDNESDAY, 12) + timedelta(days=7)


async def _item(store: Store, feed_id: int, key: str, title: str, published: datetime, status: str) -> int:
    item = ParsedItem(key=key, title=title, link=f"https://example.com/{key}", published=published)
    item.content_hash = key
    skip = "first_run" if status == "skipped" else None
    inserted, _ = await store.feeds.save_poll(
        feed_id, now=published, feed_fields={}, new=[NewItem(item, status, skip)]
    )  # type: ignore[arg-type]
    return inserted[0].id


async def test_preview_shows_only_announced_episodes_and_post_now_posts_once_a_week(
    runner: ThreadsRunner, world: World, store: Store
) -> None:
    double, guild, general, mod = world.double, world.guild, world.general, world.mod
    await runner.start()
    cog = runner.cog
    wednesday = _next_wednesday_noon()
    cog.clock = lambda: wednesday

    refused = await (await double.invoke(guild, mod, "admin threads weekly-post-now")).wait_final()
    assert (
        "not set up" in refused.content and "`/admin threads weekly day: hour: channel:`" in refused.content
    )

    feed = await store.feeds.ensure_builtin("podcast", "https://example.com/podcast.xml", "podcast")
    announced = await _item(store, feed.id, "e1", "Announced on Monday", wednesday - timedelta(days=2), "new")
    await _item(store, feed.id, "e0", "Seen at the first read", wednesday - timedelta(days=3), "skipped")
    await record_announced(store, guild.id, feed.id, announced, 4242)
    await (
        await double.invoke(
            guild, mod, "admin threads weekly", {"day": FRIDAY, "hour": 9, "channel": general.id}
        )
    ).wait_response()

    preview = await (await double.invoke(guild, mod, "admin threads weekly-preview")).wait_final()
    assert preview.ephemeral and "Preview only" in preview.content
    text = preview.text()
    assert "This week's hot discussions" in text and "Announced on Monday" in text
    assert "Seen at the first read" not in text  # never announced here: not one of this server's episodes
    assert double.messages_in(general) == []  # a preview posts nothing

    done = await (await double.invoke(guild, mod, "admin threads weekly-post-now")).wait_final()
    assert done.ephemeral and "Posted this week's hot discussions" in done.content
    post = await double.wait_for_message(general.id)
    assert post.embeds[0]["title"] == "This week's hot discussions"
    assert "Announced on Monday" in post.text() and "Seen at the first read" not in post.text()
    config = (await store.threads.weekly(guild.id))[0]
    assert (config.last_week, config.last_message_id) == (week_key(wednesday), post.id)

    again = await (await double.invoke(guild, mod, "admin threads weekly-post-now")).wait_final()
    assert "already out" in again.content and str(post.id) in again.content

    friday_slot = wednesday.replace(hour=9) + timedelta(days=2)
    cog.clock = lambda: friday_slot + timedelta(minutes=1)
    assert await cog.check_weekly() == 0  # this week's slot does not post again
    cog.clock = lambda: friday_slot + timedelta(days=7, minutes=1)
    assert await cog.check_weekly() == 1  # next week's does
    bot_posts = [m for m in double.messages_in(general) if m.author.id == double.world.bot.id]
    assert len(bot_posts) == 2
