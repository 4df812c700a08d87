"""Why an item was, or was not, announced in a guild: the answer behind `/admin feed why`.

Reads the feeds capability's verdict on the item (first run, too old, duplicate, …) and this guild's
delivery record (queued, paused, capped, failed with error X, announced at T as message M).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.announce.models import ChannelKind, Delivery, DeliveryState, DigestState, PollState, Subscription
from bot.digest.models import digest_key
from bot.render.text import defang_mentions, truncate
from bot.timeutil import discord_timestamp

if TYPE_CHECKING:
    from datetime import timedelta

    from bot.feeds.models import Feed, StoredItem
    from bot.store import Store

_DIGEST_TEXT = {
    DigestState.WAITING: "the digest is not posted yet",
    DigestState.POSTED: "the digest is posted in the thread",
    DigestState.APPLIED: "the digest is posted and its one-line summary is on the announcement",
    DigestState.SKIPPED: "no digest (none is made for this server or there is no thread)",
    DigestState.FAILED: "the digest could not be made or posted",
}
_POLL_TEXT = {
    PollState.WAITING: "the poll is not posted yet",
    PollState.DONE: "the poll is posted",
    PollState.SKIPPED: "no poll (episode polls are off, or the digest suggested none)",
    PollState.FAILED: "the poll could not be posted",
}


@dataclass(slots=True)
class Explanation:
    announced: bool
    headline: str
    details: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join([self.headline, *(f"• {line}" for line in self.details)])


def jump_url(guild_id: int, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def _announced(delivery: Delivery, sub: Subscription | None, item: StoredItem) -> Explanation:
    where = delivery.thread_id if sub and sub.channel_kind is ChannelKind.FORUM else delivery.channel_id
    assert delivery.message_id is not None  # noqa: S101 (sent states carry a message id)
    link = jump_url(delivery.guild_id, where or delivery.channel_id, delivery.message_id)
    when = discord_timestamp(delivery.sent_at, "f") if delivery.sent_at else "an unknown time"
    result = Explanation(True, f"✅ Announced {when} in <#{delivery.channel_id}> as message {link}.")
    if delivery.backfill:
        result.details.append("It was announced on request (`/admin feed backfill`), without a ping.")
    if delivery.attempts > 1:
        result.details.append(f"It took {delivery.attempts} attempts.")
    if delivery.thread_id is not None:
        result.details.append(f"Discussion: <#{delivery.thread_id}>.")
    elif delivery.state is not DeliveryState.SENT:
        result.details.append("No discussion thread (threads are off here, or I could not open one).")
    if delivery.state is not DeliveryState.SENT:
        result.details.append(
            f"{_DIGEST_TEXT[delivery.digest_state].capitalize()}; {_POLL_TEXT[delivery.poll_state]}."
        )
    if delivery.announced_revision and item.revision > 1 and delivery.announced_revision >= item.revision:
        result.details.append(
            f"The feed edited it since; the announcement was updated (revision {item.revision})."
        )
    if delivery.last_error and delivery.state is not DeliveryState.DONE:
        result.details.append(f"Last problem: {truncate(delivery.last_error, 300)}.")
    return result


def _not_sent(delivery: Delivery, sub: Subscription | None, feed: Feed) -> Explanation:
    state = delivery.state
    if state is DeliveryState.CAPPED:
        cap = sub.effective_daily_cap if sub else "its"
        return Explanation(
            False,
            f"⛔ Not announced: this server had already had its daily cap of {cap} announcements of "
            f"**{feed.display_name}** that day. A moderator can raise it with `/admin feed settings cap:`.",
        )
    if state is DeliveryState.CANCELLED:
        return Explanation(
            False, "⛔ Not announced: this server stopped following the feed before it went out."
        )
    if state is DeliveryState.FAILED:
        error = truncate(delivery.last_error or "an unknown error", 300)
        return Explanation(
            False, f"❌ Not announced: it failed after {delivery.attempts} attempt(s) with error {error}."
        )
    if sub is not None and sub.paused:
        since = discord_timestamp(sub.paused_at, "R") if sub.paused_at else ""
        reason = truncate(sub.pause_reason or "paused by a moderator", 300)
        return Explanation(
            False,
            f"⏸️ Waiting: announcements of **{feed.display_name}** are paused here {since} ({reason}). "
            "It goes out once, as soon as a moderator fixes that and runs `/admin feed resume`.",
        )
    if delivery.attempts and delivery.last_error:
        retry = discord_timestamp(delivery.next_attempt_at, "R") if delivery.next_attempt_at else "soon"
        return Explanation(
            False,
            f"⏳ Not yet: attempt {delivery.attempts} failed with error "
            f"{truncate(delivery.last_error, 300)}; next try {retry}.",
        )
    return Explanation(False, f"⏳ Queued for <#{delivery.channel_id}>; it goes out within moments.")


async def _poll_skip_reason(store: Store, item: StoredItem) -> str | None:
    """Why the item's digest withheld its episode poll (e.g. the item is not about AI), if it did."""
    row = await store.digests.latest(digest_key(item))
    return row.digest.poll.skip_reason if row is not None else None


async def explain(
    store: Store, guild_id: int, item: StoredItem, feed: Feed, *, window: timedelta | None = None
) -> Explanation:
    """Why `item` was or was not announced in `guild_id`."""
    repo = store.announcements
    delivery = await repo.delivery_for(guild_id, item.id)
    sub = await repo.get_subscription(guild_id, item.feed_id)
    title = truncate(defang_mentions(item.title), 200)
    if delivery is not None:
        result = (
            _announced(delivery, sub, item)
            if delivery.message_id is not None and delivery.state not in (DeliveryState.PENDING,)
            else _not_sent(delivery, sub, feed)
        )
    elif item.status == "skipped":
        verdict = await store.feeds.explain(item, window=window)
        result = Explanation(False, f"⛔ Not announced anywhere: {verdict.reason}.")
        if item.skip_reason == "first_run":
            result.details.append("`/admin feed backfill` announces the newest items on request.")
    elif sub is None:
        result = Explanation(False, f"➖ This server does not follow **{feed.display_name}**.")
    elif item.dispatched_at is None:
        result = Explanation(False, "⏳ Seen in the feed and about to be sent out (the next delivery cycle).")
    elif sub.created_at > item.dispatched_at:
        result = Explanation(
            False,
            f"➖ Not announced here: this server began following **{feed.display_name}** "
            f"{discord_timestamp(sub.created_at, 'f')}, after this item went out "
            f"{discord_timestamp(item.dispatched_at, 'f')}. `/admin feed backfill` can announce it.",
        )
    else:
        result = Explanation(False, "➖ There is no record of it for this server.")
    if delivery is not None and delivery.poll_state is PollState.SKIPPED:
        reason = await _poll_skip_reason(store, item)
        if reason:
            result.details.append(f"No episode poll: {truncate(reason, 300)}.")
    if item.published_at is not None:
        result.details.insert(0, f"“{title}”, published {discord_timestamp(item.published_at, 'f')}.")
    else:
        result.details.insert(0, f"“{title}”.")
    return result
