"""Digest quality on five real-style sources: what a reader would notice, scored by judges written here.

The sources (`tests/digest/realistic.py`) are written for the project in the shapes publishers use: an
op-ed read aloud with three sponsor reads and misspelled names (about 2,700 words), a news roundup with
sponsor reads, an interview, a newsletter issue, and a feed that is not about AI. Each carries a
hand-written list of its main beats, the entities a careful reader would list, and its sponsors' brands.
The judges are independent of the summarizer (their own header, anaphor and sponsor checks):

- beat coverage: share of the beats that the TL;DR or a key point covers (two of a beat's cue groups);
- faithfulness: share of the TL;DR's and key points' word 4-grams found in the source (text and notes);
- sponsor leakage: TL;DR, key points, quote, topics and entities that name a sponsor or read like an ad;
- entity precision: share of the entities given that are in the hand-written list (and recall, the
  share of that list given, printed by `main`);
- bad points: a TL;DR or key point that is a header, a date or title line, or opens on an anaphor;
- polls on non-AI items: open-versus-closed polls suggested for a source with no AI content.

The baseline, measured in the same run, is the naive digest: the source's first sentence as TL;DR and
the next five as key points, with every capitalised phrase as an entity. The earlier offline summarizer's
figures are recorded in docs/benchmarks.md (`python -m bench.digest_quality` on a checkout of it prints
the same table for whatever `bot` package is first on the path).
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any

from bot.digest.offline import split_sentences, summarize_offline
from tests.digest.realistic import SAMPLES, Sample

LEAD_POINTS = 5
_WORDS = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_HEADER = re.compile(
    r"\b(?:Episode Date|Episode|Podcast|Published)\s*:|^\W*(?:January|February|March|April|May|June|July|"
    r"August|September|October|November|December) \d{1,2}, \d{4}\W*$"
)
_ANAPHOR = re.compile(r"^(?:that|this|these|those|it|its|it's|they|he|she|which|such)\b", re.I)
_NOT_ANAPHOR = re.compile(r"^(?:this|that) (?:week|year|month|episode|morning)\b", re.I)
_AD = re.compile(
    r"\b(?:promo code|use code|free trial|free pilot|book a demo|percent off|\w+\.example)\b", re.I
)
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w-]*(?: [A-Z][\w-]*)*)")


@dataclass
class Score:
    """Totals over the samples for one summarizer."""

    beats: int = 0
    beats_total: int = 0
    grams_found: int = 0
    grams_total: int = 0
    leaks: list[str] = field(default_factory=list)
    entities_right: int = 0
    entities_given: int = 0
    entities_expected: int = 0
    entities_recalled: int = 0
    bad_points: list[str] = field(default_factory=list)
    non_ai_polls: int = 0

    @property
    def coverage(self) -> float:
        return self.beats / self.beats_total if self.beats_total else 0.0

    @property
    def faithfulness(self) -> float:
        return self.grams_found / self.grams_total if self.grams_total else 0.0

    @property
    def precision(self) -> float:
        return self.entities_right / self.entities_given if self.entities_given else 0.0

    @property
    def recall(self) -> float:
        return self.entities_recalled / self.entities_expected if self.entities_expected else 0.0


@dataclass(frozen=True, slots=True)
class Reading:
    """What a summarizer showed for one sample."""

    tldr: str
    points: list[str]
    extras: list[str]  # quote, topics
    entities: list[str]
    poll: bool


def _grams(text: str) -> list[tuple[str, ...]]:
    words = _WORDS.findall(text.casefold())
    return [tuple(words[i : i + 4]) for i in range(len(words) - 3)]


def covers(beat: tuple[str, ...], text: str) -> bool:
    """Whether `text` covers a beat: two of its cue groups (all, when it has fewer) appear as words."""
    lowered = " " + " ".join(_WORDS.findall(text.casefold())) + " "
    hits = sum(any(f" {cue} " in lowered for cue in group.split("|")) for group in beat)
    return hits >= min(2, len(beat))


def _is_bad_point(point: str, title: str) -> bool:
    words = _WORDS.findall(point.casefold())
    title_words = _WORDS.findall(title.casefold())
    titled = bool(title_words) and words[: len(title_words)] == title_words
    anaphor = bool(_ANAPHOR.match(point)) and not _NOT_ANAPHOR.match(point)
    return bool(_HEADER.search(point)) or titled or anaphor


def score(readings: list[Reading], samples: tuple[Sample, ...] = SAMPLES) -> Score:
    total = Score()
    for reading, sample in zip(readings, samples, strict=True):
        shown = [reading.tldr, *reading.points]
        source_grams = set(_grams(sample.text + "\n" + sample.description))
        for text in shown:
            grams = _grams(text)
            total.grams_total += len(grams)
            total.grams_found += sum(gram in source_grams for gram in grams)
        total.beats_total += len(sample.beats)
        total.beats += sum(any(covers(beat, text) for text in shown) for beat in sample.beats)
        for text in [*shown, *reading.extras, *reading.entities]:
            if any(brand.casefold() in text.casefold() for brand in sample.sponsors) or _AD.search(text):
                total.leaks.append(f"{sample.name}: {text[:60]}")
        gold = {name.casefold() for name in sample.entities}
        total.entities_given += len(reading.entities)
        total.entities_right += sum(name.casefold() in gold for name in reading.entities)
        given = {name.casefold() for name in reading.entities}
        total.entities_expected += len(gold)
        total.entities_recalled += len(gold & given)
        total.bad_points += [f"{sample.name}: {p[:60]}" for p in shown if _is_bad_point(p, sample.title)]
        total.non_ai_polls += int(reading.poll and not sample.about_ai)
    return total


def read_offline(sample: Sample) -> Reading:
    """The offline summarizer's digest (the earlier version takes no description: it is left out)."""
    kwargs: dict[str, Any] = {"source": sample.kind}
    if "description" in inspect.signature(summarize_offline).parameters:
        kwargs["description"] = sample.description
    digest = summarize_offline(sample.text, sample.title, **kwargs)
    poll = bool(digest.poll.answers) and not getattr(digest.poll, "skip_reason", None)
    extras = [*(digest.topics or []), *([digest.quote] if digest.quote else [])]
    return Reading(digest.tldr, list(digest.key_points), extras, digest.entities.all(), poll)


