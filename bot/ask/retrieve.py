"""Retrieval: from a question to the few passages that best answer it.

1. The question's content words (`bot.ask.words`) become an FTS5 query that matches any of them, so a
   passage need not use every word of the question.
2. bm25 ranks the matches; each score is then weighed by how much of the question the passage covers, by
   where it came from (the transcript says most, a digest least: it is the bot's own summary) and by
   recency (newer episodes are preferred, slightly).
3. One passage per episode (the best), so the answer draws on several episodes rather than one at length.
4. "When did they first …" questions take the earliest of the passages that match well.

`fit` then keeps the top passages within a token budget for the model's context.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from bot.ask.words import content_words, stem, stems
from bot.digest.chunking import estimate_tokens
from bot.store.ask import AskRepo, Candidate, Filters
from bot.timeutil import utcnow

MAX_WORDS = 12
CANDIDATES = 200
SOURCE_WEIGHT = {"transcript": 1.0, "notes": 0.9, "digest": 0.75}
RECENCY_WEIGHT = 0.15  # at most +15% for an episode of today, fading over `RECENCY_DAYS`
RECENCY_DAYS = 180.0
#: The share of the question's words the best passage must contain for the archive to support an answer.
SUPPORT_COVERAGE = 0.5
#: In "first time" questions, passages this close to the best score count as matching well.
EARLIEST_BAND = 0.7

_FIRST = re.compile(
    r"\b(first|earliest)\b.*\b(time|mention|mentioned|talk|talked|discuss|discussed|came up|come up|"
    r"covered|cover|said|say)\b|\bwhen did\b.*\bfirst\b|\bfirst\s+(time|mention)\b",
    re.I,
)


class EmptyQuestion(ValueError):
    """The question has no word to search for."""


@dataclass(frozen=True, slots=True)
class Scored:
    """A candidate passage with its final score and the share of the question's words it contains."""

    candidate: Candidate
    score: float
    coverage: float


@dataclass(frozen=True, slots=True)
class Retrieval:
    """What was found for a question: passages best first (earliest first for "first time" questions)."""

    question: str
    words: tuple[str, ...]
    passages: list[Scored]
    earliest: bool

    @property
    def supported(self) -> bool:
        return bool(self.passages) and max(p.coverage for p in self.passages) >= SUPPORT_COVERAGE


def asks_for_first(question: str) -> bool:
    """Whether the question asks when something was first said ("when did they first talk about …")."""
    return bool(_FIRST.search(question))


def fts_query(words: list[str]) -> str:
    """Any of the words, each quoted (FTS5 syntax in member text is never interpreted)."""
    return " OR ".join('"' + word.replace('"', '""') + '"' for word in words)


def coverage(question_stems: set[str], text: str) -> float:
    if not question_stems:
        return 0.0
    return len(question_stems & stems(text)) / len(question_stems)


def _recency(published: datetime | None, now: datetime) -> float:
    if published is None:
        return 1.0
    age_days = max(0.0, (now - published).total_seconds() / 86400)
    return 1.0 + RECENCY_WEIGHT * math.exp(-age_days / RECENCY_DAYS)


def _preferred(scored: Scored, earliest: bool) -> tuple[float, bool, float]:
    """Within one episode: the passage covering most of the question; among equals a timed transcript
    passage (it can cite the moment), then the best score, or for "first time" questions the earliest."""
    candidate = scored.candidate
    timed = candidate.source == "transcript" and candidate.start_seconds is not None
    order = -(candidate.start_seconds or 0.0) if earliest else scored.score
    return (round(scored.coverage, 2), timed, order)


def rank(
    candidates: list[Candidate], question_stems: set[str], now: datetime, *, earliest: bool = False
) -> list[Scored]:
    """Score, then keep the best passage of each episode (the earliest good one with `earliest`)."""
    if not candidates:
        return []
    best_bm25 = max(-c.rank for c in candidates) or 1.0
    best: dict[int, Scored] = {}
    for candidate in candidates:
        covered = coverage(question_stems, candidate.text)
        relevance = 0.6 * covered + 0.4 * max(0.0, -candidate.rank) / best_bm25
        score = relevance * SOURCE_WEIGHT.get(candidate.source, 0.8) * _recency(candidate.published_at, now)
        scored = Scored(candidate, score, covered)
        kept = best.get(candidate.item_id)
        if kept is None or _preferred(scored, earliest) > _preferred(kept, earliest):
            best[candidate.item_id] = scored
    return sorted(best.values(), key=lambda s: (-s.score, s.candidate.passage_id))


def earliest_first(scored: list[Scored]) -> list[Scored]:
    """The passages that match well, oldest episode first (then the rest, best first)."""
    if not scored:
        return scored
    top = scored[0].score
    good = [s for s in scored if s.score >= EARLIEST_BAND * top]
    good.sort(key=lambda s: (s.candidate.published_at or utcnow(), s.candidate.passage_id))
    rest = [s for s in scored if s.score < EARLIEST_BAND * top]
    return good + rest


async def retrieve(
    repo: AskRepo, question: str, filters: Filters, *, limit: int = 8, now: datetime | None = None
) -> Retrieval:
    """The best `limit` passages for `question` within `filters` (raises `EmptyQuestion`)."""
    words = content_words(question)[:MAX_WORDS]
    if not words:
        raise EmptyQuestion("Ask about something: a name, a model, a company or a topic the show covered.")
    candidates = await repo.candidates(fts_query(words), filters, limit=CANDIDATES)
    earliest = asks_for_first(question)
    scored = rank(candidates, {stem(word) for word in words}, now or utcnow(), earliest=earliest)
    if earliest:
        scored = earliest_first(scored)
    return Retrieval(question, tuple(words), scored[:limit], earliest)


def fit(passages: list[Scored], token_budget: int, *, per_passage_overhead: int = 30) -> list[Scored]:
    """The leading passages whose text (and fencing) fits `token_budget` tokens; at least one."""
    kept: list[Scored] = []
    used = 0
    for passage in passages:
        cost = estimate_tokens(passage.candidate.text) + per_passage_overhead
        if kept and used + cost > token_budget:
            break
        kept.append(passage)
        used += cost
    return kept
