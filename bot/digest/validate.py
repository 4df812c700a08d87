"""Checking an LLM digest against its source, and repairing what fails from the offline analysis.

A digest of the right shape can still be wrong: a quote of `"{"`, an angle that is a timestamp, entities
the source never names, a TL;DR that is the episode's title, one key point three times. Each field is
checked on its own; a field that fails is taken from the offline digest of the same source (which is
extractive, so it cannot invent anything), and `field_sources` records where every field came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.digest.models import KEY_POINTS_MIN, Digest, Entities, PollSuggestion

if TYPE_CHECKING:
    from bot.digest.llm import LLMDigest

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_NOT_PROSE = re.compile(r"^\s*(?:\d{4}-\d{2}-\d{2}|https?://|\d+(?:[:.,]\d+)*\s*$)", re.I)
MIN_WORDS = 4
FIELDS = ("tldr", "key_points", "topics", "entities", "quote", "angle", "poll")
SIMILAR = 0.8  # two key points sharing this share of their words say the same thing


def normal(text: str) -> str:
    """Case-folded words separated by single spaces (punctuation, quotes and dashes dropped)."""
    return " ".join(_WORD.findall(text.casefold()))


def occurs_in(needle: str, haystack_normal: str) -> bool:
    """Whether `needle`'s words appear, in order and whole, in the normalised source."""
    words = normal(needle)
    return bool(words) and f" {words} " in f" {haystack_normal} "


def is_sentence(text: str | None) -> bool:
    """At least a few words of prose: not a timestamp, a URL, a number or a stray brace."""
    return bool(text) and not _NOT_PROSE.match(text or "") and len(normal(text or "").split()) >= MIN_WORDS


def _same(a: str, b: str) -> bool:
    wa, wb = set(normal(a).split()), set(normal(b).split())
    if not wa or not wb:
        return wa == wb
    return len(wa & wb) / len(wa | wb) >= SIMILAR


@dataclass(slots=True)
class Repaired:
    """The checked fields, where each came from ("llm", "offline", "llm+offline"), and what failed."""

    tldr: str
    key_points: list[str]
    topics: list[str]
    entities: Entities
    quote: str | None
    angle: str
    poll: PollSuggestion
    sources: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def written_by_llm(self) -> bool:
        """Whether the LLM's own text carries the digest (its TL;DR or any of its key points survived)."""
        return self.sources.get("tldr") == "llm" or "llm" in self.sources.get("key_points", "")


def check_and_repair(
    draft: LLMDigest | Digest, source_text: str, title: str, offline: Callable[[], Digest]
) -> Repaired:
    """Check every field of `draft` against `source_text` and `title`; take failing ones from `offline()`.

    `offline` is called at most once, and only when a field needs it.
    """
    source = normal(source_text)
    made: list[Digest] = []

    def fallback() -> Digest:
        if not made:
            made.append(offline())
        return made[0]

    out = Repaired(
        draft.tldr,
        list(draft.key_points),
        list(draft.topics),
        draft.entities,
        draft.quote,
        draft.angle,
        draft.poll,
    )
    sources = out.sources

    def replace(name: str, problem: str) -> None:
        out.problems.append(f"{name}: {problem}")
        sources[name] = "offline"

    sources.update(dict.fromkeys(FIELDS, "llm"))
    if normal(out.tldr) == normal(title) or not is_sentence(out.tldr):
        replace("tldr", "repeats the title" if normal(out.tldr) == normal(title) else "not a sentence")
        out.tldr = fallback().tldr
    _check_key_points(out, title, fallback)
    if not out.topics:
        replace("topics", "none given")
        out.topics = list(fallback().topics)
    _check_entities(out, source, fallback)
    if out.quote is not None and not (is_sentence(out.quote) and occurs_in(out.quote, source)):
        replace("quote", "not found word for word in the source")
        out.quote = fallback().quote
    if not is_sentence(out.angle):
        replace("angle", "not a sentence")
        out.angle = fallback().angle
    poll = out.poll
    if not is_sentence(poll.question) or len(poll.answers) < 2:
        replace("poll", "question or answers unusable")
        out.poll = fallback().poll
    return out


def _check_key_points(out: Repaired, title: str, fallback: Callable[[], Digest]) -> None:
    kept: list[str] = []
    dropped = 0
    for point in out.key_points:
        if not is_sentence(point) or normal(point) == normal(title) or any(_same(point, k) for k in kept):
            dropped += 1
            continue
        kept.append(point)
    if dropped:
        out.problems.append(f"key_points: {dropped} repeated or not sentences")
    if len(kept) < KEY_POINTS_MIN:
        written = len(kept)
        kept.extend([p for p in fallback().key_points if not any(_same(p, k) for k in kept)])
        kept = kept[: max(KEY_POINTS_MIN, written)]
        out.sources["key_points"] = "llm+offline" if written else "offline"
    out.key_points = kept


def _check_entities(out: Repaired, source: str, fallback: Callable[[], Digest]) -> None:
    entities = out.entities
    checked = Entities(
        companies=[e for e in entities.companies if occurs_in(e, source)],
        models=[e for e in entities.models if occurs_in(e, source)],
        people=[e for e in entities.people if occurs_in(e, source)],
    )
    invented = len(entities.all()) - len(checked.all())
    if invented:
        out.problems.append(f"entities: {invented} not named in the source")
    if not checked.all() and entities.all():
        out.sources["entities"] = "offline"
        checked = fallback().entities
    out.entities = checked
