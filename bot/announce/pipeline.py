"""What follows an announcement: discussion thread → thread tracking → digest in the thread → poll.

Each step records its outcome on the delivery before the next runs, so a crash anywhere resumes at the
step that was not recorded, and each Discord write is idempotent on its own (a thread already made for
the message is reused, the digest carries a deterministic nonce, the poll service is idempotent per
episode). A failing digest or poll never touches the announcement; after bounded retries the step is
recorded as failed and the pipeline moves on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

import aiohttp
import discord

from bot.announce.delivery import ErrorKind, backoff, classify, delivery_context, describe_error
from bot.announce.models import (
    MAX_STEP_ATTEMPTS,
    ChannelKind,
    Delivery,
    DeliveryState,
    DigestState,
    PollState,
    Subscription,
    digest_nonce,
)
from bot.announce.render import build_view, render_announcement, thread_name
from bot.errors import NO_MENTIONS
from bot.events import ThreadOpened
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from discord.types.threads import ThreadArchiveDuration

    from bot.announce.alerts import Alerts
    from bot.announce.outbox import ItemSource
    from bot.events import EventBus
    from bot.feeds.models import Feed, StoredItem
    from bot.fleet import Topology
    from bot.polls.models import SuggestionLike
    from bot.store import Store

log = logging.getLogger(__name__)

THREAD_EXISTS = 160004  # Discord: "A thread has already been created for this message"
STEP_ERRORS = (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError)


@dataclass(frozen=True, slots=True)
class ReadyDigest:
    """A digest as the pipeline needs it: the embed for the thread, the one-line summary, the poll idea."""

    embed: discord.Embed
    line: str
    poll: SuggestionLike | None = None


class DigestProvider(Protocol):
    async def digest(self, item: StoredItem) -> ReadyDigest | None:
        """The item's digest, or None when it is not ready yet (asked again later)."""
        ...


class PollProvider(Protocol):
    async def create_episode_poll(
        self,
        *,
        guild_id: int,
        thread: discord.abc.Messageable,
        item_id: int,
        suggestion: SuggestionLike | None,
    ) -> int | None: ...


class TrackerProvider(Protocol):
    async def track(
        self,
        *,
        thread_id: int,
        guild_id: int,
        parent_id: int | None,
        name: str,
        item_id: int,
        tags: list[str],
    ) -> None: ...


class StepRetry(Exception):
    """A step cannot finish yet (its input is not ready); try again later without counting a failure."""


