"""Source text for a digest: the publisher's transcript when one can be fetched, else the show notes.

Transcripts arrive as text/plain, text/html, WebVTT, SubRip or Podcasting 2.0 JSON; each is reduced to
clean prose (cue numbers, timestamps, markup and repeated caption lines dropped). Everything here is
untrusted input: it is only ever parsed, never executed or followed beyond the one guarded fetch.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bs4 import BeautifulSoup

from bot.digest.models import EpisodeInput, SourceKind, TranscriptRef
from bot.digest.screening import strip_header
from bot.digest.sponsors import strip_sponsor_reads
from bot.feeds.boilerplate import clean_notes

if TYPE_CHECKING:
    from bot.digest.cues import Cue

log = logging.getLogger(__name__)

TRANSCRIPT_MAX_BYTES = 5 * 1024 * 1024
CUE_MATCH_MIN = 12  # characters: a cue shorter than this is too common to tell an ad by
MIN_TRANSCRIPT_CHARS = 200

# Cleanest first: plain text and JSON keep sentences whole; captions cut them into cues.
_TYPE_PREFERENCE = ["text/plain", "application/json", "text/html", "text/vtt", "application/x-subrip"]

_TIMING = re.compile(r"-->")
_CUE_NUMBER = re.compile(r"^\d+$")
_TAG = re.compile(r"<[^>]{0,200}>")
_TIMESTAMP_PREFIX = re.compile(r"^\s*[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?\s*")
_SPACE = re.compile(r"[ \t\u00a0]+")
_ENTITY = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&nbsp;": " ", "&quot;": '"', "&#39;": "'"}


class FetchedBody(Protocol):
    @property
    def body(self) -> bytes: ...

    @property
    def content_type(self) -> str | None: ...


class TranscriptFetcher(Protocol):
    """The guarded fetcher the feeds use (`bot.feeds.fetch`), or anything with the same call."""

    async def fetch(self, url: str, *, max_bytes: int | None = ...) -> FetchedBody: ...


@dataclass(frozen=True, slots=True)
class SourceText:
    """The clean text a digest is made from and where it came from.

    `description` is the publisher's own summary of the episode (its show notes) when the text is a
    transcript: the offline summarizer's strongest signal for the TL;DR.
    """

    text: str
    kind: SourceKind
    url: str | None = None
    description: str = ""
    #: Where in the episode each piece is said, for a timed transcript (`bot.digest.cues`); else empty.
    cues: tuple[Cue, ...] = ()


def clean_source(source: SourceText) -> SourceText:
    """`source` with its spoken sponsor reads, show-notes sponsor blocks and opening metadata block
    ("Episode: … Episode Date: …") cut, from the text and the description.

    Both digest backends see a source only through this, so an ad or a header never reaches a digest.
    """
    stripped = strip_sponsor_reads(source.text)
    text = strip_header(stripped.text)
    description = strip_header(strip_sponsor_reads(source.description).text) if source.description else ""
    if text == source.text and description == source.description:
        return source
    return SourceText(
        text, source.kind, source.url, description, _cues_outside(source.cues, stripped.removed)
    )


def _cues_outside(cues: tuple[Cue, ...], removed: tuple[str, ...]) -> tuple[Cue, ...]:
    """The timed cues that are not part of a cut sponsor read (a cue is a few words of a sentence, so it
    is dropped when its words occur inside the removed text; very short cues are kept)."""
    if not cues or not removed:
        return cues
    cut = " ".join(" ".join(removed).lower().split())
    return tuple(
        cue
        for cue in cues
        if len(words := " ".join(cue.text.lower().split())) < CUE_MATCH_MIN or words not in cut
    )


def decode(body: bytes, content_type: str | None = None) -> str:
    """Bytes to text: the declared charset, else UTF-8 (with a BOM tolerated), never an exception."""
    charset = "utf-8"
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip().strip('"') or "utf-8"
    try:
        text = body.decode(charset, errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    return text.lstrip("\ufeff")


def sniff_format(text: str, declared: str | None = None) -> str:
    """The transcript format: the declared MIME type when it is one we read, else guessed from the text."""
    head = text.lstrip()[:200]
    if head.startswith("WEBVTT"):
        return "text/vtt"
    declared = (declared or "").split(";")[0].strip().lower()
    if declared in ("text/srt", "application/srt"):
        declared = "application/x-subrip"
    if declared in _TYPE_PREFERENCE and declared != "text/plain":
        return declared
    if head.startswith(("{", "[")):
        return "application/json"
    if head.startswith("<") or re.search(r"</?(p|div|br|html|body|span)\b", head, re.I):
        return "text/html"
    if re.search(r"^\d+\s*\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{3}\s*-->", text.lstrip()[:300], re.M):
        return "application/x-subrip"
    return "text/plain"


def _squash(lines: list[str]) -> str:
    """Join caption lines into prose, dropping a line identical to the one before (rolling captions)."""
    kept: list[str] = []
    for line in lines:
        line = _SPACE.sub(" ", line).strip()
        if line and (not kept or kept[-1] != line):
            kept.append(line)
    return _SPACE.sub(" ", " ".join(kept)).strip()


def _unescape(text: str) -> str:
    for entity, char in _ENTITY.items():
        text = text.replace(entity, char)
    return text


def captions_to_text(text: str) -> str:
    """WebVTT or SubRip to prose: headers, NOTE/STYLE/REGION blocks, cue ids, timings and tags dropped."""
    lines: list[str] = []
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    for block in re.split(r"\n[ \t]*\n", normalised):
        rows = [row.strip() for row in block.strip().split("\n") if row.strip()]
        if not rows or rows[0].startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            continue
        timing = next((i for i, row in enumerate(rows[:2]) if _TIMING.search(row)), None)
        if timing is not None:
            rows = rows[timing + 1 :]  # drops the cue number / identifier and the timing line
        elif len(rows) == 1 and _CUE_NUMBER.match(rows[0]):
            continue
        lines.extend(_unescape(_TAG.sub("", row)) for row in rows if not _TIMING.search(row))
    return _squash(lines)


def json_to_text(text: str) -> str:
    """Podcasting 2.0 JSON transcript (`segments[].body`, optional `speaker`) to prose."""
    data = json.loads(text)
    segments = data.get("segments", []) if isinstance(data, dict) else data
    if not isinstance(segments, list):
        raise ValueError("JSON transcript without a segments list")
    parts: list[str] = []
    speaker: object = None
    for segment in segments:
        if not isinstance(segment, dict):
            continue
        body = segment.get("body") or segment.get("text") or ""
        if not isinstance(body, str) or not body.strip():
            continue
        if segment.get("speaker") not in (None, speaker) and parts:
            parts.append("\n\n")
        speaker = segment.get("speaker", speaker)
        parts.append(body.strip())
        parts.append(" ")
    return _SPACE.sub(" ", "".join(parts)).replace(" \n\n", "\n\n").replace("\n\n ", "\n\n").strip()


_BLOCKS = [
    "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "section",
    "article", "header", "footer", "table", "pre", "figure", "figcaption", "cite", "dt", "dd",
]  # fmt: skip


def html_to_text(text: str) -> str:
    """HTML (a transcript page or a newsletter issue) to paragraphs; scripts, styles and times dropped."""
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "time", "head", "iframe", "svg"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(_BLOCKS):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    paragraphs = (" ".join(part.split()) for part in re.split(r"\n\s*\n", soup.get_text()))
    return "\n\n".join(p for p in paragraphs if p)


def plain_to_text(text: str) -> str:
    """Plain transcripts: leading timestamps and lines that are only a timestamp or a number dropped."""
    lines = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = _TIMESTAMP_PREFIX.sub("", raw).strip() if _TIMESTAMP_PREFIX.match(raw) else raw.strip()
        if _CUE_NUMBER.match(line):
            continue
        lines.append(line)
    return "\n".join(lines).strip()


def to_clean_text(text: str, declared: str | None = None) -> str:
    """Any supported transcript or notes format to clean text."""
    fmt = sniff_format(text, declared)
    if fmt in ("text/vtt", "application/x-subrip"):
        return captions_to_text(text)
    if fmt == "application/json":
        try:
            return json_to_text(text)
        except (ValueError, AttributeError) as exc:
            log.info("JSON transcript unreadable (%s); reading it as plain text", exc)
            return plain_to_text(text)
    if fmt == "text/html":
        return html_to_text(text)
    return plain_to_text(text)


def _rank(ref: TranscriptRef) -> tuple[int, int]:
    lang = (ref.language or "en").lower()
    mime = (ref.type or "").split(";")[0].strip().lower()
    order = _TYPE_PREFERENCE.index(mime) if mime in _TYPE_PREFERENCE else len(_TYPE_PREFERENCE)
    return (0 if lang.startswith("en") else 1, order)


async def choose_source(episode: EpisodeInput, fetcher: TranscriptFetcher | None) -> SourceText:
    """The best text for `episode`: a fetched transcript, else show notes (or the issue's text), else title.

    A transcript that cannot be fetched or parsed is logged and the next one (then the notes) is used.
    """
    from bot.digest.cues import timed_cues

    if fetcher is not None:
        for ref in sorted(episode.transcripts, key=_rank):
            try:
                fetched = await fetcher.fetch(ref.url, max_bytes=TRANSCRIPT_MAX_BYTES)
                raw = decode(fetched.body, fetched.content_type)
                text = to_clean_text(raw, ref.type or fetched.content_type)
                cues = tuple(timed_cues(raw, ref.type or fetched.content_type))
            except Exception as exc:  # the fetcher's errors are its own type; any failure means "next"
                log.warning("transcript %s of %s unusable: %s", ref.url, episode.key, exc)
                continue
            if len(text) >= MIN_TRANSCRIPT_CHARS:
                notes = _notes_text(episode)
                return clean_source(SourceText(text, "transcript", ref.url, notes, cues))
            log.info("transcript %s of %s too short (%d chars); skipped", ref.url, episode.key, len(text))
    notes = _notes_text(episode)
    if notes:
        kind: SourceKind = "newsletter" if episode.kind == "newsletter" else "show_notes"
        return clean_source(SourceText(notes, kind))
    return SourceText(episode.title.strip(), "title")


def _notes_text(episode: EpisodeInput) -> str:
    notes = episode.show_notes_text.strip()
    if "<" in notes and re.search(r"</?(p|div|br|li|a)\b", notes, re.I):
        notes = html_to_text(notes)
    return clean_notes(notes)  # publisher footers, sponsor lists and tracking are not the episode
