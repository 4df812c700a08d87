"""Which sentences of a source may be shown, how relevant each is, and the key points chosen from them.

Relevance is TF-IDF centrality (cosine to the document's centroid), plus closeness to the publisher's
description when there is one, plus a bonus for a named person's position ("Amodei argues …"). Key
points are then chosen by maximal marginal relevance: relevance traded against similarity to what is
already shown, with a bonus for each stretch of the episode (one per wanted point) not yet covered, so
the points cover the episode's distinct beats instead of repeating its most common vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.digest.models import KEY_POINT_LIMIT, KEY_POINTS_MAX, KEY_POINTS_MIN
from bot.digest.sponsors import is_call_to_action

Vector = dict[str, float]

_BOILERPLATE = re.compile(
    r"\b(subscribe|sponsor|sponsored|brought to you by|promo code|rate (us|the show)|patreon|"
    r"like and share|newsletter sign ?up|unsubscribe|view in browser|https?://)\b",
    re.I,
)
_GREETING = re.compile(
    r"^(?:welcome|hello|hi|hey|good (?:morning|evening|afternoon)|what's up|thanks for (?:listening|"
    r"tuning)|that's (?:it|all) for|see you|until next time|peace\b)",
    re.I,
)
_LABEL = re.compile(
    r"\b(?:Episode Date|Air Date|Release Date|Published|Episode|Podcast|Season|Transcript|Duration|Guests?|"
    r"Hosts?|Show Notes)\s*:"
)
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE_ONLY = re.compile(
    rf"^\W*(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,? )?(?:{_MONTH} \d{{1,2}},? \d{{4}}|"
    r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})\W*$"
)
_ANAPHOR = re.compile(
    r"^(?:(?:and|but|so|yet|or|now|still|because),? )?(?:that|this|these|those|it|its|it's|they|their|"
    r"them|he|she|his|her|which|such|both|neither|another|the latter|the former)\b",
    re.I,
)
_NOT_ANAPHOR = re.compile(
    r"^(?:this|that|these|those) (?:week|weekend|year|month|morning|afternoon|evening|quarter|season|"
    r"episode|show|podcast|newsletter|issue|time)\b",
    re.I,
)
_POSITION = re.compile(
    r"\b(?:said|says|argues|argued|wrote|writes|thinks|believes|warned|warns|claims|claimed|wants|"
    r"predicts|insists|agrees|disagrees|calls|called|points out|told|counters|responds|replied)\b",
    re.I,
)

LAMBDA = 0.7  # relevance against novelty
SEGMENT_BONUS = 0.15  # a point from a stretch of the episode not yet covered
GUIDE_WEIGHT = 0.5  # closeness to the publisher's description
POSITION_BONUS = 0.35  # a named person's position
DUPLICATE_COSINE = 0.7
DUPLICATE_JACCARD = 0.5


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.casefold()))


def is_header(sentence: str, title: str = "") -> bool:
    """A show-notes header or metadata line, a bare date, or the episode's title repeated."""
    if _LABEL.search(sentence) or _DATE_ONLY.match(sentence):
        return True
    said, named = _normalised(sentence), _normalised(title)
    return bool(named) and len(named.split()) >= 2 and said.startswith(named) and len(said) <= len(named) + 40


def is_anaphoric(sentence: str) -> bool:
    """Opens on a word that points back ("That line is …", "It failed", "This is why …")."""
    return bool(_ANAPHOR.match(sentence)) and not _NOT_ANAPHOR.match(sentence)


def is_candidate(sentence: str, title: str = "") -> bool:
    """A sentence that may be shown as a key point or TL;DR on its own merits."""
    words = sentence.split()
    return (
        6 <= len(words) <= 70
        and 30 <= len(sentence) <= KEY_POINT_LIMIT
        and not sentence.endswith(("?", ":"))
        and not _BOILERPLATE.search(sentence)
        and not _GREETING.match(sentence)
        and not is_call_to_action(sentence)
        and not is_header(sentence, title)
    )


def lead_sentence(sentences: Sequence[str], title: str = "") -> str | None:
    """The first sentence of a description that says something (no header, greeting, link or question)."""
    for sentence in sentences:
        if is_candidate(sentence, title) and not is_anaphoric(sentence):
            return sentence
    return None


@dataclass(slots=True)
class Scored:
    """Relevance of each sentence; `order` lists the candidates, most relevant first."""

    relevance: list[float]
    order: list[int]
    excluded: set[int] = field(default_factory=set)
    anaphors: set[int] = field(default_factory=set)

    def anaphoric(self, index: int) -> bool:
        return index in self.anaphors


