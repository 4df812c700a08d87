"""Timed cues of a transcript: where in the episode each piece of text is said.

`bot.digest.source` reduces a transcript to prose and drops its timings; `/ask` needs them to cite the moment
("at 12:34"). This parses the same WebVTT, SubRip and Podcasting 2.0 JSON formats into `(start seconds,
text)` cues, rolling-caption repeats dropped, and leaves the prose path untouched. Formats without timings
(plain text, HTML) give no cues. Untrusted input: only parsed, never an exception for bad data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bot.digest.source import sniff_format

MAX_CUES = 50_000

_CUE_TIME = re.compile(r"^\s*((?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)\s*-->")
_TAG = re.compile(r"<[^>]{0,200}>")
_SPACE = re.compile(r"\s+")
_ENTITY = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&nbsp;": " ", "&quot;": '"', "&#39;": "'"}


@dataclass(frozen=True, slots=True)
class Cue:
    """Text said from `start` seconds into the episode."""

    start: float
    text: str


def parse_clock(value: str) -> float | None:
    """`01:02:03.500`, `02:03,5` or `123.5` as seconds; None when it is not a time."""
    value = value.strip().replace(",", ".")
    try:
        if ":" not in value:
            seconds = float(value)
        else:
            parts = [float(part) for part in value.split(":")]
            if len(parts) > 3:
                return None
            seconds = 0.0
            for part in parts:
                seconds = seconds * 60 + part
    except ValueError:
        return None
    return seconds if seconds >= 0 and seconds == seconds else None  # not negative, not NaN


def _clean(text: str) -> str:
    text = _TAG.sub("", text)
    for entity, char in _ENTITY.items():
        text = text.replace(entity, char)
    return _SPACE.sub(" ", text).strip()


def captions_to_cues(text: str) -> list[Cue]:
    """WebVTT or SubRip cues; NOTE/STYLE/REGION blocks and lines repeated from the cue before dropped."""
    cues: list[Cue] = []
    last_line = ""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    for block in re.split(r"\n[ \t]*\n", normalised):
        rows = [row.strip() for row in block.strip().split("\n") if row.strip()]
        if not rows or rows[0].startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            continue
        timing = next((i for i, row in enumerate(rows[:2]) if _CUE_TIME.match(row)), None)
        if timing is None:
            continue
        match = _CUE_TIME.match(rows[timing])
        start = parse_clock(match.group(1)) if match else None
        if start is None:
            continue
        lines = []
        for row in rows[timing + 1 :]:
            line = _clean(row)
            if line and line != last_line:
                lines.append(line)
                last_line = line
        if lines:
            cues.append(Cue(start, " ".join(lines)))
        if len(cues) >= MAX_CUES:
            break
    return cues


def json_to_cues(text: str) -> list[Cue]:
    """Podcasting 2.0 JSON segments (`startTime`, `body`) as cues; [] when it has no usable timings."""
    try:
        data = json.loads(text)
    except ValueError:
        return []
    segments = data.get("segments", []) if isinstance(data, dict) else data
    if not isinstance(segments, list):
        return []
    cues: list[Cue] = []
    for segment in segments[:MAX_CUES]:
        if not isinstance(segment, dict):
            continue
        body = segment.get("body") or segment.get("text") or ""
        raw_start = segment.get("startTime", segment.get("start"))
        if not isinstance(body, str) or raw_start is None or isinstance(raw_start, bool):
            continue
        start = parse_clock(str(raw_start))
        line = _clean(body)
        if start is not None and line:
            cues.append(Cue(start, line))
    return cues


def timed_cues(text: str, declared: str | None = None) -> list[Cue]:
    """The cues of a transcript in any supported format ([] for formats without timings)."""
    fmt = sniff_format(text, declared)
    if fmt in ("text/vtt", "application/x-subrip"):
        return captions_to_cues(text)
    if fmt == "application/json":
        return json_to_cues(text)
    return []


def cues_to_json(cues: list[Cue]) -> str:
    """The stored form: a JSON list of `[start, text]`."""
    return json.dumps([[round(cue.start, 3), cue.text] for cue in cues], ensure_ascii=False)


def cues_from_json(value: str | None) -> list[Cue]:
    """Cues back from their stored form ([] for NULL or anything unexpected)."""
    if not value:
        return []
    try:
        data = json.loads(value)
    except ValueError:
        return []
    cues = []
    for entry in data if isinstance(data, list) else []:
        if (
            isinstance(entry, list)
            and len(entry) == 2
            and isinstance(entry[0], int | float)
            and isinstance(entry[1], str)
        ):
            cues.append(Cue(float(entry[0]), entry[1]))
    return cues
