"""What makes an item the same item: keys, normalized links and titles, content hashes.

The key is the GUID when the item has one that is unique within the feed (`guid:<value>`); otherwise a
fingerprint of the normalized link, title and date (`fp:<hash>`). The audio URL never takes part: hosts
rewrite it (Megaphone's `?updated=`, Spotify's renamed files) without the episode changing. A "new" key
whose normalized link or title is already known in the feed is a duplicate (a GUID rewrite after a host
move), and the content hash (title + text) tells an edit from an unchanged item.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

from bot.feeds.models import KEY_LIMIT

_TRACKING = re.compile(r"^(utm_|mc_|fbclid$|gclid$|ref$|source$|_hs)", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_GUID_RE = re.compile(rb"<(?:guid|id)(?:\s[^>]*)?>(.*?)</(?:guid|id)\s*>", re.DOTALL | re.IGNORECASE)
_CDATA = re.compile(rb"^\s*<!\[CDATA\[(.*?)\]\]>\s*$", re.DOTALL)


def normalize_link(url: str | None) -> str | None:
    """A link without scheme, `www.`, fragment, trailing slash or tracking parameters (http == https)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower().removeprefix("www.")
    if not host:
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    path = parts.path.rstrip("/")
    tail = f"?{urlencode(sorted(query))}" if query else ""
    return f"{host}{path}{tail}"


def normalize_title(title: str | None) -> str | None:
    """A title folded for comparison: case, accents' forms, punctuation and spacing ignored."""
    if not title:
        return None
    folded = _NON_WORD.sub(" ", unicodedata.normalize("NFKC", title).casefold()).strip()
    return folded or None


def digest(*parts: str | None, size: int = 24) -> str:
    blob = "\x1f".join(part or "" for part in parts).encode("utf-8", "surrogatepass")
    return hashlib.sha256(blob).hexdigest()[:size]


def content_hash(title: str, text: str) -> str:
    """What an edit changes: the title and the text (show notes, newsletter body)."""
    return digest(title.strip(), text.strip(), size=32)


def guid_key(guid: str) -> str:
    guid = guid.strip()
    key = f"guid:{guid}"
    return key if len(key) <= KEY_LIMIT else f"guid#{digest(guid, size=40)}"


def fallback_key(link: str | None, title: str | None, published: datetime | None, extra: str = "") -> str:
    """A key for an item without a usable GUID, from what identifies it best."""
    stamp = published.isoformat() if published else ""
    return "fp:" + digest(normalize_link(link), normalize_title(title), stamp, extra)


def choose_key(
    guid: str | None,
    *,
    guid_counts: Counter[str],
    link: str | None,
    title: str | None,
    published: datetime | None,
    extra: str = "",
) -> str:
    """GUID first, unless missing or repeated within the feed; then the link/title/date fingerprint."""
    if guid and guid.strip() and guid_counts.get(guid.strip(), 0) < 2:
        return guid_key(guid)
    return fallback_key(link, title, published, extra)


def raw_guids(regions: Iterable[bytes]) -> Counter[str]:
    """Count the GUIDs (or Atom ids) of raw item regions cheaply, without parsing the document."""
    counts: Counter[str] = Counter()
    for region in regions:
        match = _GUID_RE.search(region)
        if match is None:
            continue
        raw = match.group(1)
        cdata = _CDATA.match(raw)
        if cdata:
            raw = cdata.group(1)
        counts[html.unescape(raw.decode("utf-8", "replace")).strip()] += 1
    return counts
