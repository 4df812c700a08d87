"""What members read of an item: publishers' footers, show-notes sponsor lists and link tracking removed.

Hosting platforms append the same lines to every item (Anchor / Spotify for Podcasters' "This episode is
sponsored by · Anchor …" behind a sponsor-tracking redirect, beehiiv's lone backslash, rule and "Powered by
beehiiv", Substack's "Thank you for subscribing …", Buzzsprout's "Support the show", Megaphone's "Learn more
about your ad choices …"), and show notes open their sponsor list with "Brought to you by:". None of it says
anything about the episode, so it is kept out of announcements, digests and the search index. The stored
item keeps the feed's text as it came; these functions are applied where that text is shown.

Public API:
- `clean_notes(text)`: show notes or a newsletter body as stored (Markdown or plain text), cleaned;
- `clean_html(markup)`: the same for HTML, returned as Markdown;
- `clean_link(url)`: a link as shown to members: a sponsor-tracking redirect unwrapped, tracking
  parameters (`utm_*`, `fbclid`, `gclid`, `mc_*`, `ref`, …) dropped. Enclosure/audio URLs are never passed
  here; a media URL (Anchor's `/podcast/play/…` redirect, an audio file) is returned unchanged anyway.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, unquote_plus, urlsplit

from bot.feeds.html import html_to_markdown

__all__ = ["clean_html", "clean_link", "clean_notes"]

# --- links ----------------------------------------------------------------------------------------------

_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_")
_TRACKING_KEYS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid", "igshid",
        "li_fat_id", "_hsenc", "_hsmi", "mkt_tok", "_ga", "_gl", "oly_anon_id", "oly_enc_id", "vero_id",
        "rb_clickid", "s_cid", "ref", "ref_src", "ref_url", "last_resource_guid", "_bhlid",
    }
)  # fmt: skip
# `si` is a share-tracking id on these hosts only; `ref` names a branch on code hosts.
_SHARE_ID_HOSTS = ("youtube.com", "youtu.be", "open.spotify.com", "spotify.link")
_CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org")
_ANCHOR_SPONSOR = re.compile(
    r"^https?://(?:www\.)?anchor\.fm/s/[^/?#]+/podcast/sponsor/[^/?#]+/url/(?P<target>[^?#\s]+)", re.I
)
_MEDIA_PATH = re.compile(r"/podcast/play/|\.(?:mp3|m4a|mp4|aac|ogg|oga|opus|wav|flac|m4v|mov)$", re.I)
_URL_IN_TEXT = re.compile(r"https?://[^\s<>()\[\]\"'`]+", re.I)
_TRAILING_PUNCTUATION = ".,;:!?*_"


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().removeprefix("www.")
    except ValueError:
        return ""


def _on(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def _is_tracking(key: str, host: str) -> bool:
    key = key.lower()
    if key == "si":
        return _on(host, _SHARE_ID_HOSTS)
    if key == "ref" and _on(host, _CODE_HOSTS):
        return False
    return key.startswith(_TRACKING_PREFIXES) or key in _TRACKING_KEYS


def clean_link(url: str, _depth: int = 0) -> str:
    """`url` as shown to members: a sponsor redirect unwrapped and tracking parameters dropped.

    Everything else (order, encoding, fragment) is kept byte for byte; media URLs come back unchanged.
    """
    if not url or _depth > 3:
        return url
    sponsor = _ANCHOR_SPONSOR.match(url)
    if sponsor:
        target = unquote(sponsor.group("target"))
        if target.lower().startswith(("http://", "https://")) and not any(c.isspace() for c in target):
            return clean_link(target, _depth + 1)
        return url
    base, hash_mark, fragment = url.partition("#")
    path, question, query = base.partition("?")
    if not question or _MEDIA_PATH.search(path):
        return url
    host = _host(url)
    pieces = query.split("&")
    kept = [p for p in pieces if p and not _is_tracking(unquote_plus(p.split("=", 1)[0]), host)]
    if len(kept) == len(pieces):
        return url
    rebuilt = path + ("?" + "&".join(kept) if kept else "")
    return rebuilt + (hash_mark + fragment if hash_mark else "")


def _clean_links_in(text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        found = match.group(0)
        url = found.rstrip(_TRAILING_PUNCTUATION)
        return clean_link(url) + found[len(url) :]

    return _URL_IN_TEXT.sub(fix, text)


# --- footers and sponsor lists --------------------------------------------------------------------------

_LINKISH = r"(?:\[[^\]\n]{0,300}\]\([^)\s]+\)|<[^>\s]+>|\S+)"
_GAP = r"\s{0,4}"  # bounded, so a hostile run of whitespace costs linear time
# Footers that arrive glued to the last sentence (plain-text descriptions, or one HTML paragraph).
_INLINE = [
    re.compile(p, re.I)
    for p in (
        # Megaphone (and its ad marketplace), Acast, Omny, ART19: one sentence appended to every item
        rf"{_GAP}Learn more about your ad[ -]?choices\.?\s{{0,4}}Visit\s{{1,4}}{_LINKISH}",
        rf"{_GAP}Hosted on Acast\.\s{{0,4}}See acast\.com/privacy for more information\.?",
        rf"{_GAP}See omnystudio\.com/listener for privacy information\.?",
        rf"{_GAP}See Privacy Policy at {_LINKISH} and California Privacy Notice at {_LINKISH}",
        # Anchor / Spotify for Podcasters in plain text: "… --- Send in a voice message: https://…"
        rf"{_GAP}(?:-{{3,12}}{_GAP})?(?:Send in a voice message|Support this podcast|Become a supporter of "
        rf"this podcast):\s{{0,4}}{_LINKISH}",
        rf"{_GAP}(?:-{{3,12}}{_GAP})?This episode is sponsored by\s{{0,4}}\\?\s{{0,4}}·\s{{0,4}}Anchor: The "
        rf"easiest way to make a podcast\.\s{{0,4}}{_LINKISH}",
    )
]

# Whole lines that are a platform's call to action, recognised by their words (links already reduced).
_FOOTER_LINES = [
    re.compile(p, re.I)
    for p in (
        r"^powered by beehiiv\.?$",
        r"^thank you for subscribing\.? leave a comment or share this episode\.?$",
        r"^get full access to .{1,120} at \S*substack\.com/subscribe\S*$",
        r"^this is a public episode\. if you(?:'d| would) like to discuss this with other subscribers\b.*$",
        r"^thanks for reading .{1,120}! subscribe for free to receive new posts and support my work\.?$",
        r"^(?:send in a voice message|support this podcast|become a supporter of this podcast):.*$",
        r"^(?:send us a text|send us fan mail|support the show)\.?$",
        r"^advertising inquiries: \S+$",  # RedCircle, with the next line
        r"^privacy & opt-out: \S+$",
        r"^advertise on .{1,80} via advertisecast: \S+$",
    )
]
# Lines made only of a call to action that links to one of these platform pages.
_CTA_TARGETS = re.compile(
    r"^https?://(?:www\.)?(?:"
    r"anchor\.fm/[^/\s]+/(?:message|support)"
    r"|podcasters\.spotify\.com/pod/show/[^/\s]+/(?:message|support)"
    r"|creators\.spotify\.com/pod/show/[^/\s]+/(?:message|support)"
    r"|buzzsprout\.com/(?:twilio/text_messages/|\d+/support|\d+/\d+/fan_mail)"
    r"|[\w-]+\.substack\.com/(?:subscribe|p/[^\s?]+/comments|p/[^\s?]+\?[^\s]*action=share)"
    r"|[\w-]+\.transistor\.fm/subscribe"
    r"|(?:advertising\.libsyn\.com|advertisecast\.com)"
    r"|(?:beehiiv\.com)/?(?:\?|$)"
    r"|(?:megaphone\.fm|podcastchoices\.com)/adchoices"
    r")",
    re.I,
)
_CTA_MAX_WORDS = 12
_SPONSOR_HEADER = re.compile(
    r"^(?:(?:this|today'?s) (?:episode|show|issue) is |(?:it|we) (?:is|are) )?"
    r"(?:brought to you by|sponsored by|thanks to (?:our|today'?s) sponsors?|(?:today'?s |our )?sponsors?)"
    r"(?:\s+(?:today|this week))?\s*(?::\s*(?P<rest>.*)|$)",
    re.I,
)
_SPONSOR_ENTRY = re.compile(r"^(?:[-*•·]\s*)?[^\s:–—-][^:–—\n]{0,60}?(?:\s+[–—-]\s+|:\s+)\S")
_DOMAIN = re.compile(r"https?://|\b[\w-]+\.(?:com|ai|io|us|co|fm|net|org|dev|app|so|xyz)\b", re.I)
_CREATORS = re.compile(r"^creators (?:&|and) guests$", re.I)
_RULE = re.compile(r"^\s*(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,}|(?:—\s*){2,})$")
_MD_LINK = re.compile(r"\[([^\]\n]{0,300})\]\(([^)\s]{1,2000})\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_BULLET = re.compile(r"^\s*(?:[-*+•·]|\d+[.)])\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s+")


def _plain(line: str) -> str:
    """A line's words: Markdown links reduced to labels, bullets, headings, emphasis and hard breaks off."""
    text = _MD_LINK.sub(r"\1", line)
    text = _AUTOLINK.sub(r"\1", text)
    text = _HEADING.sub("", text)
    text = _BULLET.sub("", text).replace("**", "").replace("__", "")
    return " ".join(text.rstrip().removesuffix("\\").split())