class Pipeline:
    """Advances sent deliveries through their follow-up steps. `advance` never raises."""

    def __init__(
        self,
        client: discord.Client,
        store: Store,
        items: ItemSource,
        alerts: Alerts,
        *,
        digests: DigestProvider | None = None,
        polls: PollProvider | None = None,
        tracker: TrackerProvider | None = None,
        events: EventBus | None = None,
        retry_base: float = 30.0,
        max_attempts: int = MAX_STEP_ATTEMPTS,
        clock: Callable[[], datetime] = utcnow,
        topology: Topology | None = None,
    ) -> None:
        self.client = client
        self.topology = topology
        self.store = store
        self.items = items
        self.alerts = alerts
        self.digests = digests
        self.polls = polls
        self.tracker = tracker
        self.events = events
        self.retry_base = retry_base
        self.max_attempts = max_attempts
        self.clock = clock

    async def refresh_stale(self) -> int:
        """Edit every announcement (in this process's guilds) whose item changed since it was sent; returns
        how many were edited."""
        return await refresh_stale(self.client, self.store, self.items, topology=self.topology)

    async def advance(self, delivery: Delivery) -> None:
        repo = self.store.announcements
        context = await delivery_context(self.store, self.items, delivery)
        if context is None:
            await repo.record_done(delivery.id)
            return
        sub, item, feed = context
        step = "thread"
        try:
            if delivery.state is DeliveryState.SENT:
                thread_id = await self._thread(delivery, sub, item, feed)
                await repo.record_thread(delivery.id, thread_id)
                if thread_id is not None and self.events is not None:
                    await self.events.publish(
                        ThreadOpened(
                            guild_id=delivery.guild_id,
                            thread_id=thread_id,
                            parent_id=sub.channel_id,
                            name=thread_name(item),
                            item_id=item.id,
                            tags=(feed.kind,),
                            opened_at=self.clock(),
                        )
                    )
            delivery = await repo.get_delivery(delivery.id) or delivery
            if delivery.state is not DeliveryState.THREAD_CREATED:
                return
            step = "tracking"
            if delivery.tracked_at is None and delivery.thread_id is not None and self.tracker is not None:
                await self._track(delivery, sub, item, feed)
            step = "digest"
            ready = await self._digest(delivery, sub, item, feed)
            step = "poll"
            await self._poll(delivery, ready)
            await repo.record_done(delivery.id)
        except StepRetry as retry:
            log.debug("delivery %s: %s not ready yet (%s)", delivery.id, step, retry)
            await repo.record_failure(delivery.id, f"{step}: {retry}", retry_at=self._later(delivery))
        except Exception as exc:
            await self._step_failed(delivery, sub, feed, step, exc)

    def _later(self, delivery: Delivery) -> datetime:
        return self.clock() + backoff(delivery.step_attempts + 1, self.retry_base)

    async def _step_failed(
        self, delivery: Delivery, sub: Subscription, feed: Feed, step: str, exc: Exception
    ) -> None:
        repo = self.store.announcements
        error = f"{step}: {describe_error(exc)}"
        attempts = delivery.step_attempts + 1
        # Discord refusals (4xx) will not change on retry; anything else (5xx, timeouts, a collaborator's
        # outage) is retried a bounded number of times.
        transient = classify(exc) is ErrorKind.TRANSIENT
        if not isinstance(exc, STEP_ERRORS):
            log.exception("delivery %s: %s step failed", delivery.id, step)
        if transient and attempts < self.max_attempts:
            log.warning("delivery %s: %s step failed (%s), retrying", delivery.id, step, error)
            await repo.record_failure(delivery.id, error, retry_at=self._later(delivery), steps=True)
            return
        # Give this step up and let the others go on; the announcement itself stays as it is.
        log.warning("delivery %s: giving up the %s step: %s", delivery.id, step, error)
        await repo.record_failure(delivery.id, error, retry_at=None, steps=True)
        if step == "thread":
            await repo.record_thread(delivery.id, None)
            if isinstance(exc, discord.Forbidden):
                await self.alerts.notify(
                    sub.guild_id,
                    f"⚠️ I announced an item of **{feed.display_name}** in <#{sub.channel_id}> but could not "
                    "open its discussion thread: give me Create Public Threads and Send Messages in Threads "
                    "there (or turn threads off with `/admin feed settings`).",
                )
        elif step == "tracking":
            await repo.record_tracked(delivery.id)
        elif step == "digest":
            # The poll still follows, with the default question, when the advance below reaches it.
            await repo.record_digest(delivery.id, DigestState.FAILED)
        else:
            await repo.record_poll(delivery.id, PollState.FAILED)
        fresh = await repo.get_delivery(delivery.id)
        if fresh is not None and fresh.state is DeliveryState.THREAD_CREATED and step != "thread":
            await self.advance(fresh)

    # -- steps ----------------------------------------------------------------------------------------

    async def _thread(
        self, delivery: Delivery, sub: Subscription, item: StoredItem, feed: Feed
    ) -> int | None:
        """Open the discussion thread on the announcement (text channels); returns its id or None."""
        if not sub.threads_enabled or sub.channel_kind is ChannelKind.FORUM or delivery.message_id is None:
            return None
        channel = self.client.get_channel(delivery.channel_id) or await self.client.fetch_channel(
            delivery.channel_id
        )
        if not isinstance(channel, discord.TextChannel):
            return None
        message = channel.get_partial_message(delivery.message_id)
        try:
            thread = await message.create_thread(
                name=thread_name(item),
                auto_archive_duration=cast("ThreadArchiveDuration", sub.auto_archive_minutes),
            )
        except discord.HTTPException as exc:
            if exc.code == THREAD_EXISTS:  # made before a crash: a message's thread shares its id
                return delivery.message_id
            raise
        log.info("delivery %s: discussion thread %s opened", delivery.id, thread.id)
        return thread.id

    async def _track(self, delivery: Delivery, sub: Subscription, item: StoredItem, feed: Feed) -> None:
        assert self.tracker is not None and delivery.thread_id is not None  # noqa: S101 (checked by caller)
        parent = sub.channel_id
        await self.tracker.track(
            thread_id=delivery.thread_id,
            guild_id=delivery.guild_id,
            parent_id=parent,
            name=thread_name(item),
            item_id=item.id,
            tags=[feed.kind],
        )
        await self.store.announcements.record_tracked(delivery.id)

    async def _digest(
        self, delivery: Delivery, sub: Subscription, item: StoredItem, feed: Feed
    ) -> ReadyDigest | None:
        repo = self.store.announcements
        if self.digests is None or delivery.digest_state in (DigestState.SKIPPED, DigestState.FAILED):
            if delivery.digest_state is DigestState.WAITING:
                await repo.record_digest(delivery.id, DigestState.SKIPPED)
            return None
        ready = await self.digests.digest(item)
        if ready is None:
            raise StepRetry("the digest is not ready yet")
        state = delivery.digest_state
        if state is DigestState.WAITING:
            message_id = None
            if delivery.thread_id is not None:
                thread = await self._messageable(delivery.thread_id)
                message_id = await self._previous_digest(thread, delivery) if delivery.in_doubt else None
                if message_id is None:
                    await repo.mark_sending(delivery.id)
                    posted = await thread.send(
                        embed=ready.embed, nonce=digest_nonce(delivery.id), allowed_mentions=NO_MENTIONS
                    )
                    message_id = posted.id
            await repo.record_digest(
                delivery.id, DigestState.POSTED, message_id=message_id, summary_line=ready.line
            )
            state = DigestState.POSTED
        if state is DigestState.POSTED:
            fresh = await repo.get_delivery(delivery.id)
            if fresh is not None:
                await refresh_announcement(self.client, self.store, fresh, sub, item, feed)
            await repo.record_digest(delivery.id, DigestState.APPLIED)
        return ready

    async def _previous_digest(self, thread: discord.abc.Messageable, delivery: Delivery) -> int | None:
        """After a crash mid-post: the digest already in the thread (its first embed from the bot)."""
        me = self.client.user
        if me is None:
            return None
        async for message in thread.history(limit=20, oldest_first=True):
            mine = message.author.id == me.id and message.id != delivery.message_id
            if mine and message.embeds and message.poll is None:
                log.info("delivery %s: found its digest %s from before a restart", delivery.id, message.id)
                return message.id
        return None

    async def _poll(self, delivery: Delivery, ready: ReadyDigest | None) -> None:
        repo = self.store.announcements
        if delivery.poll_state is not PollState.WAITING:
            return
        if self.polls is None or delivery.thread_id is None:
            await repo.record_poll(delivery.id, PollState.SKIPPED)
            return
        thread = await self._messageable(delivery.thread_id)
        # Without a digest, or a digest without an open-vs-closed angle, the poll service posts its default
        # question (the issue: "or a default when there is none").
        poll_id = await self.polls.create_episode_poll(
            guild_id=delivery.guild_id,
            thread=thread,
            item_id=delivery.item_id,
            suggestion=ready.poll if ready is not None else None,
        )
        await repo.record_poll(delivery.id, PollState.DONE if poll_id is not None else PollState.SKIPPED)

    async def _messageable(self, channel_id: int) -> discord.abc.Messageable:
        channel = self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise discord.ClientException(f"channel {channel_id} cannot receive messages")
        return channel


