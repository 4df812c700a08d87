"""Finding the feed or item a moderator means, per guild, and the checks shared by the commands."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.announce.models import ChannelKind, Subscription
from bot.errors import UserFacingError
from bot.feeds.errors import FeedExists, FetchError
from bot.interactions import autocomplete_id
from bot.render.text import truncate

if TYPE_CHECKING:
    from bot.client import CommunityBot
    from bot.feeds.models import Feed, StoredItem
    from bot.feeds.worker import FeedWorker

log = logging.getLogger(__name__)

BUILTIN_KINDS: dict[str, Any] = {"podcast": "podcast", "newsletter": "newsletter"}
PREVIEW_ITEMS = 5


def channel_problems(channel: discord.abc.GuildChannel, sub: Subscription | None) -> str:
    """The permissions the bot lacks in `channel` to announce there, as a readable list ("" when none)."""
    me = channel.guild.me
    if me is None:
        return ""
    perms = channel.permissions_for(me)
    needed = ["view_channel", "send_messages", "embed_links"]
    if sub is not None and (sub.channel_kind is ChannelKind.FORUM or sub.threads_enabled):
        needed.append("send_messages_in_threads")
        if sub.channel_kind is ChannelKind.TEXT:
            needed.append("create_public_threads")
    missing = [name for name in needed if not getattr(perms, name)]
    return ", ".join(name.replace("_", " ").title() for name in missing)


def unknown_feed(text: str) -> str:
    """The one refusal for a feed this server cannot act on, whether it exists elsewhere or not at all."""
    return (
        f"This server follows no feed {truncate(text, 100)!r}. Pick one of the suggestions in `feed:`, "
        "use `podcast` or `newsletter`, or follow a new feed with `/admin feed add url:<its address>`."
    )


class FeedLookup:
    """Resolves what a moderator typed (podcast, newsletter, an id, a URL) within one guild."""

    def __init__(self, bot: CommunityBot, worker: FeedWorker | None) -> None:
        self.bot = bot
        self._worker = worker

    def worker(self) -> FeedWorker:
        """The feed worker, or a clear refusal when this process does not poll feeds."""
        if self._worker is None:
            raise UserFacingError("The feed poller is not running right now; try again in a minute.")
        return self._worker

    async def resolve(self, guild_id: int, text: str, *, must_follow: bool = True) -> Feed:
        """The feed a moderator of `guild_id` named: a built-in by name, or an id or URL it follows.

        `must_follow=False` (setting a channel) also accepts a built-in the guild does not follow yet. A
        feed only other servers follow gets exactly the answer an unknown one gets, after the same single
        lookup: feed ids are small sequential numbers, so anything else would list other servers' feeds.
        """
        text = text.strip()
        store = self.bot.store
        name = text.lower()
        if name in BUILTIN_KINDS:
            feed = await store.feeds.ensure_builtin(
                name, self.bot.settings.feed_urls[name], BUILTIN_KINDS[name]
            )
            if must_follow and await store.announcements.get_subscription(guild_id, feed.id) is None:
                raise UserFacingError(
                    f"This server does not announce the {name} yet: "
                    f"`/admin feed channel feed:{name} channel:#…` sets it up."
                )
            return feed
        feed_id = autocomplete_id(text)
        key: int | str = feed_id if feed_id is not None else text
        found = await store.announcements.feed_for_guild(guild_id, key, builtin_ok=not must_follow)
        if found is None:
            raise UserFacingError(unknown_feed(text))
        return found

    async def add(self, url: str) -> tuple[Feed, list[str]]:
        """Validate `url` by fetching it through the worker's guarded fetcher, then store the feed."""
        worker = self.worker()
        try:
            preview = await worker.preview_url(url.strip(), PREVIEW_ITEMS)
        except FetchError as exc:
            raise UserFacingError(f"I couldn't read that feed: {exc.reason}") from None
        try:
            feed = await self.bot.store.feeds.add_feed(url.strip())
        except FeedExists as exists:
            feed = exists.feed
            if not feed.active:
                await self.bot.store.feeds.set_active(feed.id, True)
        return feed, [item.title for item in preview.items]

    async def forget_if_unused(self, feed: Feed) -> None:
        """Stop polling a moderator-added feed that no server follows any more (its history is kept)."""
        if feed.name is None and await self.bot.store.announcements.count_subscribers(feed.id) == 0:
            await self.bot.store.feeds.set_active(feed.id, False)

    async def choices(
        self, guild_id: int | None, current: str, *, followed_only: bool
    ) -> list[app_commands.Choice[str]]:
        if guild_id is None:
            return []
        found: list[app_commands.Choice[str]] = []
        seen: set[int] = set()
        for sub in await self.bot.store.announcements.list_subscriptions(guild_id):
            feed = await self.bot.store.feeds.get_feed(sub.feed_id)
            if feed is None:
                continue
            seen.add(feed.id)
            value = feed.name or str(feed.id)
            found.append(app_commands.Choice(name=truncate(feed.display_name, 100), value=value))
        if not followed_only:
            for name in BUILTIN_KINDS:
                feed = await self.bot.store.feeds.get_feed_by_name(name)
                if feed is None or feed.id not in seen:
                    found.append(app_commands.Choice(name=name, value=name))
        needle = current.strip().lower()
        return [c for c in found if needle in c.name.lower() or needle in str(c.value)][:25]

    async def _feed_ids(self, guild_id: int) -> list[int]:
        ids = [sub.feed_id for sub in await self.bot.store.announcements.list_subscriptions(guild_id)]
        for name in BUILTIN_KINDS:
            feed = await self.bot.store.feeds.get_feed_by_name(name)
            if feed is not None and feed.id not in ids:
                ids.append(feed.id)
        return ids

    async def item(self, guild_id: int, text: str) -> StoredItem:
        """The item a moderator picked (an id from autocomplete, or a title fragment)."""
        ids = await self._feed_ids(guild_id)
        text = text.strip()
        item_id = autocomplete_id(text)
        if item_id is not None:
            item = await self.bot.store.feeds.get_item(item_id)
            if item is not None and item.feed_id in ids:
                return item
        for feed_id in ids:
            matches = await self.bot.store.feeds.find_items(text, feed_id=feed_id, limit=1)
            if matches:
                return matches[0]
        raise UserFacingError(
            f"No episode or issue matching {truncate(text, 100)!r} in the feeds of this server: start "
            "typing its title in `episode:` and pick one of the suggestions."
        )

    async def item_choices(self, guild_id: int | None, current: str) -> list[app_commands.Choice[str]]:
        if guild_id is None:
            return []
        items: list[StoredItem] = []
        for feed_id in await self._feed_ids(guild_id):
            items += await self.bot.store.feeds.find_items(current.strip(), feed_id=feed_id, limit=25)
        items.sort(key=lambda i: i.published_at or i.first_seen_at, reverse=True)
        return [
            app_commands.Choice(name=truncate(i.title, 100) or str(i.id), value=str(i.id)) for i in items[:25]
        ]
