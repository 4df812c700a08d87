"""What `/latest` and `/episode` show: an episode card as one guild sees it, and the feeds it follows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class EpisodeCard:
    """An episode or issue as one guild sees it: the item, its digest, and where it was announced."""

    item_id: int
    feed_id: int
    feed_title: str
    feed_kind: str
    title: str
    link: str | None
    published_at: datetime | None
    summary_text: str
    duration_seconds: int | None
    image_url: str | None
    transcript_urls: list[str] = field(default_factory=list)
    tldr: str | None = None
    key_points: list[str] = field(default_factory=list)
    summary_line: str | None = None
    channel_id: int | None = None
    message_id: int | None = None
    thread_id: int | None = None
    season: int | None = None
    episode_number: int | None = None
    episode_display: str | None = None


@dataclass(frozen=True, slots=True)
class FollowedFeed:
    feed_id: int
    title: str
    kind: str
