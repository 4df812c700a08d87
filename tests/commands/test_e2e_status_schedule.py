"""`/admin status` shows when each feed is polled next and why (the learned schedule, push, a backoff)."""

from __future__ import annotations

from datetime import timedelta

from bot.client import CommunityBot
from bot.store import Store
from bot.timeutil import utcnow
from tests.commands.conftest import World
from tests.commands.seed import follow, podcast


async def test_status_shows_the_next_poll_and_its_reason(
    bot: CommunityBot, world: World, store: Store
) -> None:
    feed = await podcast(store)
    await follow(store, world.guild.id, feed, world.episodes.id)
    due = utcnow() + timedelta(seconds=40)
    reason = "inside its publishing windows (Mon–Fri around 06:00 America/New_York): every 30 s"
    await store.feeds.update_feed(feed.id, next_poll_at=due, poll_reason=reason)

    record = await world.double.invoke(world.guild, world.mod, "admin status")
    await record.wait_final(lambda m: bool(m.embeds))
    fields = {f["name"]: f["value"] for f in record.embeds[0]["fields"]}
    assert f"next poll <t:{int(due.timestamp())}:R> ({reason})" in fields["Feeds"]