def read_lead(sample: Sample) -> Reading:
    """The naive digest: first sentence, the next five, every capitalised phrase, always a poll."""
    sentences = split_sentences(sample.text)
    entities = sorted({m.group(1) for s in sentences for m in _CAPITALISED.finditer(s)})
    return Reading(sentences[0] if sentences else "", sentences[1 : 1 + LEAD_POINTS], [], entities, True)


def measure() -> tuple[Score, Score]:
    """(the offline summarizer, the naive lead baseline) over every sample."""
    return score([read_offline(s) for s in SAMPLES]), score([read_lead(s) for s in SAMPLES])


def figure_quality(quick: bool) -> list[dict[str, Any]]:
    """The quality figures; the run is the same with --quick (five sources, well under a second)."""
    new, lead = measure()
    if new.beats_total != sum(len(s.beats) for s in SAMPLES):
        raise RuntimeError("the digest quality run did not score every sample")
    note = f"{len(SAMPLES)} real-style sources, baseline: first sentence + next {LEAD_POINTS}"
    return [
        {"name": "digest beat coverage (5 real-style sources)", "value": new.coverage,
         "baseline": lead.coverage, "unit": "share", "target": "≥ 1.3×", "note": note},
        {"name": "digest faithfulness (key-point 4-grams in source)", "value": new.faithfulness,
         "baseline": lead.faithfulness, "unit": "share", "target": "≥ 0.95×", "note": "lead is verbatim"},
        {"name": "digest sponsor leakage (items naming a sponsor)", "value": len(new.leaks),
         "baseline": len(lead.leaks), "unit": "items", "target": "≤ 0×", "note": "; ".join(new.leaks)},
        {"name": "digest entity precision", "value": new.precision, "baseline": lead.precision,
         "unit": "share", "target": "≥ 2×", "note": "baseline: every capitalised phrase"},
        {"name": "digest header/anaphor points (TL;DR, key points)", "value": len(new.bad_points),
         "baseline": len(lead.bad_points), "unit": "points", "target": "≤ 0×",
         "note": "; ".join(new.bad_points)},
        {"name": "digest open-vs-closed polls on non-AI items", "value": new.non_ai_polls,
         "baseline": lead.non_ai_polls, "unit": "polls", "target": "≤ 0×",
         "note": "the naive digest always suggests the poll"},
    ]  # fmt: skip


def main() -> None:
    """Print the offline summarizer's figures and the lead baseline's, per measure (no runner needed)."""
    new, lead = measure()
    rows = [
        ("beat coverage", f"{new.coverage:.3f}", f"{lead.coverage:.3f}"),
        ("faithfulness (4-grams in source)", f"{new.faithfulness:.3f}", f"{lead.faithfulness:.3f}"),
        ("sponsor leakage (items)", str(len(new.leaks)), str(len(lead.leaks))),
        ("entity precision", f"{new.precision:.3f}", f"{lead.precision:.3f}"),
        ("entity recall", f"{new.recall:.3f}", f"{lead.recall:.3f}"),
        ("header/anaphor key points", str(len(new.bad_points)), str(len(lead.bad_points))),
        ("open-vs-closed polls on non-AI items", str(new.non_ai_polls), str(lead.non_ai_polls)),
    ]
    print(f"{'measure':40} {'offline':>10} {'lead':>10}")
    for name, value, baseline in rows:
        print(f"{name:40} {value:>10} {baseline:>10}")
    for line in [*new.leaks, *new.bad_points]:
        print("  ", line)


if __name__ == "__main__":
    main()
