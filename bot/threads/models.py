"""Rows and value objects of thread tracking. Times are aware UTC datetimes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ThreadSource = Literal["episode", "channel", "manual"]
ThreadState = Literal["active", "archived", "deleted"]


def thread_url(guild_id: int, thread_id: int) -> str:
    """The link that opens a thread in Discord (a thread is a channel)."""
    return f"https://discord.com/channels/{guild_id}/{thread_id}"


@dataclass(frozen=True, slots=True)
class TrackedThread:
    """A tracked thread with its counters, as stored."""

    thread_id: int
    guild_id: int
    parent_id: int | None
    item_id: int | None
    name: str
    source: ThreadSource
    state: ThreadState
    locked: bool
    tags: tuple[str, ...]
    message_count: int
    participant_count: int
    created_at: datetime
    first_activity_at: datetime | None
    last_activity_at: datetime | None
    tracked_at: datetime

    @property
    def url(self) -> str:
        return thread_url(self.guild_id, self.thread_id)


@dataclass(frozen=True, slots=True)
class ThreadStatus:
    """What Discord says about a thread now (from an event or a fetch); None leaves a field unchanged."""

    name: str | None = None
    archived: bool | None = None
    locked: bool | None = None
    tags: tuple[str, ...] | None = None
    parent_id: int | None = None


@dataclass(slots=True)
class ThreadDelta:
    """Activity of one thread counted in memory since the last flush."""

    messages: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    participants: set[int] = field(default_factory=set)
    hours: Counter[datetime] = field(default_factory=Counter)

    def add(self, author_id: int, at: datetime) -> None:
        self.messages += 1
        if self.first_at is None or at < self.first_at:
            self.first_at = at
        if self.last_at is None or at > self.last_at:
            self.last_at = at
        self.participants.add(author_id)
        self.hours[at.replace(minute=0, second=0, microsecond=0)] += 1

    def merge(self, other: ThreadDelta) -> None:
        """Fold `other` into this delta (used to put back a batch whose write failed)."""
        self.messages += other.messages
        for at in (other.first_at, other.last_at):
            if at is None:
                continue
            if self.first_at is None or at < self.first_at:
                self.first_at = at
            if self.last_at is None or at > self.last_at:
                self.last_at = at
        self.participants |= other.participants
        self.hours.update(other.hours)


@dataclass(frozen=True, slots=True)
class FlushResult:
    """What one flush wrote: threads updated, events written, and SQL statements run in its transaction."""

    threads: int = 0
    events: int = 0
    statements: int = 0
    transactions: int = 0


@dataclass(frozen=True, slots=True)
class TrackedParent:
    """A channel or forum whose new threads are all tracked."""

    guild_id: int
    channel_id: int
    added_by: int | None
    added_at: datetime


@dataclass(frozen=True, slots=True)
class ThreadActivity:
    """A thread with the messages it received in a window (the weekly post, the hot score)."""

    thread: TrackedThread
    messages: int


@dataclass(frozen=True, slots=True)
class WeeklyConfig:
    """When and where a guild's weekly "hot discussions" post goes (weekday 0 = Monday, hour in UTC)."""

    guild_id: int
    channel_id: int
    weekday: int
    hour: int
    configured_by: int | None
    configured_at: datetime
    last_week: str | None
    last_message_id: int | None
    last_posted_at: datetime | None


@dataclass(frozen=True, slots=True)
class PruneResult:
    deleted_threads: int = 0
    pruned_participants: int = 0
    activity_rows: int = 0
