"""The embedded offline summarizer: extractive, deterministic, needs no download and no network.

Sentences are split with nupunkt (Punkt with a bundled model, so "a.m." and "Dr." stay inside their
sentence). Each sentence becomes a TF-IDF vector; its centrality is the cosine similarity to the
document's centroid, so the chosen key points are the sentences that share the most weighted vocabulary
with the whole source. Everything it outputs is a sentence of the source (or counts about it), so it cannot
invent a fact. Linear in the text's length: a one-hour transcript takes a few tens of milliseconds.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import nupunkt

from bot.digest.analysis import describe_angle, extract_entities, extract_topics, measure_angle, suggest_poll
from bot.digest.models import (
    KEY_POINT_LIMIT,
    KEY_POINTS_MAX,
    KEY_POINTS_MIN,
    QUOTE_LIMIT,
    TLDR_LIMIT,
    Digest,
    SourceKind,
)
from bot.render.text import truncate

OFFLINE_MODEL = "extractive-tfidf-1"

_WORD = re.compile(r"[a-z0-9][a-z0-9'+-]*")
_QUOTED = re.compile(r"[\"“]([^\"“”]{20,280})[\"”]")
_BOILERPLATE = re.compile(
    r"\b(subscribe|sponsor|sponsored|brought to you by|promo code|rate (us|the show)|patreon|"
    r"like and share|newsletter sign ?up|unsubscribe|view in browser|https?://)\b",
    re.I,
)
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


@dataclass(frozen=True, slots=True)
class _Sentence:
    index: int
    text: str
    terms: Counter[str]


_BOUNDARY = re.compile(r"([.!?][\"”')\]]?)\s+(?=[\"“(]?[A-Z])")
_ABBREVIATION_TEXT = (
    "mr mrs ms dr prof sr jr st vs etc inc ltd co corp no vol fig approx dept est gen gov sen rep"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_TEXT.split())


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


LONG_SENTENCE = 600
_WORDS_PER_PIECE = 40


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


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, paragraph by paragraph, whitespace normalised."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n(?=\s*[•*-] )", text):
        paragraph = " ".join(paragraph.split())
        if paragraph:
            for found in nupunkt.sent_tokenize(paragraph):
                if isinstance(found, str):
                    for part in _refine(found):
                        sentences.extend(
                            _split_long(part) if len(part) > LONG_SENTENCE else [part] if part else []
                        )
    return sentences


def _terms(sentence: str) -> Counter[str]:
    words = (w.strip("'-") for w in _WORD.findall(sentence.lower()))
    return Counter(w for w in words if len(w) > 2 and w not in STOPWORDS and not w.isdigit())


def _is_candidate(sentence: str) -> bool:
    words = sentence.split()
    return (
        6 <= len(words) <= 70
        and 30 <= len(sentence) <= KEY_POINT_LIMIT
        and not sentence.endswith("?")
        and not _BOILERPLATE.search(sentence)
    )


def rank_sentences(sentences: list[str]) -> tuple[list[int], list[str]]:
    """Indices of candidate sentences, most central first; and the document's top keywords."""
    parsed = [_Sentence(i, s, _terms(s)) for i, s in enumerate(sentences)]
    df: Counter[str] = Counter()
    for sentence in parsed:
        df.update(sentence.terms.keys())
    n = max(len(parsed), 1)
    idf = {term: math.log((1 + n) / (1 + count)) + 1.0 for term, count in df.items()}
    centroid: Counter[str] = Counter()
    vectors: list[dict[str, float]] = []
    for sentence in parsed:
        vector = {t: (1 + math.log(c)) * idf[t] for t, c in sentence.terms.items()}
        vectors.append(vector)
        centroid.update(vector)
    centroid_norm = math.sqrt(sum(v * v for v in centroid.values())) or 1.0
    scored = []
    for sentence, vector in zip(parsed, vectors, strict=True):
        if not vector or not _is_candidate(sentence.text):
            continue
        norm = math.sqrt(sum(v * v for v in vector.values()))
        score = sum(w * centroid[t] for t, w in vector.items()) / (norm * centroid_norm)
        scored.append((-round(score, 12), sentence.index))
    scored.sort()
    keywords = [
        t
        for t, c in sorted(df.items(), key=lambda kv: (-kv[1] * idf[kv[0]] ** 0.5, kv[0]))
        if c >= 2 and len(t) > 3
    ]
    return [index for _, index in scored], keywords[:12]


def _similar(a: Counter[str], b: Counter[str]) -> bool:
    keys_a, keys_b = set(a), set(b)
    if not keys_a or not keys_b:
        return False
    return len(keys_a & keys_b) / len(keys_a | keys_b) > 0.5


def pick_key_points(sentences: list[str], ranked: list[int], *, besides: int | None = None) -> list[int]:
    """3-7 central, mutually different sentences (fewer only when the source has fewer), in source order.

    `besides` is a sentence already shown (the TL;DR): it and sentences like it are not repeated as key
    points while the source has enough others.
    """
    wanted = min(KEY_POINTS_MAX, max(KEY_POINTS_MIN, 3 + len(sentences) // 60))
    shown = [besides] if besides is not None and len(sentences) > wanted else []
    chosen: list[int] = []
    for index in ranked:
        if index in shown:
            continue
        terms = _terms(sentences[index])
        if any(_similar(terms, _terms(sentences[other])) for other in (*shown, *chosen)):
            continue
        chosen.append(index)
        if len(chosen) == wanted:
            break
    return sorted(chosen)


def pick_quote(text: str, sentences: list[str], ranked: list[int]) -> str | None:
    """The most central sentence that quotes someone, as the quoted words; None when nobody is quoted."""
    rank_of = {index: position for position, index in enumerate(ranked)}
    best: tuple[int, str] | None = None
    for index, sentence in enumerate(sentences):
        match = _QUOTED.search(sentence)
        if match and len(match.group(1).split()) >= 5:
            position = rank_of.get(index, len(ranked) + index)
            if best is None or position < best[0]:
                best = (position, match.group(1).strip().rstrip(",;: "))
    return truncate(best[1], QUOTE_LIMIT) if best else None


def summarize_offline(text: str, title: str = "", *, source: SourceKind = "file") -> Digest:
    """The extractive digest of `text` (synchronous, deterministic, no I/O)."""
    sentences = split_sentences(text)
    ranked, keywords = rank_sentences(sentences)
    fitting = [i for i in ranked if len(sentences[i]) <= TLDR_LIMIT]
    key_indices = pick_key_points(sentences, ranked, besides=fitting[0] if fitting else None)
    if not key_indices:  # nothing sentence-like (a title, a list of links): keep what there is, cut
        key_points = [truncate(s, KEY_POINT_LIMIT) for s in sentences[:KEY_POINTS_MIN] if s.strip()]
    else:
        key_points = [sentences[i] for i in key_indices]
    if fitting:
        tldr = sentences[fitting[0]]
    elif key_points:
        tldr = truncate(key_points[0], TLDR_LIMIT)
    else:
        tldr = truncate(title or text, TLDR_LIMIT) or "No text to summarize."
    if not key_points:
        key_points = [tldr]
    angle = measure_angle(text)
    entities = extract_entities(text)
    return Digest(
        tldr=tldr,
        key_points=key_points,
        topics=extract_topics(text, keywords),
        entities=entities,
        quote=pick_quote(text, sentences, ranked),
        angle=describe_angle(angle),
        poll=suggest_poll(text, angle, sentences),
        backend="offline",
        model=OFFLINE_MODEL,
        source=source,
        tokens_in=0,
        tokens_out=0,
        chunks=1,
    )
