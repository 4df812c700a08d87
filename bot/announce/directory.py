"""`/admin feed`'s use cases: which feeds and items a guild's moderators may name, following, pausing,
resuming and configuring a feed in a guild, and adding a new feed.

A guild may act on the feeds it follows and on the built-in podcast and newsletter; a feed only other
servers follow is answered exactly as an unknown one (feed ids are small sequential numbers, so anything
else would list other servers' feeds). Every lookup is one query, autocomplete included.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Unpack

from bot.announce.models import ChannelKind, Subscription, SubscriptionSettings
from bot.announce.why import Explanation, explain
from bot.errors import UserFacingError
from bot.feeds.errors import FeedExists, FetchError
from bot.feeds.models import FeedKind
from bot.interactions import autocomplete_id
from bot.render.text import truncate

if TYPE_CHECKING:
    from bot.feeds.models import Feed, StoredItem
    from bot.feeds.worker import FeedWorker
    from bot.store import Store

log = logging.getLogger(__name__)

BUILTIN_KINDS: dict[str, FeedKind] = {"podcast": "podcast", "newsletter": "newsletter"}
PREVIEW_ITEMS = 5
MAX_CHOICES = 25


@dataclass(frozen=True, slots=True)
class Pointed:
    """A feed pointed at a channel: the subscription now, what it was before, what was resumed."""

    subscription: Subscription
    before: Subscription | None
    resumed: int | None


@dataclass(frozen=True, slots=True)
class FollowedFeed:
    """One line of `/admin feed list`: the subscription, its feed (None if gone) and what waits."""

    subscription: Subscription
    feed: Feed | None
    waiting: int


@dataclass(frozen=True, slots=True)
class FeedOption:
    """One autocomplete suggestion: what the moderator reads, and what the command receives."""

    label: str
    value: str


def unknown_feed(text: str) -> str:
    """The one refusal for a feed this server cannot act on, whether it exists elsewhere or not at all."""
    return (
        f"This server follows no feed {truncate(text, 100)!r}. Pick one of the suggestions in `feed:`, "
        "use `podcast` or `newsletter`, or follow a new feed with `/admin feed add url:<its address>`."
    )


class FeedDirectory:
    """Resolves what a moderator typed (podcast, newsletter, an id or URL, an item) within one guild."""

    def __init__(
        self,
        store: Store,
        feed_urls: Mapping[str, str],
        worker: FeedWorker | None,
        *,
        window: timedelta = timedelta(days=7),
    ) -> None:
        self.store = store
        self.feed_urls = feed_urls
        self._worker = worker
        self.window = window

    def worker(self) -> FeedWorker:
        """The feed worker, or a clear refusal when this process does not poll feeds."""
        if self._worker is None:
            raise UserFacingError("The feed poller is not running right now; try again in a minute.")
        return self._worker

    async def resolve(self, guild_id: int, text: str, *, must_follow: bool = True) -> Feed:
        """The feed a moderator of `guild_id` named: a built-in by name, or an id or URL it follows.

        `must_follow=False` (setting a channel) also accepts a built-in the guild does not follow yet.
        """
        text = text.strip()
        name = text.lower()
        if name in BUILTIN_KINDS:
            feed = await self.store.feeds.ensure_builtin(name, self.feed_urls[name], BUILTIN_KINDS[name])
            if must_follow and await self.store.announcements.get_subscription(guild_id, feed.id) is None:
                raise UserFacingError(
                    f"This server does not announce the {name} yet: "
                    f"`/admin feed channel feed:{name} channel:#…` sets it up."
                )
            return feed
        feed_id = autocomplete_id(text)
        key: int | str = feed_id if feed_id is not None else text
        found = await self.store.announcements.feed_for_guild(guild_id, key, builtin_ok=not must_follow)
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
            feed = await self.store.feeds.add_feed(url.strip())
        except FeedExists as exists:
            feed = exists.feed
            if not feed.active:
                await self.store.feeds.set_active(feed.id, True)
        return feed, [item.title for item in preview.items]

    async def forget_if_unused(self, feed: Feed) -> None:
        """Stop polling a moderator-added feed that no server follows any more (its history is kept)."""
        if feed.name is None and await self.store.announcements.count_subscribers(feed.id) == 0:
            await self.store.feeds.set_active(feed.id, False)

    async def point(self, guild_id: int, feed: Feed, channel_id: int, kind: ChannelKind) -> Pointed:
        """Announce `feed` in `channel_id`; a delivery the bot paused itself (auto) resumes with it."""
        repo = self.store.announcements
        before = await repo.get_subscription(guild_id, feed.id)
        sub = await repo.subscribe(guild_id, feed.id, channel_id, kind)
        resumed = None
        if before is not None and before.paused and before.paused_by == "auto":
            resumed = await repo.resume(guild_id, feed.id) or 0
        return Pointed(sub, before, resumed)

    async def follow(self, guild_id: int, feed: Feed, channel_id: int, kind: ChannelKind) -> Subscription:
        return await self.store.announcements.subscribe(guild_id, feed.id, channel_id, kind)

    async def unfollow(self, guild_id: int, feed: Feed) -> None:
        """Stop announcing `feed` here; a moderator-added feed nobody follows any more stops being polled."""
        await self.store.announcements.unsubscribe(guild_id, feed.id)
        await self.forget_if_unused(feed)

    async def followed(self, guild_id: int) -> list[FollowedFeed]:
        """The guild's subscriptions with their feeds and waiting counts, oldest first."""
        repo = self.store.announcements
        return [
            FollowedFeed(
                sub,
                await self.store.feeds.get_feed(sub.feed_id),
                await repo.waiting_count(guild_id, sub.feed_id),
            )
            for sub in await repo.list_subscriptions(guild_id)
        ]

    async def subscription(self, guild_id: int, feed_id: int) -> Subscription | None:
        return await self.store.announcements.get_subscription(guild_id, feed_id)

    async def configure(
        self, guild_id: int, feed_id: int, **values: Unpack[SubscriptionSettings]
    ) -> Subscription | None:
        """Change a subscription's settings (role, threads, archive, cap, forum tag); None if not followed."""
        return await self.store.announcements.update_subscription(guild_id, feed_id, **values)

    async def pause(self, guild_id: int, feed_id: int, reason: str) -> None:
        await self.store.announcements.pause(guild_id, feed_id, reason, by="moderator")

    async def resume(self, guild_id: int, feed_id: int) -> int:
        """Resume a paused subscription; how many announcements go out now."""
        return await self.store.announcements.resume(guild_id, feed_id) or 0

    async def why(self, guild_id: int, item: StoredItem) -> tuple[Feed, Explanation]:
        """Why `item` was or was not announced in this guild (with the announcement window in force)."""
        feed = await self.store.feeds.get_feed(item.feed_id)
        if feed is None:
            raise UserFacingError("That item's feed no longer exists.")
        return feed, await explain(self.store, guild_id, item, feed, window=self.window)

    async def set_mod_log(self, guild_id: int, channel_id: int | None) -> None:
        """Where health alerts go (None: to the owner by DM)."""
        await self.store.guilds.set_mod_log(guild_id, channel_id)

    async def ping_role(self, guild_id: int, feed_id: int) -> tuple[int, str] | None:
        """The role a followed feed pings here and the feed's name; None when it pings no role here."""
        sub = await self.store.announcements.get_subscription(guild_id, feed_id)
        if sub is None or sub.ping_role_id is None:
            return None
        feed = await self.store.feeds.get_feed(feed_id)
        return sub.ping_role_id, feed.display_name if feed else "this feed"

    async def feeds_with_roles(self, guild_id: int) -> list[tuple[int, str]]:
        """The guild's feeds that ping a role (members may opt in): (feed id, name), oldest first."""
        return [
            (
                entry.subscription.feed_id,
                entry.feed.display_name if entry.feed else str(entry.subscription.feed_id),
            )
            for entry in await self.followed(guild_id)
            if entry.subscription.ping_role_id is not None
        ]

    async def followed_titles(self, guild_id: int | None) -> list[str]:
        """Titles of the feeds this guild follows (for /about)."""
        return await self.store.announcements.followed_titles(guild_id)

    async def paused_by_bot(self, guild_id: int, reason_prefix: str) -> list[FollowedFeed]:
        """The guild's subscriptions the bot paused itself for a reason starting with `reason_prefix`."""
        return [
            entry
            for entry in await self.followed(guild_id)
            if entry.subscription.paused
            and entry.subscription.paused_by == "auto"
            and (entry.subscription.pause_reason or "").startswith(reason_prefix)
        ]

    async def resume_paused(self, guild_id: int, feed_id: int) -> int | None:
        """Resume a paused subscription: how many announcements go out now (None: it was not paused)."""
        return await self.store.announcements.resume(guild_id, feed_id)

    async def forget_push(self) -> int:
        """Push is off in this run: every feed marked pushed goes back to its own polling schedule."""
        return await self.store.feeds.clear_push_active()

    async def register_builtins(self) -> None:
        """Store (or move) the built-in podcast and newsletter feeds the settings name; one failing does not
        keep the other from being registered."""
        for name, url in self.feed_urls.items():
            try:
                await self.store.feeds.ensure_builtin(name, url, BUILTIN_KINDS[name])
            except Exception:
                log.exception("could not register the built-in %s feed %s", name, url)

    async def feed_options(self, guild_id: int, current: str, *, followed_only: bool) -> list[FeedOption]:
        """Autocomplete for a feed: the guild's feeds, then (unless `followed_only`) the built-ins."""
        found: list[FeedOption] = []
        builtins_followed: set[str] = set()
        for feed, followed in await self.store.announcements.visible_feeds(guild_id):
            if followed:
                found.append(FeedOption(truncate(feed.display_name, 100), feed.name or str(feed.id)))
                if feed.name:
                    builtins_followed.add(feed.name)
        if not followed_only:
            found += [FeedOption(name, name) for name in BUILTIN_KINDS if name not in builtins_followed]
        needle = current.strip().lower()
        return [o for o in found if needle in o.label.lower() or needle in o.value][:MAX_CHOICES]

    async def item(self, guild_id: int, text: str) -> StoredItem:
        """The item a moderator picked (an id from autocomplete, or a title fragment)."""
        text = text.strip()
        item_id = autocomplete_id(text)
        if item_id is not None:
            item = await self.store.feeds.get_item(item_id)
            if item is not None and await self._visible(guild_id, item.feed_id):
                return item
        matches = await self.store.announcements.find_visible_items(guild_id, text, limit=1)
        if matches:
            return matches[0]
        raise UserFacingError(
            f"No episode or issue matching {truncate(text, 100)!r} in the feeds of this server: start "
            "typing its title in `episode:` and pick one of the suggestions."
        )

    async def item_options(self, guild_id: int, current: str) -> list[FeedOption]:
        """Autocomplete for an item of the guild's feeds, newest first."""
        items = await self.store.announcements.find_visible_items(
            guild_id, current.strip(), limit=MAX_CHOICES
        )
        return [FeedOption(truncate(i.title, 100) or str(i.id), str(i.id)) for i in items]

    async def visible_item(self, guild_id: int | None, item_id: int) -> StoredItem | None:
        """The item, if this guild may read it (its feed is built-in or followed here); else None."""
        item = await self.store.feeds.get_item(item_id)
        return item if item is not None and await self._visible(guild_id, item.feed_id) else None

    async def visible_items(
        self, guild_id: int | None, text: str, *, limit: int = MAX_CHOICES
    ) -> list[StoredItem]:
        """Items this guild may read whose title contains `text` (or whose key is it), newest first."""
        return await self.store.announcements.find_visible_items(guild_id, text.strip(), limit=limit)

    async def _visible(self, guild_id: int | None, feed_id: int) -> bool:
        return any(feed.id == feed_id for feed, _ in await self.store.announcements.visible_feeds(guild_id))
