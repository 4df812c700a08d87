"""Which sentences of a source may be shown, how relevant each is, and the key points chosen from them.

Relevance is TF-IDF centrality (cosine to the document's centroid), plus closeness to the publisher's
description (or the title), a bonus for a point the source comes back to, and a small one per company or
model named. Key points are then chosen by maximal marginal relevance: relevance traded against
similarity to what is already shown, with a bonus for each stretch of the episode (one per wanted point)
not yet covered and for a position not yet shown (a named person's, "Amodei argues …", or the host's own,
"my own view is …"), so the points cover the episode's distinct beats and who said what instead of
repeating its most common vocabulary. Which sentences may be shown at all is `bot.digest.screening`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.digest.entities import sounds_like
from bot.digest.models import KEY_POINT_LIMIT, KEY_POINTS_MAX, KEY_POINTS_MIN
from bot.digest.screening import BOILERPLATE, GREETING, is_anaphoric, is_candidate, is_header, lead_sentence
from bot.digest.sponsors import is_call_to_action

__all__ = [
    "Scored",
    "is_anaphoric",
    "is_candidate",
    "is_header",
    "lead_sentence",
    "pick_key_points",
    "resolve_pronoun",
    "score_sentences",
]

Vector = dict[str, float]

_POSITION = re.compile(
    r"\b(?:said|says|argues|argued|wrote|writes|thinks|believes|warned|warns|claims|claimed|wants|"
    r"predicts|insists|agrees|disagrees|calls|called|points out|told|counters|responds|replied)\b",
    re.I,
)

_STANCE = re.compile(
    r"\b(?:my (?:own )?(?:view|take|position|guess|bet)|"
    r"I (?:part ways|disagree|end up|would argue|come down)|where I (?:agree|disagree|part ways|come down))\b"
)
HOST = frozenset({"the host"})

LAMBDA = 0.7  # relevance against novelty
SEGMENT_BONUS = 0.15  # a point from a stretch of the episode not yet covered
GUIDE_WEIGHT = 0.5  # closeness to the publisher's description
POSITION_BONUS = 0.6  # a named person's position, the first point for that person
SENTENCES_PER_POINT = 10  # one key point more per this many sentences, from 3 up to 7
ECHO_BONUS = 0.25  # a point the source comes back to
NAME_BONUS = 0.1  # per company or model named, up to NAMES_COUNTED
NAMES_COUNTED = 3
POOL_PER_SEGMENT = 25  # candidates per stretch of the source that selection considers
DUPLICATE_COSINE = 0.7
DUPLICATE_JACCARD = 0.5


@dataclass(slots=True)
class Scored:
    """Relevance of each sentence; `order` lists the candidates, most relevant first."""

    relevance: list[float]
    order: list[int]
    excluded: set[int] = field(default_factory=set)
    anaphors: set[int] = field(default_factory=set)
    #: Sentences that give a named person's position, and whose (a point per person earns the bonus).
    positions: dict[int, frozenset[str]] = field(default_factory=dict)
    #: The people each sentence names (in the text's spelling or a sound-alike).
    mentions: dict[int, frozenset[str]] = field(default_factory=dict)

    def anaphoric(self, index: int) -> bool:
        return index in self.anaphors


def _dot(a: Vector, b: Vector) -> float:
    small, large = (a, b) if len(a) < len(b) else (b, a)
    return sum(w * large.get(t, 0.0) for t, w in small.items())


_GRAM_WORDS = re.compile(r"[a-z0-9]+")
ECHO_WORDS = 5  # a repeated phrase: this many words in a row, with ECHO_WEIGHTED of them content words
ECHO_WEIGHTED = 3
ECHO_GAP = 5  # sentences apart for a repeated phrase to count as coming back to a point


def echoes(sentences: list[str], vectors: list[Vector]) -> set[int]:
    """Sentences whose phrase (five words in a row, three of them content words) recurs at least `ECHO_GAP`
    sentences away: the host came back to that point. Linear: one pass over the 4-grams."""
    seen: dict[tuple[str, ...], int] = {}
    found: set[int] = set()
    for index, sentence in enumerate(sentences):
        words = _GRAM_WORDS.findall(sentence.casefold())
        vector = vectors[index]
        weighted = [word in vector for word in words]
        for start in range(len(words) - ECHO_WORDS + 1):
            if sum(weighted[start : start + ECHO_WORDS]) < ECHO_WEIGHTED:
                continue
            gram = tuple(words[start : start + ECHO_WORDS])
            first = seen.setdefault(gram, index)
            if index - first >= ECHO_GAP:
                found.update((first, index))
    return found


def score_sentences(
    sentences: list[str],
    vectors: list[Vector],
    *,
    title: str = "",
    people: Sequence[str] = (),
    names: Sequence[str] = (),
    guide: Vector | None = None,
) -> Scored:
    """Relevance of every sentence; headers, ads and non-candidates are excluded from `order`.

    `names` are the companies and models found: a sentence naming them says who or what a beat is about.
    """
    echoed = echoes(sentences, vectors)
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    named = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])") if names else None
    centroid: Vector = {}
    for vector in vectors:
        for term, weight in vector.items():
            centroid[term] = centroid.get(term, 0.0) + weight
    norm = sum(v * v for v in centroid.values()) ** 0.5 or 1.0
    central = [_dot(vector, centroid) / norm for vector in vectors]
    top = max(central, default=0.0) or 1.0
    relevance: list[float] = []
    for sentence, vector, centrality in zip(sentences, vectors, central, strict=True):
        score = centrality / top * min(1.0, 0.5 + len(sentence.split()) / 30)  # short lines say little
        if guide:
            score += GUIDE_WEIGHT * _dot(vector, guide)
        if len(relevance) in echoed:
            score += ECHO_BONUS
        if named is not None:
            score += NAME_BONUS * min(NAMES_COUNTED, len(set(named.findall(sentence))))
        relevance.append(score)
    excluded = {i for i, s in enumerate(sentences) if not vectors[i] or not is_candidate(s, title)}
    order = sorted((i for i in range(len(sentences)) if i not in excluded), key=lambda i: (-relevance[i], i))
    anaphors = {i for i, s in enumerate(sentences) if is_anaphoric(s)}
    mentions = {i: v for i, s in enumerate(sentences) if people and (v := _voices(s, people))}
    positions = {i: mentions[i] for i in order if i in mentions and _POSITION.search(sentences[i])}
    for index in order:  # the host's own stance ("my own view is", "I part ways") is a position too
        if index not in positions and _STANCE.search(sentences[index]):
            positions[index] = HOST
    return Scored(relevance, order, excluded, anaphors, positions, mentions)


def _voices(sentence: str, people: Sequence[str]) -> frozenset[str]:
    """The people a sentence names, in the text's spelling or a sound-alike ("Amadeh" for Amodei)."""
    words = {w for w in re.findall(r"[A-Z][A-Za-z-]{3,}", sentence)}
    return frozenset(
        person
        for person in people
        if any(sounds_like(word, part) for part in person.split() if len(part) >= 4 for word in words)
    )


