"""The embedded offline summarizer: extractive, deterministic, needs no download and no network.

The source is first cleaned: sponsor reads are cut (`bot.digest.sponsors`) and a show-notes header glued
to its first sentence ("Episode Date: February 17, 2025With China's …") is split off. Each sentence
becomes a TF-IDF vector. The TL;DR is the first real sentence of the publisher's own description when
there is one (the host's summary of the episode), else the most relevant sentence. Key points are chosen
for coverage, not centrality alone (see `bot.digest.selection`): relevance (centrality, closeness to the
description, a named person's position) traded against similarity to the points already chosen, with a
bonus for each part of the episode not yet covered. Headers, dates, title lines, ads and questions are
never chosen, and a point that opens on "That"/"This"/"It" carries the sentence it refers back to.
Everything it outputs is text of the source (or counts about it), so it cannot invent a fact. Linear in
the text's length apart from the few selection rounds: a one-hour transcript takes a few tens of ms.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from bot.digest.analysis import (
    describe_angle,
    extract_entities,
    extract_topics,
    has_ai_content,
    measure_angle,
    suggest_poll,
)
from bot.digest.models import KEY_POINT_LIMIT, KEY_POINTS_MIN, QUOTE_LIMIT, TLDR_LIMIT, Digest, SourceKind
from bot.digest.screening import is_header, lead_sentence, strip_header
from bot.digest.selection import Scored, pick_key_points, score_sentences
from bot.digest.sentences import split_sentences
from bot.digest.sponsors import strip_sponsor_reads
from bot.render.text import truncate

__all__ = ["OFFLINE_MODEL", "STOPWORDS", "split_sentences", "summarize_offline"]

OFFLINE_MODEL = "extractive-tfidf-2"

_WORD = re.compile(r"[a-z0-9][a-z0-9'+-]*")
_QUOTED = re.compile(r"[\"“]([^\"“”]{20,280})[\"”]")
_STOPWORDS_TEXT = """
a about above after again against all also am an and any are aren't as at be because been before
being below between both but by can can't could did didn't do does doesn't doing don't down during
each few for from further get got had has hasn't have haven't having he her here hers herself him
himself his how i i'm if in into is isn't it it's its itself just know let's like me more most much
my myself no nor not now of off on once one only or other our ours ourselves out over own really
right same say said says she should so some still such than that that's the their theirs them
themselves then there there's these they they're thing things think this those through to too under
until up us very want was wasn't way we we're were what what's when where which while who whom why
will with won't would yeah you you're your yours yourself going gonna kind lot sort actually
basically well okay ok today episode show week year years new make makes made even back two first
last many may might must need every around going big
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def _terms(sentence: str) -> Counter[str]:
    words = (w.strip("'-") for w in _WORD.findall(sentence.lower()))
    return Counter(w for w in words if len(w) > 2 and w not in STOPWORDS and not w.isdigit())


def rank_sentences(sentences: list[str]) -> tuple[list[dict[str, float]], dict[str, float], list[str]]:
    """Each sentence's TF-IDF vector (normalised), the document's idf, and its top keywords."""
    bags = [_terms(s) for s in sentences]
    df: Counter[str] = Counter()
    for bag in bags:
        df.update(bag.keys())
    n = max(len(bags), 1)
    idf = {term: math.log((1 + n) / (1 + count)) + 1.0 for term, count in df.items()}
    vectors = []
    for bag in bags:
        vector = {t: (1 + math.log(c)) * idf[t] for t, c in bag.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        vectors.append({t: v / norm for t, v in vector.items()})
    keywords = [
        t
        for t, c in sorted(df.items(), key=lambda kv: (-kv[1] * idf[kv[0]] ** 0.5, kv[0]))
        if c >= 2 and len(t) > 3
    ]
    return vectors, idf, keywords[:20]


def vector_of(text: str, idf: dict[str, float]) -> dict[str, float]:
    """A text outside the source (the description) in the source's TF-IDF space."""
    bag = _terms(text)
    vector = {t: (1 + math.log(c)) * idf.get(t, 1.0) for t, c in bag.items()}
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {t: v / norm for t, v in vector.items()}


def pick_quote(sentences: list[str], scored: Scored) -> str | None:
    """The most relevant sentence that quotes someone, as the quoted words; None when nobody is quoted."""
    best: tuple[float, str] | None = None
    for index, sentence in enumerate(sentences):
        match = _QUOTED.search(sentence)
        if match and len(match.group(1).split()) >= 5 and index not in scored.excluded:
            relevance = scored.relevance[index]
            if best is None or relevance > best[0]:
                best = (relevance, match.group(1).strip().rstrip(",;: "))
    return truncate(best[1], QUOTE_LIMIT) if best else None


def _tldr(lead: str, sentences: list[str], scored: Scored, title: str) -> tuple[str | None, int | None]:
    """The TL;DR text and, when it is a sentence of the source, its index."""
    if lead:
        first = lead_sentence(split_sentences(lead), title)
        if first is not None:
            index = sentences.index(first) if first in sentences else None
            return truncate(first, TLDR_LIMIT), index
    fitting = [i for i in scored.order if len(sentences[i]) <= TLDR_LIMIT and not scored.anaphoric(i)]
    return (sentences[fitting[0]], fitting[0]) if fitting else (None, None)


def summarize_offline(
    text: str, title: str = "", *, source: SourceKind = "file", description: str = ""
) -> Digest:
    """The extractive digest of `text` (synchronous, deterministic, no I/O).

    `description` is the publisher's own summary (the show notes of a transcribed episode); for show
    notes themselves their opening is that summary.
    """
    stripped = strip_sponsor_reads(text)
    text = strip_header(stripped.text)
    sentences = list(stripped.kept) if text == stripped.text else split_sentences(text)
    description = strip_sponsor_reads(description).text if description.strip() else ""
    lead = description or (text if source == "show_notes" else "")
    vectors, idf, keywords = rank_sentences(sentences)
    entities = extract_entities(text)
    guide = vector_of(lead or title, idf) if lead or title else None
    scored = score_sentences(
        sentences,
        vectors,
        title=title,
        people=entities.people,
        names=[*entities.companies, *entities.models],
        guide=guide,
    )
    tldr, tldr_index = _tldr(lead, sentences, scored, title)
    shown = [vector_of(tldr, idf)] if tldr is not None else []
    key_points = pick_key_points(sentences, vectors, scored, shown=shown, besides=tldr_index, title=title)
    if not key_points:  # nothing sentence-like (a title, a list of links): keep what there is, cut
        key_points = [
            truncate(s, KEY_POINT_LIMIT)
            for s in sentences
            if s.strip() and not is_header(s, title) and s != tldr
        ][:KEY_POINTS_MIN] or [truncate(s, KEY_POINT_LIMIT) for s in sentences[:KEY_POINTS_MIN]]
    if tldr is None:
        tldr = truncate(key_points[0], TLDR_LIMIT) if key_points else None
    tldr = tldr or truncate(title or text, TLDR_LIMIT) or "No text to summarize."
    if not key_points:
        key_points = [tldr]
    ai = has_ai_content(text, entities)
    angle = measure_angle(text, sentences)
    return Digest(
        tldr=tldr,
        key_points=key_points,
        topics=extract_topics(text, keywords, entities=entities),
        entities=entities,
        quote=pick_quote(sentences, scored),
        angle=describe_angle(angle, ai=ai),
        poll=suggest_poll(text, angle, sentences, ai=ai),
        backend="offline",
        model=OFFLINE_MODEL,
        source=source,
        tokens_in=0,
        tokens_out=0,
        chunks=1,
    )
