"""Cutting an item's text into passages: a few sentences each, with the moment they start when known.

A passage is what `/ask` retrieves, quotes and cites. Sentences are kept whole; a passage closes once it
holds about `TARGET_WORDS` words or when speech pauses for `PAUSE_SECONDS` (a new segment), and a run-on
text without punctuation (automatic captions) is cut every `MAX_WORDS` words. For a timed transcript every
word gets a time, spread from the start of its cue towards the next one at no slower than a word a second,
so a passage starts at the moment its first word is said, even inside a long cue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.digest.cues import Cue

PassageSource = Literal["transcript", "notes", "digest"]

TARGET_WORDS = 55
MAX_WORDS = 100
MAX_PASSAGES = 2000  # per item and source: a 3-hour transcript is about 600
SECONDS_PER_WORD = 0.4  # speech is ~150 words a minute: the last cue's words are spread at this pace
PAUSE_SECONDS = 30.0  # a longer silence between cues (a new segment, an ad break) starts a new passage

_ENDS_SENTENCE = re.compile(r"[.!?][\"'”’)\]]*$")
_STARTS_SENTENCE = re.compile(r"^[\"'“‘(\[]?[A-Z0-9]")
_ABBREVIATION = re.compile(r"^(?:[A-Z]\.|Mr\.|Mrs\.|Ms\.|Dr\.|St\.|vs\.|etc\.|e\.g\.|i\.e\.)$")


@dataclass(frozen=True, slots=True)
class NewPassage:
    """A passage ready to store: where it came from, its order, its text and start (seconds or None)."""

    source: PassageSource
    seq: int
    text: str
    start_seconds: float | None = None


def _timed_words(cues: Sequence[Cue]) -> list[tuple[str, float | None]]:
    words: list[tuple[str, float | None]] = []
    for index, cue in enumerate(cues):
        pieces = cue.text.split()
        if not pieces:
            continue
        following = cues[index + 1].start if index + 1 < len(cues) else None
        # Words are spread until the next cue, but no slower than one a second: a cue followed by a
        # long silence (a segment's end, an ad break) is still said at speaking pace.
        span = len(pieces) * SECONDS_PER_WORD
        if following is not None and following > cue.start:
            span = min(following - cue.start, len(pieces) * 1.0)
        for position, word in enumerate(pieces):
            words.append((word, cue.start + span * position / len(pieces)))
    return words


def _gap(before: tuple[str, float | None], after: tuple[str, float | None]) -> bool:
    """Whether speech paused long enough between two words to start a new passage (a new segment)."""
    return before[1] is not None and after[1] is not None and after[1] - before[1] > PAUSE_SECONDS


def _sentences(words: Sequence[tuple[str, float | None]]) -> Iterable[list[tuple[str, float | None]]]:
    current: list[tuple[str, float | None]] = []
    for index, entry in enumerate(words):
        current.append(entry)
        word = entry[0]
        following = words[index + 1] if index + 1 < len(words) else None
        ends = bool(_ENDS_SENTENCE.search(word)) and not _ABBREVIATION.match(word)
        if (
            following is None
            or (ends and _STARTS_SENTENCE.match(following[0]))
            or len(current) >= MAX_WORDS
            or _gap(entry, following)
        ):
            yield current
            current = []


def _group(words: Sequence[tuple[str, float | None]], source: PassageSource) -> list[NewPassage]:
    passages: list[NewPassage] = []
    pending: list[tuple[str, float | None]] = []
    for sentence in _sentences(words):
        if pending and (len(pending) + len(sentence) > MAX_WORDS or _gap(pending[-1], sentence[0])):
            passages.append(_passage(pending, source, len(passages)))
            pending = []
        pending.extend(sentence)
        if len(pending) >= TARGET_WORDS:
            passages.append(_passage(pending, source, len(passages)))
            pending = []
        if len(passages) >= MAX_PASSAGES:
            return passages
    if pending:
        short = len(pending) < TARGET_WORDS // 3
        if (
            passages
            and short
            and len(passages[-1].text.split()) < MAX_WORDS
            and not _paused(passages, pending)
        ):
            last = passages.pop()  # a short tail joins the passage before it
            merged = last.text + " " + " ".join(word for word, _ in pending)
            passages.append(NewPassage(source, last.seq, merged, last.start_seconds))
        else:
            passages.append(_passage(pending, source, len(passages)))
    return passages


def _paused(passages: list[NewPassage], pending: list[tuple[str, float | None]]) -> bool:
    last, first = passages[-1].start_seconds, pending[0][1]
    return last is not None and first is not None and first - last > MAX_WORDS * SECONDS_PER_WORD


def _passage(words: Sequence[tuple[str, float | None]], source: PassageSource, seq: int) -> NewPassage:
    start = words[0][1]
    return NewPassage(source, seq, " ".join(word for word, _ in words), start)


def from_text(text: str, source: PassageSource) -> list[NewPassage]:
    """Passages of untimed text (show notes, a newsletter issue, a digest, an untimed transcript)."""
    return _group([(word, None) for word in text.split()], source)


def from_cues(cues: Sequence[Cue]) -> list[NewPassage]:
    """Passages of a timed transcript, each starting at the moment its first word is said."""
    ordered = sorted(cues, key=lambda cue: cue.start)
    return _group(_timed_words(ordered), "transcript")


def clock(seconds: float) -> str:
    """`12:34` or `1:02:03`: how a moment in an episode is shown."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
