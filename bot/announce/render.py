"""The announcement as Discord will show it: embed, link buttons, the opt-in button, and who may be pinged.

Pure functions of the stored item (no I/O): every text from the feed is defanged and cut to Discord's
limits on a word with "…", so a hostile or long feed can neither ping anyone nor make a send fail. Show
notes and page links are shown as `bot.feeds.boilerplate` cleans them (no publisher footers, sponsor
lists or tracking parameters); the audio URL is used exactly as published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import discord

from bot.feeds.boilerplate import clean_link, clean_notes
from bot.feeds.models import episode_label as _episode_label
from bot.render.limits import (
    BUTTON_LABEL,
    BUTTON_URL,
    EMBED_FOOTER,
    EMBED_TITLE,
    THREAD_NAME,
)
from bot.render.text import defang_mentions, truncate
from bot.timeutil import discord_timestamp

if TYPE_CHECKING:
    from bot.feeds.models import Feed, StoredItem

TEASER_LIMIT = 350

NOTIFY_PREFIX = "announce:role:"
NOTIFY_LABEL = "Notify me"

COLOURS = {
    "podcast": discord.Colour(0x7C3AED),
    "newsletter": discord.Colour(0xF97316),
    "feed": discord.Colour(0x2563EB),
}
KIND_LABELS = {"podcast": "Podcast", "newsletter": "Newsletter", "feed": "Feed"}
_TRANSCRIPT_PREFERENCE = ("text/html", "text/plain", "application/json", "text/vtt", "application/x-subrip")


@dataclass(frozen=True, slots=True)
class LinkButton:
    label: str
    url: str


@dataclass(slots=True)
class Announcement:
    """Everything needed to send or edit one announcement."""

    content: str | None
    embed: discord.Embed
    links: list[LinkButton] = field(default_factory=list)
    notify_custom_id: str | None = None
    ping_role_id: int | None = None

    @property
    def allowed_mentions(self) -> discord.AllowedMentions:
        """Only the configured ping role may be pinged; nothing else, ever."""
        if self.ping_role_id is None:
            return discord.AllowedMentions.none()
        return discord.AllowedMentions(
            everyone=False, users=False, replied_user=False, roles=[discord.Object(id=self.ping_role_id)]
        )


def safe_url(url: str | None, limit: int = 2000) -> str | None:
    """`url` when it is an http(s) URL with a host within `limit` characters, else None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > limit:
        return None
    return url


def format_duration(seconds: int | None) -> str | None:
    """H:MM:SS (or M:SS under an hour) for a positive duration."""
    if not seconds or seconds <= 0:
        return None
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def feed_kind(feed: Feed) -> str:
    return feed.kind if feed.kind in COLOURS else "feed"


def teaser(text: str, limit: int = TEASER_LIMIT) -> str:
    """The opening of the show notes: the first paragraph, whitespace folded, cut on a word."""
    text = (text or "").strip()
    if not text:
        return ""
    first = re.split(r"\n\s*\n", text, maxsplit=1)[0]
    first = re.sub(r"\s+", " ", first)
    return truncate(defang_mentions(first), limit)


def thread_name(item: StoredItem) -> str:
    """The discussion thread's name: the episode's title (1-100 characters)."""
    name = truncate(re.sub(r"\s+", " ", item.title or ""), THREAD_NAME)
    return name or "Discussion"


def episode_label(item: StoredItem) -> str | None:
    """ "Season 2 · Episode 3", from `podcast:season`/`podcast:episode` (its `display`) or the iTunes tags."""
    return _episode_label(item.season, item.episode_number, item.episode_display)


def shown_link(url: str | None, limit: int = 2000) -> str | None:
    """A page link as members see it: sponsor redirects unwrapped, tracking parameters dropped."""
    return safe_url(clean_link(url.strip()) if url else url, limit)


def transcript_url(item: StoredItem) -> str | None:
    """The transcript a person would rather read (HTML, then plain text, then captions)."""
    ranked = sorted(
        item.transcripts,
        key=lambda t: (
            _TRANSCRIPT_PREFERENCE.index(t.type)
            if t.type in _TRANSCRIPT_PREFERENCE
            else len(_TRANSCRIPT_PREFERENCE)
        ),
    )
    for transcript in ranked:
        url = safe_url(transcript.url, BUTTON_URL)
        if url:
            return url
    return None


