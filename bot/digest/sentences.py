"""Splitting a source into sentences, shared by the offline summarizer, sponsor detection and chunking.

Sentences are split with nupunkt (Punkt with a bundled model, so "a.m." and "Dr." stay inside their
sentence), then a conservative second pass splits ". Analysts" where nupunkt's legal-text model
hesitated, and run-on caption text is cut at commas or every 40 words. Show-notes link lists (a line that
ends with ":" or holds a link) are split at their line breaks, since such lines carry no full stop.
"""

from __future__ import annotations

import re

import nupunkt

from bot.digest.models import KEY_POINT_LIMIT

_BOUNDARY = re.compile(r"([.!?][\"”')\]]?)\s+(?=[\"“(]?[A-Z])")
_ABBREVIATION_TEXT = (
    "mr mrs ms dr prof sr jr st vs etc inc ltd co corp no vol fig approx dept est gen gov sen rep"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_TEXT.split())
_LINK = re.compile(r"https?://|www\.", re.I)
_PARAGRAPH = re.compile(r"\n\s*\n|\n(?=\s*[•*-] )")
_BULLET = re.compile(r"^\s*[•*-]\s+")

LONG_SENTENCE = 600
_WORDS_PER_PIECE = 40


def _refine(sentence: str) -> list[str]:
    """Split where nupunkt's legal-text model hesitated: ". Analysts", ". Mistral" after a plain word.

    Its orthographic heuristic keeps an unknown capitalised word (a company, a model) in the sentence
    before it. A boundary is only added after a lowercase word of two or more letters that is not an
    abbreviation and has no inner dot, so "a.m.", "Dr." and "U.S." stay intact.
    """
    parts: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(sentence):
        if match.group(1)[0] == ".":
            before = sentence[start : match.start()].split()
            word = before[-1].strip('"“(') if before else ""
            if len(word) < 2 or "." in word or not word[-1].islower() or word.lower() in _ABBREVIATIONS:
                continue
        parts.append(sentence[start : match.end(1)].strip())
        start = match.end()
    parts.append(sentence[start:].strip())
    return parts


def _split_long(sentence: str) -> list[str]:
    """Unpunctuated captions are one endless "sentence": cut it at commas, else every 40 words."""
    pieces: list[str] = []
    current = ""
    for clause in re.split(r"(?<=[,;:])\s+", sentence):
        if current and len(current) + len(clause) + 1 > KEY_POINT_LIMIT:
            pieces.append(current)
            current = ""
        current = f"{current} {clause}".strip()
    if current:
        pieces.append(current)
    out: list[str] = []
    for piece in pieces:
        words = piece.split()
        if len(piece) <= KEY_POINT_LIMIT:
            out.append(piece)
        else:
            out.extend(
                " ".join(words[i : i + _WORDS_PER_PIECE]) for i in range(0, len(words), _WORDS_PER_PIECE)
            )
    return out


def lines_of(paragraph: str) -> list[str]:
    """A paragraph's runs of text: one run, except that a link list is cut at its line breaks."""
    lines = [line.strip() for line in paragraph.split("\n") if line.strip()]
    runs: list[str] = []
    for line in lines:
        previous = runs[-1] if runs else None
        joined = (
            previous is not None
            and not previous.endswith(":")
            and not _LINK.search(previous)
            and not _LINK.search(line)
        )
        if joined:
            runs[-1] = f"{previous} {line}"
        else:
            runs.append(line)
    return [" ".join(run.split()) for run in runs]


def sentences_of(run: str) -> list[str]:
    """The sentences of one run of text (whitespace already normalised)."""
    out: list[str] = []
    for found in nupunkt.sent_tokenize(run):
        if isinstance(found, str):
            for part in _refine(found):
                if part:
                    out.extend(_split_long(part) if len(part) > LONG_SENTENCE else [part])
    return out


def paragraphs_of(text: str) -> list[str]:
    """The paragraphs of `text` (blank lines and bullets separate them), empty ones dropped; a list item
    loses its marker ("- ", "* ", "• "), so a key point taken from it does not show it twice."""
    return [_BULLET.sub("", p, count=1) for p in _PARAGRAPH.split(text) if p.strip()]


Layout = tuple[tuple[tuple[str, ...], ...], ...]


def layout_of(text: str) -> Layout:
    """The sentences of `text` per run per paragraph."""
    return tuple(
        tuple(tuple(sentences_of(run)) for run in lines_of(paragraph)) for paragraph in paragraphs_of(text)
    )


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, paragraph by paragraph, whitespace normalised."""
    return [sentence for paragraph in layout_of(text) for run in paragraph for sentence in run]