def _dot(a: Vector, b: Vector) -> float:
    small, large = (a, b) if len(a) < len(b) else (b, a)
    return sum(w * large.get(t, 0.0) for t, w in small.items())


def score_sentences(
    sentences: list[str],
    vectors: list[Vector],
    *,
    title: str = "",
    people: Sequence[str] = (),
    guide: Vector | None = None,
) -> Scored:
    """Relevance of every sentence; headers, ads and non-candidates are excluded from `order`."""
    centroid: Vector = {}
    for vector in vectors:
        for term, weight in vector.items():
            centroid[term] = centroid.get(term, 0.0) + weight
    norm = sum(v * v for v in centroid.values()) ** 0.5 or 1.0
    central = [_dot(vector, centroid) / norm for vector in vectors]
    top = max(central, default=0.0) or 1.0
    names = {part for person in people for part in person.split() if len(part) >= 4}
    relevance = []
    for sentence, vector, centrality in zip(sentences, vectors, central, strict=True):
        score = centrality / top
        if guide:
            score += GUIDE_WEIGHT * _dot(vector, guide)
        if names and _POSITION.search(sentence) and any(name in sentence for name in names):
            score += POSITION_BONUS
        relevance.append(score)
    excluded = {i for i, s in enumerate(sentences) if not vectors[i] or not is_candidate(s, title)}
    order = sorted((i for i in range(len(sentences)) if i not in excluded), key=lambda i: (-relevance[i], i))
    anaphors = {i for i, s in enumerate(sentences) if is_anaphoric(s)}
    return Scored(relevance, order, excluded, anaphors)


def _jaccard(a: Vector, b: Vector) -> float:
    keys_a, keys_b = set(a), set(b)
    return len(keys_a & keys_b) / len(keys_a | keys_b) if keys_a and keys_b else 0.0


def _duplicate(a: Vector, b: Vector) -> bool:
    return _dot(a, b) > DUPLICATE_COSINE or _jaccard(a, b) > DUPLICATE_JACCARD


def _with_antecedent(sentences: list[str], index: int, title: str, used: set[int]) -> tuple[int, ...] | None:
    """An anaphoric sentence with the one before it, when that one can stand first and both fit."""
    before = index - 1
    if before < 0 or before in used:
        return None
    prior = sentences[before]
    fits = len(prior) + 1 + len(sentences[index]) <= KEY_POINT_LIMIT
    if not fits or is_anaphoric(prior) or is_header(prior, title) or _BOILERPLATE.search(prior):
        return None
    if _GREETING.match(prior) or is_call_to_action(prior):
        return None
    return (before, index)


def pick_key_points(
    sentences: list[str],
    vectors: list[Vector],
    scored: Scored,
    *,
    shown: Sequence[Vector] = (),
    besides: int | None = None,
    title: str = "",
) -> list[str]:
    """3-7 key points covering distinct beats (fewer only when the source has fewer), in source order.

    `shown` are vectors of text already shown (the TL;DR), `besides` its index when it is a sentence of
    the source: neither is repeated while the source has enough other candidates.
    """
    wanted = min(KEY_POINTS_MAX, max(KEY_POINTS_MIN, 3 + len(sentences) // 60))
    crowded = len(scored.order) > wanted
    taken: list[Vector] = list(shown) if crowded else []
    used: set[int] = {besides} if besides is not None and crowded else set()
    covered: set[int] = set()
    n = max(len(sentences), 1)

    def segment(index: int) -> int:
        return min(wanted - 1, index * wanted // n)

    if besides is not None and crowded:
        covered.add(segment(besides))
    chosen: list[tuple[int, ...]] = []
    skipped: set[int] = set()
    while len(chosen) < wanted:
        best: tuple[float, int] | None = None
        for index in scored.order:
            if index in used or index in skipped:
                continue
            vector = vectors[index]
            if any(
                _dot(vector, t) > DUPLICATE_COSINE or _jaccard(vector, t) > DUPLICATE_JACCARD for t in taken
            ):
                continue
            similarity = max((_dot(vector, t) for t in taken), default=0.0)
            score = LAMBDA * scored.relevance[index] - (1 - LAMBDA) * similarity
            if segment(index) not in covered:
                score += SEGMENT_BONUS
            if best is None or score > best[0]:
                best = (score, index)
        if best is None:
            break
        index = best[1]
        group: tuple[int, ...] | None = (index,)
        if scored.anaphoric(index):
            group = _with_antecedent(sentences, index, title, used)
        if group is None:
            skipped.add(index)
            continue
        chosen.append(group)
        used.update(group)
        covered.update(segment(i) for i in group)
        taken.append(vectors[index])
    return [" ".join(sentences[i] for i in group) for group in sorted(chosen)]
