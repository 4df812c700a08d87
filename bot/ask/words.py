"""Words that carry meaning: what a question is searched by, and what an answer must share with its sources.

Deliberately simple and deterministic: a fixed English stop list (question words and the show's own filler
such as "episode" and "say" included) and a crude suffix stripper, good enough to tell "released" and
"release" apart from unrelated words, not a linguistic stemmer.
"""

from __future__ import annotations

import functools
import re

WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[^\sa-z])")  # the next one starts with no lower case

STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each even ever few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more most
    my myself no nor not now of off on once only or other our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your yours
    yourself yourselves get got say said says tell told talk talked talking think thought know let lets
    mention mentioned mentions discuss discussed discussing first ever show shows episode episodes podcast
    newsletter archive host hosts anything something thing things really much many one way like going
    within whether yet still per via us okay yeah well kind sort lot lots make made ask asked
    """.split()  # noqa: SIM905 (a word list reads better as text)
)

_SUFFIXES = ("ations", "ation", "ings", "ing", "edly", "ied", "ies", "ed", "es", "ly", "s")


@functools.lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A crude stem: lower case, a common suffix cut when at least three letters remain."""
    word = word.lower().removesuffix("'s").removesuffix("’s")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) >= 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]  # "banning" → "ban", "stopped" → "stop"
            break
    return word[:-1] if word.endswith("e") and len(word) >= 5 else word  # "release" ~ "released"


def content_words(text: str) -> list[str]:
    """The meaningful words of `text`, lower case, in order, without repeats or stop words."""
    seen: dict[str, None] = {}
    for word in WORD.findall(text.lower()):
        if word in STOPWORDS or (len(word) < 2 and not word.isdigit()) or word.startswith("_"):
            continue
        seen.setdefault(word, None)
    return list(seen)


def stems(text: str) -> set[str]:
    return {stem(word) for word in content_words(text)}


def sentences(text: str) -> list[str]:
    """`text` split into sentences (whitespace squashed)."""
    return [part.strip() for part in _SENTENCE.split(" ".join(text.split())) if part.strip()]


_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|earlier|all|any|your)\b.{0,30}"
    r"\b(instructions?|prompts?|rules?|guidelines?)\b|\bsystem prompt\b|\byou are now\b|"
    r"\bnew instructions?\b|^\s*(system|assistant|developer)\s*:",
    re.I,
)


def without_instructions(text: str) -> str:
    """`text` without the sentences that address an AI ("ignore previous instructions …").

    Transcripts and notes are data; a sentence trying to instruct the model is dropped before the model,
    the answer check or a quotation sees it (an episode quoting such a phrase loses that sentence)."""
    if not _INSTRUCTION.search(text):
        return text
    return " ".join(part for part in sentences(text) if not _INSTRUCTION.search(part))


def cut_on_word(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut after a whole word with "…" when it was longer."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-–—") + "…"