def _jaccard(a: Vector, b: Vector) -> float:
    keys_a, keys_b = set(a), set(b)
    return len(keys_a & keys_b) / len(keys_a | keys_b) if keys_a and keys_b else 0.0


def _duplicate(a: Vector, b: Vector) -> bool:
    return _dot(a, b) > DUPLICATE_COSINE or _jaccard(a, b) > DUPLICATE_JACCARD


_PRONOUN = re.compile(r"^(?:He|She) (?=[a-z])")
PRONOUN_LOOKBACK = 3


def resolve_pronoun(sentences: list[str], index: int, scored: Scored) -> str | None:
    """ "She argues …" as "[Raman] argues …" when the sentences just before name exactly one person."""
    match = _PRONOUN.match(sentences[index])
    if not match:
        return None
    for before in range(index - 1, max(-1, index - 1 - PRONOUN_LOOKBACK), -1):
        named = scored.mentions.get(before)
        if named:
            if len(named) != 1:
                return None
            surname = next(iter(named)).split()[-1]
            return f"[{surname}] {sentences[index][match.end() :]}"
    return None


def _with_antecedent(sentences: list[str], index: int, title: str, used: set[int]) -> tuple[int, ...] | None:
    """An anaphoric sentence with the one before it, when that one can stand first and both fit."""
    before = index - 1
    if before < 0 or before in used:
        return None
    prior = sentences[before]
    fits = len(prior) + 1 + len(sentences[index]) <= KEY_POINT_LIMIT
    if not fits or is_anaphoric(prior) or is_header(prior, title) or BOILERPLATE.search(prior):
        return None
    if GREETING.match(prior) or is_call_to_action(prior):
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
    the source: neither is repeated while the source has enough other candidates. Each candidate's
    similarity to what is shown is updated once per chosen point, so a round costs one pass.
    """
    wanted = min(KEY_POINTS_MAX, max(KEY_POINTS_MIN, 3 + len(sentences) // SENTENCES_PER_POINT))
    crowded = len(scored.order) > wanted
    n = max(len(sentences), 1)

    def segment(index: int) -> int:
        return min(wanted - 1, index * wanted // n)

    pool: list[int] = []
    per_segment: dict[int, int] = {}
    for index in scored.order:  # the strongest candidates of every stretch: MMR only ranks among them
        if per_segment.get(segment(index), 0) < POOL_PER_SEGMENT:
            pool.append(index)
            per_segment[segment(index)] = per_segment.get(segment(index), 0) + 1
    similar = dict.fromkeys(pool, 0.0)  # candidate -> highest similarity to what is shown
    excluded: set[int] = set()  # shown, near-duplicates of it, and anaphors that cannot be resolved
    covered: set[int] = set()

    def show(vector: Vector) -> None:
        for index in similar:
            if index not in excluded:
                closeness = _dot(vectors[index], vector)
                if closeness > DUPLICATE_COSINE or _jaccard(vectors[index], vector) > DUPLICATE_JACCARD:
                    excluded.add(index)
                similar[index] = max(similar[index], closeness)

    if crowded:
        for vector in shown:
            show(vector)
        if besides is not None:
            excluded.add(besides)
            covered.add(segment(besides))
    chosen: list[tuple[int, ...]] = []
    voiced: set[str] = set()
    rewritten: dict[int, str] = {}
    while len(chosen) < wanted:
        best: tuple[float, int] | None = None
        for index, similarity in similar.items():
            if index in excluded:
                continue
            score = LAMBDA * scored.relevance[index] - (1 - LAMBDA) * similarity
            if segment(index) not in covered:
                score += SEGMENT_BONUS
            if scored.positions.get(index, frozenset()) - voiced:
                score += LAMBDA * POSITION_BONUS  # someone's position not yet shown
            if best is None or score > best[0]:
                best = (score, index)
        if best is None:
            break
        index = best[1]
        excluded.add(index)
        group: tuple[int, ...] | None = (index,)
        if scored.anaphoric(index):
            shown_already = {i for g in chosen for i in g} | ({besides} if besides is not None else set())
            group = _with_antecedent(sentences, index, title, shown_already)
            if group is None and (resolved := resolve_pronoun(sentences, index, scored)) is not None:
                group, rewritten[index] = (index,), resolved
        if group is None:
            continue
        chosen.append(group)
        excluded.update(group)
        voiced.update(scored.positions.get(index, frozenset()))
        covered.update(segment(i) for i in group)
        show(vectors[index])
    return [" ".join(rewritten.get(i, sentences[i]) for i in group) for group in sorted(chosen)]