def _links(line: str) -> list[str]:
    return [m.group(2) for m in _MD_LINK.finditer(line)] + [m.group(1) for m in _AUTOLINK.finditer(line)]


def _is_cta(line: str, plain: str) -> bool:
    """A short line whose every link goes to a platform's subscribe/support/message/ad-choices page."""
    links = _links(line) or _URL_IN_TEXT.findall(line)
    words = _URL_IN_TEXT.sub("", plain).split()
    if not links or len(words) > _CTA_MAX_WORDS:
        return False
    return all(_CTA_TARGETS.match(clean_link(link)) for link in links)


def _is_footer(line: str, plain: str) -> bool:
    return any(p.match(plain) for p in _FOOTER_LINES) or _is_cta(line, plain)


def _is_sponsor_entry(line: str, plain: str) -> bool:
    return bool(_SPONSOR_ENTRY.match(plain) and (_DOMAIN.search(line) or _links(line)))


def _drop_lines(lines: list[str]) -> list[str]:
    kept: list[str] = []
    block: str | None = None  # "sponsors" or "creators" while inside such a block
    for line in lines:
        plain = _plain(line)
        if not plain:
            if line.strip() != "\\":  # beehiiv's lone backslash line goes; blank lines stay
                kept.append("" if not line.strip() else line)
            continue
        if block == "sponsors" and _is_sponsor_entry(line, plain):
            continue
        if block == "creators" and _BULLET.match(line):
            continue
        block = None
        header = _SPONSOR_HEADER.match(plain)
        if header and (not header.group("rest") or _is_sponsor_entry(line, header.group("rest"))):
            block = "sponsors"
            continue
        if _CREATORS.match(plain):
            block = "creators"
            continue
        if _is_footer(line, plain):
            continue
        kept.append(line)
    return kept


