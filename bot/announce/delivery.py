"""Sending one announcement, exactly once, and treating each Discord error as what it means.

Before a send the delivery is marked "in doubt" (attempt recorded); the send carries the delivery's
deterministic nonce, which discord.py sends with `enforce_nonce`, so a retry after a timeout, a 5xx or a
crash returns the message already created instead of a second one. A delivery still in doubt after a
restart first looks for its own message in the channel (beyond Discord's nonce window) before sending.

Errors: 403 (missing access) and 404 (channel gone) pause the guild's subscription to that feed and alert
its moderators once, with what to fix; nothing is retried until a moderator resumes it. 5xx, 429 without
retry and timeouts are retried with jittered exponential backoff (`ANNOUNCE_RETRY_BASE`, doubling up to
`ANNOUNCE_RETRY_MAX`). Any other refusal fails the delivery.
"""

from __future__ import annotations

import enum
import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

import aiohttp
import discord

from bot.announce.models import MAX_SEND_ATTEMPTS, ChannelKind, Delivery, Subscription
from bot.announce.render import build_view, render_announcement, thread_name
from bot.metrics import METRICS
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from bot.announce.alerts import Alerts
    from bot.announce.outbox import ItemSource
    from bot.feeds.models import Feed, StoredItem
    from bot.store import Store

log = logging.getLogger(__name__)

#: How long a role ping covers the announcements of the same feed that follow it: a backlog sent together
#: (a resumed pause, a poll that found several items) pings the role once, with its first message.
PING_COOLDOWN = timedelta(minutes=15)

#: How far back a delivery in doubt looks for the message it may already have created.
RECOVERY_SLACK = timedelta(minutes=5)
RECOVERY_HISTORY = 50


class Outcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"
    PAUSED = "paused"
    FAILED = "failed"
    SKIPPED = "skipped"


class ErrorKind(enum.StrEnum):
    FORBIDDEN = "forbidden"  # 403: a permission is missing
    GONE = "gone"  # 404: the channel (or message) no longer exists
    TRANSIENT = "transient"  # 5xx, 429, timeout, connection: retry with backoff (the nonce makes it safe)
    REJECTED = "rejected"  # any other 4xx: retrying will not help


class UnusableChannel(Exception):
    """The configured channel exists but cannot carry announcements (a voice or category channel)."""


def classify(exc: BaseException) -> ErrorKind:
    if isinstance(exc, UnusableChannel):
        return ErrorKind.GONE
    if isinstance(exc, discord.Forbidden):
        return ErrorKind.FORBIDDEN
    if isinstance(exc, discord.NotFound):
        return ErrorKind.GONE
    if isinstance(exc, discord.HTTPException):
        return ErrorKind.TRANSIENT if exc.status >= 500 or exc.status == 429 else ErrorKind.REJECTED
    return ErrorKind.TRANSIENT


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        return f"{exc.status} {exc.text or exc.response.reason}".strip()
    return f"{type(exc).__name__}: {exc}".rstrip(": ")


#: The longest wait between two tries of a delivery unless the settings say otherwise.
RETRY_MAX = 900.0


def backoff(attempts: int, base: float, cap: float = RETRY_MAX, jitter: float = 0.5) -> timedelta:
    """Jittered exponential backoff: base × 2^(attempts-1), at most `cap`, less a random share `jitter` of
    it, so servers that failed together (a Discord incident) do not all retry at the same moment."""
    delay = min(base * 2 ** max(0, attempts - 1), cap)
    return timedelta(seconds=delay * (1 - jitter * random.random()))


@dataclass(frozen=True, slots=True)
class Posted:
    message_id: int
    thread_id: int | None  # a forum post is its own thread
    pinged: bool = False  # the message pinged the feed's role


async def delivery_context(
    store: Store, items: ItemSource, delivery: Delivery
) -> tuple[Subscription, StoredItem, Feed] | None:
    """The subscription, item and feed a delivery is about, or None when any of them is gone."""
    sub = await store.announcements.get_subscription(delivery.guild_id, delivery.feed_id)
    item = await items.get_item(delivery.item_id)
    feed = await items.get_feed(delivery.feed_id)
    if sub is None or item is None or feed is None:
        return None
    return sub, item, feed


