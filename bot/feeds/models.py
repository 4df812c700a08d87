"""Rows and parse results of the feeds capability, as plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.feeds.boilerplate import clean_notes
from bot.render.limits import EMBED_TITLE

FeedKind = Literal["podcast", "newsletter", "feed"]
FeedStatus = Literal["ok", "failing"]
ItemStatus = Literal["new", "skipped"]
SkipReason = Literal["first_run", "too_old", "daily_cap", "duplicate"]

# Bounds that keep every stored item within what Discord and the store can carry.
TITLE_LIMIT = EMBED_TITLE  # a title is shown as an embed title
TEXT_LIMIT = 20_000  # summary text kept for the digest; renderers cut further for embeds
URL_LIMIT = 2_000
KEY_LIMIT = 300


@dataclass(frozen=True, slots=True)
class Transcript:
    """One `podcast:transcript` of an episode."""

    url: str
    type: str | None = None
    language: str | None = None
    rel: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"url": self.url, "type": self.type, "language": self.language, "rel": self.rel}


@dataclass(slots=True)
class ParsedItem:
    """One item of a feed after parsing and normalization: always well-formed (see `parse.normalize`)."""

    key: str
    title: str
    guid: str | None = None
    link: str | None = None
    published: datetime | None = None
    audio_url: str | None = None
    audio_type: str | None = None
    audio_length: int | None = None
    duration_seconds: int | None = None
    season: int | None = None
    episode_number: int | None = None
    image_url: str | None = None
    chapters_url: str | None = None
    transcripts: list[Transcript] = field(default_factory=list)
    text: str = ""
    shown_text: str | None = None  # `text` as members read it (computed from `text` when not given)
    episode_display: str | None = None  # `<podcast:episode display="…">`, shown instead of the number
    content_hash: str = ""
    raw_hash: str | None = None
    norm_link: str | None = None
    norm_title: str | None = None
    position: int = 0  # index in the document, 0 = first (usually newest)

    def __post_init__(self) -> None:
        if self.shown_text is None:  # publisher boilerplate and link tracking removed
            self.shown_text = clean_notes(self.text)


@dataclass(slots=True)
class ParsedFeed:
    """A parsed document: channel facts and its items in document order."""

    title: str | None = None
    link: str | None = None
    podcast_guid: str | None = None
    image_url: str | None = None
    new_feed_url: str | None = None
    hub_url: str | None = None  # WebSub: <atom:link rel="hub">
    self_url: str | None = None  # WebSub topic: <atom:link rel="self">
    version: str = ""
    items: list[ParsedItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Feed:
    """A row of `feeds`: one fetched URL shared by every guild."""

    id: int
    url: str
    name: str | None
    kind: FeedKind
    title: str | None
    site_link: str | None
    podcast_guid: str | None
    image_url: str | None
    etag: str | None
    last_modified: str | None
    last_fetch_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    next_poll_at: datetime | None
    status: FeedStatus
    active: bool
    added_at: datetime
    first_fetch_done: bool
    announce_newest: int
    head_hash: str | None
    items_fingerprint: str | None
    declared_interval: float | None = None  # seconds between updates the feed declares
    declared_rrule: str | None = None  # podcast:updateFrequency as "DTSTART:…\nRRULE:…"
    feed_complete: bool = False  # podcast:updateFrequency complete="true"
    cache_max_age: float | None = None  # Cache-Control max-age of the last answer
    poll_reason: str | None = None  # why `next_poll_at` is when it is
    push_active: bool = False  # a healthy push subscription delivers; polling is the safety net

    @property
    def display_name(self) -> str:
        """The title when known, else the short name, else the URL."""
        return self.title or self.name or self.url


@dataclass(frozen=True, slots=True)
class StoredItem:
    """A row of `items`: an episode or a newsletter issue as stored."""

    id: int
    feed_id: int
    key: str
    guid: str | None
    title: str
    link: str | None
    published_at: datetime | None
    audio_url: str | None
    audio_type: str | None
    audio_length: int | None
    duration_seconds: int | None
    season: int | None
    episode_number: int | None
    image_url: str | None
    chapters_url: str | None
    transcripts: list[Transcript]
    summary_text: str
    content_hash: str
    revision: int
    edited_at: datetime | None
    first_seen_at: datetime
    status: ItemStatus
    skip_reason: SkipReason | None
    duplicate_of: int | None
    dispatched_at: datetime | None
    still_in_feed: bool
    last_seen_in_feed_at: datetime | None
    episode_display: str | None = None


Episode = StoredItem


def episode_label(season: int | None, number: int | None, display: str | None = None) -> str | None:
    """ "Season 2 · Episode 3" (or the publisher's own `display` label for the episode), or None."""
    shown = display or (str(number) if number is not None else None)
    episode = f"Episode {shown}" if shown and shown[0].isdigit() else shown
    if episode and season is not None:
        return f"Season {season} · {episode}"
    return episode or (f"Season {season}" if season is not None else None)


@dataclass(frozen=True, slots=True)
class ItemExplanation:
    """Why an item was or was not announced, for a "why" command."""

    item: StoredItem
    feed: Feed
    announced: bool
    reason: str