def _tidy(lines: list[str]) -> str:
    """Drop rules left with nothing after them (or at the start), and hard breaks before nothing."""
    result: list[str] = []
    for line in lines:
        if _RULE.match(line) and (not any(x.strip() for x in result) or _last_is_rule(result)):
            continue
        result.append(line)
    while result and (not result[-1].strip() or _RULE.match(result[-1])):
        result.pop()
    for i, line in enumerate(result):
        following = result[i + 1] if i + 1 < len(result) else ""
        if line.rstrip().endswith("\\") and not following.strip():
            result[i] = line.rstrip().removesuffix("\\").rstrip()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(result)).strip()


def _last_is_rule(lines: list[str]) -> bool:
    for line in reversed(lines):
        if line.strip():
            return bool(_RULE.match(line))
    return False


def clean_notes(text: str | None) -> str:
    """Show notes or a newsletter body (Markdown or plain text) without publisher boilerplate and tracking.

    Removes hosting platforms' footers and calls to action, show-notes sponsor lists ("Brought to you by:"
    with the entries under it) and Transistor's "Creators & Guests" block; unwraps sponsor-tracking
    redirects and drops tracking parameters from every link. The episode's own words and links stay.
    """
    if not text:
        return ""
    for pattern in _INLINE:
        text = pattern.sub("", text)
    return _clean_links_in(_tidy(_drop_lines(text.replace("\r\n", "\n").split("\n"))))


def clean_html(markup: str | None) -> str:
    """HTML show notes or a newsletter issue as cleaned Markdown (`clean_notes` of its conversion)."""
    return clean_notes(html_to_markdown(markup))