def fix_text(kind: ErrorKind, sub: Subscription, feed: Feed, error: str) -> str:
    """The alert moderators get when delivery to a channel is paused: what happened and what to do."""
    where = f"<#{sub.channel_id}>"
    name = feed.name or str(feed.id)
    if kind is ErrorKind.GONE:
        return (
            f"⚠️ Announcements of **{feed.display_name}** are paused: the channel {where} no longer exists "
            f"(Discord said {error}). Pick a new channel with `/admin feed channel feed:{name} channel:#…`; "
            "everything missed since will then be announced once."
        )
    perms = "View Channel, Send Messages, Embed Links"
    if sub.channel_kind is ChannelKind.FORUM:
        perms += ", Create Posts"
    elif sub.threads_enabled:
        perms += ", Create Public Threads, Send Messages in Threads"
    return (
        f"⚠️ Announcements of **{feed.display_name}** are paused: I may not post in {where} (Discord said "
        f"{error}). Give me {perms} there: I resume by myself as soon as I can post (or run "
        f"`/admin feed resume feed:{name}`), and everything missed since is then announced once."
    )


class Announcer:
    """Sends pending deliveries. One instance per bot; `deliver` never raises for a Discord failure."""

    def __init__(
        self,
        client: discord.Client,
        store: Store,
        items: ItemSource,
        alerts: Alerts,
        *,
        retry_base: float = 2.0,
        retry_max: float = RETRY_MAX,
        max_attempts: int = MAX_SEND_ATTEMPTS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.client = client
        self.store = store
        self.items = items
        self.alerts = alerts
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.max_attempts = max_attempts
        self.clock = clock

    async def deliver(self, delivery: Delivery) -> Outcome:
        repo = self.store.announcements
        context = await delivery_context(self.store, self.items, delivery)
        if context is None:
            await repo.record_failure(
                delivery.id, "the feed, item or subscription is gone", retry_at=None, final=True
            )
            return Outcome.SKIPPED
        sub, item, feed = context
        if sub.paused:
            return Outcome.PAUSED
        await repo.begin_attempt(delivery.id)
        try:
            channel = await self._channel(delivery.channel_id)
            posted = await self._find_previous(channel, delivery, item) if delivery.in_doubt else None
            if posted is None:
                await repo.mark_sending(delivery.id)
                posted = await self._post(channel, delivery, sub, item, feed)
        except (TimeoutError, discord.HTTPException, UnusableChannel, aiohttp.ClientError, OSError) as exc:
            outcome = await self._failed(delivery, sub, feed, exc)
            METRICS.announcements.labels(outcome=outcome.value).inc()
            return outcome
        await repo.record_sent(
            delivery.id, posted.message_id, item.revision, thread_id=posted.thread_id, pinged=posted.pinged
        )
        METRICS.announcements.labels(outcome=Outcome.SENT.value).inc()
        if item.published_at is not None and not delivery.backfill:
            lag = max(0.0, (self.clock() - item.published_at).total_seconds())
            METRICS.publish_to_announce_seconds.labels(kind=feed.kind).observe(lag)
        log.info("announced item %s in guild %s as message %s", item.id, delivery.guild_id, posted.message_id)
        return Outcome.SENT

    async def _channel(self, channel_id: int) -> discord.abc.GuildChannel | discord.Thread:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            fetched = await self.client.fetch_channel(channel_id)
            channel = fetched
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel | discord.Thread):
            raise UnusableChannel("the channel is not a text or forum channel")
        return channel

    async def _post(
        self,
        channel: discord.abc.GuildChannel | discord.Thread,
        delivery: Delivery,
        sub: Subscription,
        item: StoredItem,
        feed: Feed,
    ) -> Posted:
        newsletter = None
        if feed.name == "podcast" and item.published_at is not None:
            newsletter = await self.store.announcements.same_day_link("newsletter", item.published_at)
        ping = (
            sub.ping_role_id is not None
            and not delivery.backfill
            and not await self.store.announcements.pinged_since(
                delivery.guild_id, feed.id, self.clock() - PING_COOLDOWN
            )
        )
        announcement = render_announcement(
            item,
            feed,
            ping_role_id=live_role(channel, sub.ping_role_id),
            summary_line=delivery.summary_line,
            newsletter_url=newsletter,
            ping=ping,
        )
        pinged = announcement.ping_role_id is not None
        view = build_view(announcement)
        extra: dict[str, Any] = {"view": view} if view is not None else {}
        if isinstance(channel, discord.ForumChannel):
            tags = forum_tags(channel, sub, feed)
            created = await channel.create_thread(
                name=thread_name(item),
                auto_archive_duration=cast("Any", sub.auto_archive_minutes),
                content=announcement.content,
                embed=announcement.embed,
                allowed_mentions=announcement.allowed_mentions,
                applied_tags=tags,
                **extra,
            )
            return Posted(created.message.id, created.thread.id, pinged)
        assert isinstance(channel, discord.TextChannel | discord.Thread)  # noqa: S101 (checked by _channel)
        message = await channel.send(
            content=announcement.content,
            embed=announcement.embed,
            allowed_mentions=announcement.allowed_mentions,
            nonce=delivery.nonce,
            **extra,
        )
        return Posted(message.id, None, pinged)

    async def _find_previous(
        self, channel: discord.abc.GuildChannel | discord.Thread, delivery: Delivery, item: StoredItem
    ) -> Posted | None:
        """After a crash mid-send: the announcement this delivery already created, if there is one."""
        me = self.client.user
        since = (delivery.last_attempt_at or delivery.created_at) - RECOVERY_SLACK
        if me is None:
            return None
        if isinstance(channel, discord.ForumChannel):
            name = thread_name(item)
            for thread in channel.threads:
                if (
                    thread.owner_id == me.id
                    and thread.name == name
                    and thread.created_at
                    and thread.created_at >= since
                ):
                    log.info(
                        "delivery %s: found its forum post %s from before a restart", delivery.id, thread.id
                    )
                    return Posted(thread.id, thread.id)
            return None
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return None
        async for message in channel.history(limit=RECOVERY_HISTORY, after=since, oldest_first=True):
            if message.author.id != me.id or not message.embeds:
                continue
            embed = message.embeds[0]
            if embed.url == (item.link or None) and embed.title and embed.title.rstrip("…") in item.title:
                log.info("delivery %s: found its message %s from before a restart", delivery.id, message.id)
                return Posted(message.id, None, bool(message.raw_role_mentions))
        return None

    async def _failed(self, delivery: Delivery, sub: Subscription, feed: Feed, exc: BaseException) -> Outcome:
        repo = self.store.announcements
        kind = classify(exc)
        error = describe_error(exc)
        fresh = await repo.get_delivery(delivery.id)
        attempts = fresh.attempts if fresh is not None else delivery.attempts + 1
        if kind in (ErrorKind.FORBIDDEN, ErrorKind.GONE):
            await repo.clear_doubt(delivery.id)
            await repo.record_failure(delivery.id, error, retry_at=None)
            reason = f"{'missing permissions' if kind is ErrorKind.FORBIDDEN else 'channel gone'}: {error}"
            if await repo.pause(sub.guild_id, sub.feed_id, reason, by="auto"):
                log.warning("paused feed %s in guild %s: %s", sub.feed_id, sub.guild_id, reason)
                await self.alerts.notify(sub.guild_id, fix_text(kind, sub, feed, error))
            return Outcome.PAUSED
        if kind is ErrorKind.REJECTED or attempts >= self.max_attempts:
            if kind is ErrorKind.REJECTED:
                await repo.clear_doubt(delivery.id)
            await repo.record_failure(delivery.id, error, retry_at=None, final=True)
            log.error(
                "gave up announcing item %s in guild %s: %s", delivery.item_id, delivery.guild_id, error
            )
            await self.alerts.notify(
                sub.guild_id,
                f"⚠️ I could not announce an item of **{feed.display_name}** in <#{sub.channel_id}> after "
                f"{attempts} attempt(s): {error}. `/admin feed why` shows the details.",
            )
            return Outcome.FAILED
        retry_at = self.clock() + backoff(attempts, self.retry_base, self.retry_max)
        await repo.record_failure(delivery.id, error, retry_at=retry_at)
        log.warning(
            "announcing item %s in guild %s failed (%s), retry %d at %s",
            delivery.item_id,
            delivery.guild_id,
            error,
            attempts,
            retry_at,
        )
        return Outcome.RETRY


def forum_tags(forum: discord.ForumChannel, sub: Subscription, feed: Feed) -> list[discord.ForumTag]:
    """The tag for a forum post: the configured one, else one named like the feed's kind (Podcast, …)."""
    if sub.forum_tag_id is not None:
        tag = forum.get_tag(sub.forum_tag_id)
        if tag is not None:
            return [tag]
    wanted = {"podcast": ("podcast", "episode"), "newsletter": ("newsletter", "issue")}.get(
        feed.kind, ("feed",)
    )
    for tag in forum.available_tags:
        if tag.name.strip().lower() in wanted:
            return [tag]
    if forum.flags.require_tag and forum.available_tags:
        return [forum.available_tags[0]]  # the forum refuses untagged posts: any tag beats a failed post
    return []


def live_role(channel: discord.abc.GuildChannel | discord.Thread, role_id: int | None) -> int | None:
    """The ping role if it still exists in the channel's guild (a deleted role is never "pinged")."""
    if role_id is None:
        return None
    if channel.guild.get_role(role_id) is None:
        log.warning(
            "ping role %s of guild %s no longer exists; announcing without a ping", role_id, channel.guild.id
        )
        return None
    return role_id
