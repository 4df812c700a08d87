"""Bytes to `ParsedFeed`: a cheap item-level split first, feedparser (plus our XML pass) only where needed.

`split_document` cuts a body into head, one raw region per `<item>`/`<entry>`, and tail, and hashes each
region. Hosts that rewrite `lastBuildDate` on every request change only the head, whose volatile elements
are left out of its hash, so an unchanged set of items is recognised without parsing. `parse_regions`
parses only the regions that changed (head + those regions + tail, a well-formed document of its own);
`parse_bytes` parses a whole document.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import feedparser

from bot.feeds import podcast
from bot.feeds.errors import NotAFeed
from bot.feeds.html import html_to_line
from bot.feeds.models import TITLE_LIMIT, ParsedFeed
from bot.feeds.normalize import clean_url, normalize_entry
from bot.render.text import truncate
from bot.timeutil import utcnow

log = logging.getLogger(__name__)

_ITEM_START = re.compile(rb"<(item|entry)[\s>/]")
_VOLATILE = re.compile(
    rb"<(lastBuildDate|pubDate|updated|dc:date|ttl|generator|sy:updateBase)\b[^>]*>.*?</\1\s*>|<!--.*?-->",
    re.DOTALL | re.IGNORECASE,
)


#: Items read per document, the first ones (feeds list newest first). feedparser costs ~0.5 ms an item and
#: grows superlinearly, so a 10 MB body of 100,000 tiny items would otherwise take minutes of CPU; the
#: Spotify feed of the show has ~1,500 episodes. Items past the cap count as gone from the feed.
MAX_ITEMS = 2000


def _hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=12).hexdigest()


@dataclass(slots=True)
class Document:
    """A body cut at its items. `regions` is empty when the cut is not possible (then parse it whole)."""

    body: bytes
    head: bytes = b""
    tail: bytes = b""
    regions: list[bytes] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    head_hash: str = ""
    fingerprint: str = ""


def split_document(body: bytes) -> Document:
    """Cut `body` into head, item regions and tail, with a hash per region and an items fingerprint."""
    doc = Document(body=body)
    first = _ITEM_START.search(body)
    if first is None:
        doc.head_hash = _hash(_VOLATILE.sub(b"", body))
        doc.fingerprint = _hash(b"")
        return doc
    tag = first.group(1)
    starts = [m.start() for m in re.finditer(rb"<" + tag + rb"[\s>/]", body)]
    close = body.rfind(b"</" + tag)
    end = body.find(b">", close) + 1 if close > starts[-1] else 0
    if end <= 0:
        doc.head_hash = _hash(_VOLATILE.sub(b"", body))
        doc.fingerprint = _hash(body)
        return doc
    doc.head = body[: starts[0]]
    doc.tail = body[end:]
    bounds = [*starts[1:], end]
    doc.regions = [body[start:stop] for start, stop in zip(starts, bounds, strict=True)]
    if len(doc.regions) > MAX_ITEMS:
        log.info("a document has %d items; reading the first %d", len(doc.regions), MAX_ITEMS)
        doc.regions = doc.regions[:MAX_ITEMS]
        doc.body = doc.head + b"".join(doc.regions) + doc.tail
    doc.hashes = [_hash(region) for region in doc.regions]
    doc.head_hash = _hash(_VOLATILE.sub(b"", doc.head) + b"\x00" + doc.tail)
    doc.fingerprint = _hash("".join(doc.hashes).encode())
    return doc


SNIFF_BYTES = 256 * 1024
# RSS, Atom, RSS 1.0 (RDF) and the old Channel Definition Format (a bare <CHANNEL> root).
_FEED_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:rss|feed|RDF|channel)[\s>/]", re.IGNORECASE)
_HTML_ROOT = re.compile(rb"<(?:!doctype\s+html|html)[\s>]", re.IGNORECASE)
_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")


def sniff(data: bytes) -> None:
    """Refuse at once a body whose start holds no RSS, Atom or RDF root (an HTML page, an error text).

    feedparser's lenient parser would spend tens of seconds of CPU on a large HTML page before saying it
    is not a feed; a host answering a feed URL with a login or challenge page is common. UTF-16/32 bodies
    (recognised by a byte-order mark or NUL bytes) and JSON are left to feedparser.
    """
    head = data[:SNIFF_BYTES]
    wide = head.startswith(_BOMS) or b"\x00" in head[:4]  # UTF-16/32, with or without a byte-order mark
    if wide or head.lstrip().startswith(b"{") or _FEED_ROOT.search(head):
        return
    what = "an HTML page" if _HTML_ROOT.search(head) else "no <rss>, <feed> or <rdf:RDF> element at its start"
    raise NotAFeed(f"the document is not an RSS or Atom feed ({what})")


def _feedparse(data: bytes, base_url: str | None) -> Any:
    headers = {"content-location": base_url} if base_url else None
    return feedparser.parse(data, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)


def parse_bytes(
    data: bytes,
    *,
    base_url: str | None = None,
    guid_counts: Counter[str] | None = None,
    now: datetime | None = None,
) -> tuple[ParsedFeed, int]:
    """Parse a whole document. Returns the feed and how many entries feedparser saw.

    Raises `NotAFeed` when the document is neither RSS nor Atom. A bad item is dropped with a warning;
    it never stops its feed.
    """
    now = now or utcnow()
    sniff(data)
    parsed = _feedparse(data, base_url)
    entries = list(parsed.get("entries") or [])
    channel = parsed.get("feed") or {}
    if not parsed.get("version") and not entries:
        problem = parsed.get("bozo_exception")
        detail = f" ({str(problem).splitlines()[0][:120]})" if problem else ""
        raise NotAFeed(f"the document is not an RSS or Atom feed{detail}")
    extras = podcast.extract(data)
    item_extras: list[podcast.ItemExtras | None] = [None] * len(entries)
    if extras is not None:
        if len(extras.items) == len(entries):
            item_extras = list(extras.items)
        else:
            by_guid = {e.guid: e for e in extras.items if e.guid}
            item_extras = [by_guid.get(str(entry.get("id") or "").strip()) for entry in entries]
    if guid_counts is None:
        guid_counts = Counter(str(e.get("id")).strip() for e in entries if isinstance(e.get("id"), str))
    feed = ParsedFeed(version=str(parsed.get("version") or ""))
    title = html_to_line(channel.get("title") if isinstance(channel.get("title"), str) else "")
    feed.title = truncate(title, TITLE_LIMIT) or None
    feed.link = clean_url(channel.get("link"))
    image = channel.get("image")
    feed.image_url = (extras.image_url if extras else None) or (
        clean_url(image.get("href")) if isinstance(image, dict) else None
    )
    if extras is not None:
        feed.podcast_guid = (extras.podcast_guid or "")[:200] or None
        feed.new_feed_url = clean_url(extras.new_feed_url)
    feed.new_feed_url = feed.new_feed_url or clean_url(channel.get("itunes_new-feed-url"))
    feed.hub_url, feed.self_url = websub_links(channel)
    for position, entry in enumerate(entries):
        try:
            feed.items.append(
                normalize_entry(
                    entry, item_extras[position], position=position, guid_counts=guid_counts, now=now
                )
            )
        except Exception as exc:  # one bad item never stops its feed
            log.warning("dropped item %d of %s: %r", position, base_url or "a document", exc)
            feed.warnings.append(f"item {position + 1} could not be read ({type(exc).__name__})")
    _dedupe_keys(feed)
    return feed, len(entries)


def websub_links(channel: Any) -> tuple[str | None, str | None]:
    """The WebSub hub and topic a feed declares (`<atom:link rel="hub">`, `rel="self"`), the first of each."""
    hub = topic = None
    links = channel.get("links") if hasattr(channel, "get") else None
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict):
            continue
        rel = str(link.get("rel") or "").strip().lower()
        if rel == "hub" and hub is None:
            hub = clean_url(link.get("href"))
        elif rel == "self" and topic is None:
            topic = clean_url(link.get("href"))
    return hub, topic


def _dedupe_keys(feed: ParsedFeed) -> None:
    """Two items of one document never share a key (a repeated fallback fingerprint gets a suffix)."""
    seen: Counter[str] = Counter()
    for item in feed.items:
        seen[item.key] += 1
        if seen[item.key] > 1:
            item.key = f"{item.key}~{seen[item.key]}"


def parse_document(
    doc: Document, *, base_url: str | None = None, guid_counts: Counter[str] | None = None
) -> ParsedFeed:
    """Parse a whole split document, giving each item the hash of its raw region when they line up."""
    feed, count = parse_bytes(doc.body, base_url=base_url, guid_counts=guid_counts)
    if doc.regions and count == len(doc.regions):
        for item in feed.items:
            item.raw_hash = doc.hashes[item.position]
    return feed


def parse_regions(
    doc: Document, indices: list[int], *, base_url: str | None = None, guid_counts: Counter[str] | None = None
) -> ParsedFeed | None:
    """Parse only the regions at `indices` (in a document made of head + those regions + tail).

    Returns None when feedparser does not see exactly those items (an odd document): parse it whole then.
    """
    fragment = doc.head + b"".join(doc.regions[i] for i in indices) + doc.tail
    try:
        feed, count = parse_bytes(fragment, base_url=base_url, guid_counts=guid_counts)
    except NotAFeed:
        return None
    if count != len(indices):
        return None
    for item in feed.items:
        item.raw_hash = doc.hashes[indices[item.position]]
        item.position = indices[item.position]
    return feed