def build_embed(item: StoredItem, feed: Feed, *, summary_line: str | None = None) -> discord.Embed:
    kind = feed_kind(feed)
    description = (
        truncate(defang_mentions(re.sub(r"\s+", " ", summary_line)), TEASER_LIMIT)
        if summary_line
        else teaser(clean_notes(item.summary_text))
    )
    embed = discord.Embed(
        title=truncate(defang_mentions(item.title or "Untitled"), EMBED_TITLE),
        url=shown_link(item.link),
        description=description or None,
        colour=COLOURS[kind],
        timestamp=item.published_at,
    )
    if item.published_at is not None:
        stamp = f"{discord_timestamp(item.published_at, 'F')} ({discord_timestamp(item.published_at, 'R')})"
        embed.add_field(name="Published", value=stamp, inline=True)
    duration = format_duration(item.duration_seconds)
    if duration:
        embed.add_field(name="Duration", value=duration, inline=True)
    label = episode_label(item)
    if label:
        embed.add_field(name="Episode", value=label, inline=True)
    artwork = safe_url(item.image_url) or safe_url(feed.image_url)
    if artwork:
        embed.set_thumbnail(url=artwork)
    footer = f"{KIND_LABELS[kind]} · {defang_mentions(feed.display_name)}"
    embed.set_footer(text=truncate(footer, EMBED_FOOTER))
    return embed


def link_buttons(item: StoredItem, feed: Feed, *, newsletter_url: str | None = None) -> list[LinkButton]:
    kind = feed_kind(feed)
    buttons: list[LinkButton] = []
    primary = shown_link(item.link, BUTTON_URL)
    if kind == "podcast":
        primary = primary or safe_url(item.audio_url, BUTTON_URL)  # the audio URL exactly as published
        if primary:
            buttons.append(LinkButton("Listen", primary))
        transcript = transcript_url(item)
        if transcript:
            buttons.append(LinkButton("Transcript", transcript))
        newsletter = shown_link(newsletter_url, BUTTON_URL)
        if newsletter:
            buttons.append(LinkButton("Newsletter", newsletter))
    elif primary:
        buttons.append(LinkButton("Read", primary))
    return buttons


def render_announcement(
    item: StoredItem,
    feed: Feed,
    *,
    ping_role_id: int | None = None,
    summary_line: str | None = None,
    newsletter_url: str | None = None,
    ping: bool = True,
) -> Announcement:
    """The announcement of `item`. `ping=False` (edits, backfills) keeps the role out of the content."""
    embed = build_embed(item, feed, summary_line=summary_line)
    pinged = ping_role_id if (ping and ping_role_id is not None) else None
    return Announcement(
        content=f"<@&{pinged}>" if pinged is not None else None,
        embed=embed,
        links=link_buttons(item, feed, newsletter_url=newsletter_url),
        notify_custom_id=f"{NOTIFY_PREFIX}{feed.id}" if ping_role_id is not None else None,
        ping_role_id=pinged,
    )


def build_view(announcement: Announcement) -> discord.ui.View | None:
    """Link buttons (no custom_id) and, with a ping role, the persistent "Notify me" toggle."""
    if not announcement.links and announcement.notify_custom_id is None:
        return None
    view = discord.ui.View(timeout=None)
    for link in announcement.links:
        view.add_item(discord.ui.Button(label=truncate(link.label, BUTTON_LABEL), url=link.url))
    if announcement.notify_custom_id is not None:
        view.add_item(
            discord.ui.Button(
                label=NOTIFY_LABEL,
                emoji="🔔",
                style=discord.ButtonStyle.secondary,
                custom_id=announcement.notify_custom_id,
            )
        )
    # The view is only a layout: clicks on the toggle are handled by the dynamic item the cog registers at
    # start-up (state read back from the store), so the view is stopped to keep it out of the view store.
    view.stop()
    return view
