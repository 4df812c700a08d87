"""Rows and constants of announcements: subscriptions (who follows what where) and deliveries (the outbox)."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

#: Announcements per guild and feed per UTC day when a moderator has not set a cap: the same number as
#: the feed-wide guard `Settings.feed_daily_cap` (FEED_DAILY_CAP) defaults to, so the docs can name one.
DEFAULT_DAILY_CAP = 20
#: Discord's thread auto-archive choices, in minutes.
AUTO_ARCHIVE_CHOICES = (60, 1440, 4320, 10080)
DEFAULT_AUTO_ARCHIVE = 1440
#: A send that failed with a server error or a timeout is retried this many times (with backoff).
MAX_SEND_ATTEMPTS = 8
#: The steps after the announcement (thread, digest, poll) are tried this many times each.
MAX_STEP_ATTEMPTS = 6


class ChannelKind(enum.StrEnum):
    TEXT = "text"
    FORUM = "forum"


class DeliveryState(enum.StrEnum):
    """pending → sent → thread_created → done; failed, capped and cancelled are final."""

    PENDING = "pending"  # intent recorded; not (known to be) sent
    SENT = "sent"  # the announcement exists (message id recorded)
    THREAD_CREATED = "thread_created"  # its discussion thread exists (or none is wanted)
    DONE = "done"  # tracking, digest and poll settled
    FAILED = "failed"  # gave up after bounded retries; a moderator was told
    CAPPED = "capped"  # over the daily cap for this guild and feed; never sent
    CANCELLED = "cancelled"  # the guild stopped following the feed before it was sent


OPEN_STATES = (DeliveryState.PENDING, DeliveryState.SENT, DeliveryState.THREAD_CREATED)


class DigestState(enum.StrEnum):
    WAITING = "waiting"  # not posted yet
    POSTED = "posted"  # the digest message is in the thread
    APPLIED = "applied"  # and the announcement's description shows the digest line
    SKIPPED = "skipped"  # no digest service, or no thread to post it in
    FAILED = "failed"  # the digest could not be made or posted (the announcement is unaffected)


class PollState(enum.StrEnum):
    WAITING = "waiting"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class SubscriptionSettings(TypedDict, total=False):
    """The settings a moderator may change on a subscription; a key that is absent is left unchanged."""

    ping_role_id: int | None
    threads_enabled: bool
    auto_archive_minutes: int
    daily_cap: int | None
    forum_tag_id: int | None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A guild following one feed, and how it wants its announcements."""

    id: int
    guild_id: int
    feed_id: int
    channel_id: int
    channel_kind: ChannelKind
    ping_role_id: int | None
    threads_enabled: bool
    auto_archive_minutes: int
    daily_cap: int | None
    forum_tag_id: int | None
    paused: bool
    pause_reason: str | None
    paused_by: str | None
    paused_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def effective_daily_cap(self) -> int:
        return DEFAULT_DAILY_CAP if self.daily_cap is None else self.daily_cap


@dataclass(frozen=True, slots=True)
class Delivery:
    """One item announced (or to be) in one guild: a row of the outbox."""

    id: int
    guild_id: int
    feed_id: int
    item_id: int
    channel_id: int
    nonce: str
    state: DeliveryState
    backfill: bool
    attempts: int
    in_doubt: bool
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    message_id: int | None
    thread_id: int | None
    announced_revision: int | None
    summary_line: str | None
    sent_at: datetime | None
    tracked_at: datetime | None
    digest_state: DigestState
    digest_message_id: int | None
    step_attempts: int
    poll_state: PollState
    created_at: datetime
    done_at: datetime | None


def announcement_nonce(guild_id: int, item_id: int) -> str:
    """The deterministic nonce of an announcement: same guild and item, same nonce (25 characters max).

    Sent with `enforce_nonce`, a repeated send within Discord's window returns the first message.
    """
    digest = hashlib.sha256(f"announce:{guild_id}:{item_id}".encode()).hexdigest()
    return "a" + digest[:24]


def digest_nonce(delivery_id: int) -> str:
    """The deterministic nonce of the digest message posted in a delivery's thread."""
    digest = hashlib.sha256(f"digest:{delivery_id}".encode()).hexdigest()
    return "d" + digest[:24]