async def refresh_announcement(
    client: discord.Client, store: Store, delivery: Delivery, sub: Subscription, item: StoredItem, feed: Feed
) -> None:
    """Edit an announcement in place to show the item's current revision and digest line (no ping)."""
    if delivery.message_id is None:
        return
    where = (
        delivery.thread_id
        if sub.channel_kind is ChannelKind.FORUM and delivery.thread_id
        else delivery.channel_id
    )
    channel = client.get_channel(where) or await client.fetch_channel(where)
    if not isinstance(channel, discord.TextChannel | discord.Thread):
        return
    newsletter = None
    if feed.name == "podcast" and item.published_at is not None:
        newsletter = await store.announcements.same_day_link("newsletter", item.published_at)
    announcement = render_announcement(
        item,
        feed,
        ping_role_id=sub.ping_role_id,
        summary_line=delivery.summary_line,
        newsletter_url=newsletter,
        ping=False,
    )
    view = build_view(announcement)
    await channel.get_partial_message(delivery.message_id).edit(
        embed=announcement.embed, view=view, allowed_mentions=NO_MENTIONS
    )
    await store.announcements.record_revision(delivery.id, item.revision)


async def refresh_stale(
    client: discord.Client, store: Store, items: ItemSource, *, topology: Topology | None = None
) -> int:
    """Edit every announcement whose item changed since it was sent, in the guilds `topology` owns (every
    guild without one); returns how many were edited."""
    edited = 0
    for delivery in await store.announcements.stale_announcements(topology=topology):
        try:
            sub = await store.announcements.get_subscription(delivery.guild_id, delivery.feed_id)
            item = await items.get_item(delivery.item_id)
            feed = await items.get_feed(delivery.feed_id)
            if sub is None or item is None or feed is None:
                await store.announcements.forget_message([delivery.id])
                continue
            await refresh_announcement(client, store, delivery, sub, item, feed)
            edited += 1
        except (discord.NotFound, discord.Forbidden) as exc:
            log.info("announcement %s can no longer be edited (%s); leaving it", delivery.message_id, exc)
            await store.announcements.forget_message([delivery.id])
        except Exception:  # one announcement must not stop the others; retried next cycle
            log.exception("could not edit announcement %s", delivery.message_id)
    return edited
