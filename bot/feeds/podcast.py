"""Our own XML pass for what feedparser drops: the Podcasting 2.0 namespace and precise iTunes fields.

feedparser keeps only the last of repeated unknown elements, so several `podcast:transcript` per item are
lost, and it ignores `podcast:chapters`, `podcast:season`, `podcast:episode` and the channel's
`podcast:guid`. Season and episode are read from both namespaces; the podcast one wins. This pass reads
them with defusedxml (no DTD entities, no external references), matching namespaces by URI so any prefix
works.
A document that this stricter parser rejects simply yields no extras; feedparser's values remain.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bot.feeds.models import Transcript

log = logging.getLogger(__name__)

MAX_DURATION = 100 * 3600
_DURATION = re.compile(r"^(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d+)?)$")


@dataclass(slots=True)
class ItemExtras:
    guid: str | None = None
    transcripts: list[Transcript] = field(default_factory=list)
    chapters_url: str | None = None
    duration_seconds: int | None = None
    season: int | None = None
    episode_number: int | None = None
    episode_display: str | None = None
    image_url: str | None = None
    audio_url: str | None = None
    audio_type: str | None = None
    audio_length: int | None = None


@dataclass(slots=True)
class ChannelExtras:
    podcast_guid: str | None = None
    new_feed_url: str | None = None
    image_url: str | None = None
    items: list[ItemExtras] = field(default_factory=list)


def _split(tag: object) -> tuple[str, str]:
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns.lower(), local
    return "", tag


def _kind(ns: str) -> str:
    if "podcastindex.org/namespace" in ns:
        return "podcast"
    if "itunes.com/dtds/podcast" in ns:
        return "itunes"
    return ns


def parse_duration(value: str | None) -> int | None:
    """Seconds from `itunes:duration`: `HH:MM:SS`, `MM:SS`, or plain seconds (possibly fractional)."""
    if not value:
        return None
    match = _DURATION.match(value.strip())
    if not match:
        return None
    first, second, last = match.groups()
    parts = [p for p in (first, second) if p is not None]
    seconds = float(last)
    for multiplier, part in zip((60, 3600), reversed(parts), strict=False):
        seconds += int(part) * multiplier
    total = round(seconds)
    return total if 0 < total <= MAX_DURATION else None


def parse_int(value: str | None, *, limit: int = 1_000_000) -> int | None:
    """A non-negative integer within `limit`, or None."""
    if value is None:
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit()):  # "²" passes isdigit() but int() refuses it
        return None
    number = int(text)
    return number if number <= limit else None


def parse_episode(element: Element) -> tuple[int | None, str | None]:
    """`<podcast:episode display="Ch. 3">3</podcast:episode>` as (number, label to show instead).

    The namespace allows a decimal ("3.5"): a whole value becomes the number, any other is kept as the
    label (the `display` attribute wins when present).
    """
    raw = (element.text or "").strip()
    display = " ".join((element.get("display") or "").split())[:100] or None
    number = parse_int(raw)
    if number is None:
        try:
            value = float(raw)
        except ValueError:
            return None, display
        if value.is_integer() and 0 <= value <= 1_000_000:
            number = int(value)
        elif value >= 0 and len(raw) <= 20:
            display = display or raw
    return number, display


def _text(element: Element) -> str | None:
    text = (element.text or "").strip()
    return text or None


def _item(element: Element) -> ItemExtras:
    extras = ItemExtras()
    podcast_season: int | None = None
    podcast_episode: tuple[int | None, str | None] | None = None
    for child in element:
        ns, local = _split(child.tag)
        kind = _kind(ns)
        if kind == "podcast" and local == "transcript":
            url = (child.get("url") or "").strip()
            if url:
                extras.transcripts.append(
                    Transcript(
                        url=url, type=child.get("type"), language=child.get("language"), rel=child.get("rel")
                    )
                )
        elif kind == "podcast" and local == "chapters":
            extras.chapters_url = (child.get("url") or "").strip() or None
        elif kind == "itunes" and local == "duration":
            extras.duration_seconds = parse_duration(child.text)
        elif kind == "podcast" and local == "season":
            podcast_season = parse_int(child.text)
        elif kind == "podcast" and local == "episode":
            podcast_episode = parse_episode(child)
        elif kind == "itunes" and local == "season":
            extras.season = parse_int(child.text)
        elif kind == "itunes" and local == "episode":
            extras.episode_number = parse_int(child.text)
        elif kind == "itunes" and local == "image":
            extras.image_url = (child.get("href") or "").strip() or None
        elif not ns and local == "enclosure" and extras.audio_url is None:
            extras.audio_url = (child.get("url") or "").strip() or None
            extras.audio_type = child.get("type")
            extras.audio_length = parse_int(child.get("length"), limit=2**53)
        elif local in ("guid", "id") and ns in ("", "http://www.w3.org/2005/atom"):
            extras.guid = _text(child)
    # The Podcasting 2.0 tags win over the iTunes ones, whichever comes first in the item.
    if podcast_season is not None:
        extras.season = podcast_season
    if podcast_episode is not None and podcast_episode != (None, None):
        extras.episode_number, extras.episode_display = podcast_episode
    return extras


def extract(data: bytes) -> ChannelExtras | None:
    """The podcast extras of a document, or None when the strict parser cannot read it."""
    try:
        root = fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, LookupError) as exc:
        log.debug("own XML pass skipped: %s", exc)
        return None
    channel = root
    for element in root.iter():
        if _split(element.tag)[1] == "channel":
            channel = element
            break
    extras = ChannelExtras()
    for child in channel:
        ns, local = _split(child.tag)
        kind = _kind(ns)
        if kind == "podcast" and local == "guid":
            extras.podcast_guid = _text(child)
        elif kind == "itunes" and local == "new-feed-url":
            extras.new_feed_url = _text(child)
        elif kind == "itunes" and local == "image":
            extras.image_url = (child.get("href") or "").strip() or None
    for element in root.iter():
        if _split(element.tag)[1] in ("item", "entry"):
            extras.items.append(_item(element))
    return extras
