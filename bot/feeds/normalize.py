"""One feedparser entry (plus our XML pass's extras) to a well-formed `ParsedItem`, whatever the feed held.

Guarantees: a non-empty title within 256 characters, a key, aware UTC times or None (never in the future
beyond a small skew), http(s) URLs or None, text as Markdown without raw HTML within `TEXT_LIMIT`, no
mention pings.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.feeds.html import html_to_line, html_to_markdown
from bot.feeds.identity import choose_key, content_hash, normalize_link, normalize_title
from bot.feeds.models import TEXT_LIMIT, TITLE_LIMIT, URL_LIMIT, ParsedItem, Transcript
from bot.feeds.podcast import ItemExtras, parse_duration, parse_int
from bot.render.text import defang_mentions, truncate

FUTURE_SKEW = timedelta(hours=1)
_AUDIO_PREFIXES = ("audio/", "video/")
_SPACE = re.compile(r"\s")


def clean_url(value: object) -> str | None:
    """An http(s) URL within the length limit, or None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if (
        not url.lower().startswith(("http://", "https://"))
        or len(url) > URL_LIMIT
        or any(c.isspace() for c in url)
    ):
        return None
    return url


def to_datetime(parsed: Any, now: datetime) -> datetime | None:
    """feedparser's UTC struct_time to an aware datetime, capped at `now` when it lies in the future."""
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        value = datetime(*parsed[:6], tzinfo=UTC)
    except (ValueError, OverflowError, TypeError):
        return None
    if value > now + FUTURE_SKEW:
        return now
    return value


def _entry_text(entry: Any) -> str:
    """The richest body: `content:encoded` / Atom content when present, else the summary."""
    best = ""
    for content in entry.get("content") or []:
        value = content.get("value") if isinstance(content, dict) else None
        if isinstance(value, str) and len(value) > len(best):
            best = value
    summary = entry.get("summary")
    if isinstance(summary, str) and len(summary) > len(best):
        best = summary
    return best


def _enclosure(entry: Any) -> tuple[str | None, str | None, int | None]:
    enclosures = entry.get("enclosures") or []
    chosen = None
    for enclosure in enclosures:
        kind = str(enclosure.get("type") or "")
        if kind.startswith(_AUDIO_PREFIXES):
            chosen = enclosure
            break
    chosen = chosen or (enclosures[0] if enclosures else None)
    if not chosen:
        return None, None, None
    length = parse_int(str(chosen.get("length") or ""), limit=2**53)
    kind = chosen.get("type")
    return clean_url(chosen.get("href")), kind if isinstance(kind, str) else None, length


def _image(entry: Any) -> str | None:
    image = entry.get("image")
    if isinstance(image, dict):
        return clean_url(image.get("href"))
    return None


def normalize_entry(
    entry: Any,
    extras: ItemExtras | None,
    *,
    position: int,
    guid_counts: Counter[str],
    now: datetime,
) -> ParsedItem:
    """A well-formed item from a feedparser entry and (when our XML pass read it) its extras."""
    extras = extras or ItemExtras()
    text = truncate(defang_mentions(html_to_markdown(_entry_text(entry))), TEXT_LIMIT)
    title = defang_mentions(html_to_line(entry.get("title") if isinstance(entry.get("title"), str) else ""))
    # dict.get skips feedparser's deprecated updated->published key mapping (and its warning)
    published = to_datetime(dict.get(entry, "published_parsed"), now) or to_datetime(
        dict.get(entry, "updated_parsed"), now
    )
    if not title:
        first_line = text.splitlines()[0] if text else ""
        when = published.strftime("%Y-%m-%d") if published else None
        title = first_line or (f"Untitled item of {when}" if when else "Untitled item")
    title = truncate(title, TITLE_LIMIT)
    link = clean_url(entry.get("link"))
    raw_guid = entry.get("id") if isinstance(entry.get("id"), str) else None
    guid = (raw_guid or extras.guid or "").strip() or None
    audio_url, audio_type, audio_length = _enclosure(entry)
    if extras.audio_url:
        audio_url = clean_url(extras.audio_url) or audio_url
        audio_type = extras.audio_type or audio_type
        audio_length = extras.audio_length if extras.audio_length is not None else audio_length
    duration = extras.duration_seconds or parse_duration(str(entry.get("itunes_duration") or ""))
    transcripts = [
        Transcript(url=url, type=t.type, language=t.language, rel=t.rel)
        for t in extras.transcripts
        if (url := clean_url(t.url))
    ]
    key = choose_key(
        guid,
        guid_counts=guid_counts,
        link=link,
        title=title,
        published=published,
        extra="" if link else text[:200],
    )
    return ParsedItem(
        key=key,
        title=title,
        guid=guid[:1000] if guid else None,
        link=link,
        published=published,
        audio_url=audio_url,
        audio_type=audio_type[:100] if audio_type else None,
        audio_length=audio_length,
        duration_seconds=duration,
        season=extras.season
        if extras.season is not None
        else parse_int(str(entry.get("itunes_season") or "")),
        episode_number=(
            extras.episode_number
            if extras.episode_number is not None
            else parse_int(str(entry.get("itunes_episode") or ""))
        ),
        image_url=clean_url(extras.image_url) or _image(entry),
        chapters_url=clean_url(extras.chapters_url),
        transcripts=transcripts,
        text=text,
        episode_display=extras.episode_display,
        content_hash=content_hash(title, text),
        norm_link=normalize_link(link),
        norm_title=normalize_title(title),
        position=position,
    )
