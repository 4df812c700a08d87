"""What the announcement end-to-end tests do again and again: a moderator configuring the podcast, the
feed worker finding an episode, reading the bot's messages and a delivery's state back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.announce.models import DeliveryState
from bot.feeds.models import Feed, StoredItem
from bot.store import Store
from bot.timeutil import utcnow
from tests.announce.conftest import AnnounceRunner, World
from tests.announce.helpers import add_item, podcast
from tests.doubles.discord import Message
from tests.feeds.builders import Item
from tests.harness import hub_for


async def configure(runner: AnnounceRunner, world: World, channel: Any, **extra: Any) -> None:
    """A moderator points the podcast at `channel` (and sets the mod-log) with the real commands."""
    double, guild, mod = world.double, world.guild, world.mod
    record = await (
        await double.invoke(guild, mod, "admin feed channel", {"feed": "podcast", "channel": channel.id})
    ).wait_response()
    assert "will be announced" in record.content, record.content
    await (await double.invoke(guild, mod, "admin modlog", {"channel": world.modlog.id})).wait_response()
    for name, value in extra.items():
        await (
            await double.invoke(guild, mod, f"admin feed {name}", {"feed": "podcast", **value})
        ).wait_response()


async def new_episode(
    runner: AnnounceRunner, store: Store, key: str, title: str, **fields: Any
) -> tuple[Feed, StoredItem]:
    """The feed worker found a new episode: stored, then announced to listeners (as the worker does)."""
    assert runner.bot is not None
    feed = await podcast(store, runner.bot.settings.podcast_feed_url)
    item = await add_item(store, feed, key, title, **fields)
    await hub_for(runner.bot).on_new_items(feed, [item])
    return feed, item


def bot_messages(world: World, channel: Any) -> list[Message]:
    return [m for m in world.double.messages_in(channel) if m.author.id == world.double.world.bot.id]


async def delivery_state(store: Store, guild_id: int, item_id: int, *states: DeliveryState) -> bool:
    delivery = await store.announcements.delivery_for(guild_id, item_id)
    return delivery is not None and delivery.state in states


def episode(n: int, title: str | None = None) -> Item:
    return Item(
        guid=f"guid-{n}",
        title=title or f"Episode {n}",
        link=f"https://example.com/ep/{n}",
        published=utcnow() - timedelta(hours=10 - n),
        description=f"<p>Notes of episode {n}.</p>",
        audio_url=f"https://cdn.example.com/{n}.mp3",
        duration="00:42:10",
    )
