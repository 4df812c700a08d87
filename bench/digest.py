"""Digests: LLM tokens sent for a one-hour transcript, a cached re-run, and offline speed.

Tokens: a 10,000-word transcript (about one hour of talk) is digested through `DigestService` with the
default context budget (`LLM_CONTEXT_TOKENS` = 8,000) against the OpenAI-compatible double, which bills
ceil(chars / 4) of every message plus the JSON schema, like a real server's prompt count. The baseline is
the transcript's own size counted the same way; the figure is every prompt token of every request (system
prompts, schema, the chunks, and the combine step) relative to it. A second run on the same store must
send nothing (the cache). Speed: CPU time of the offline summarizer on the same transcript relative to
the classic alternative it replaces, TextRank-style centrality from all sentence pairs (O(n²) cosine
similarities over the same TF-IDF vectors), measured in the same run.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
from pathlib import Path
from typing import Any

from bench.core import cpu_seconds, median_of
from bot.digest.offline import _terms, split_sentences, summarize_offline
from bot.digest.service import DigestService
from bot.digest.source import SourceText
from bot.store import Store
from tests.digest.transcripts import hour_transcript
from tests.doubles.openai_double import OpenAIDouble, count_tokens

CONTEXT_TOKENS = 8000


async def _token_run(words: int) -> tuple[int, int, int, int]:
    text = hour_transcript(words)
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(Path(folder) / "bench.sqlite3")
        try:
            async with OpenAIDouble() as double:
                client = double.client(timeout=10)
                try:
                    service = DigestService(
                        store.digests, llm=client, model="double-model", context_tokens=CONTEXT_TOKENS
                    )
                    source = SourceText(text, "transcript")
                    digest = await service.digest_text("bench-ep", "One hour", source)
                    if digest.backend != "llm":
                        raise RuntimeError(f"the LLM run fell back: {digest.fallback_reason}")
                    first = double.prompt_tokens
                    requests = len(double.chat_requests)
                    await service.digest_text("bench-ep", "One hour", source)
                    rerun = double.prompt_tokens - first
                finally:
                    await client.close()
        finally:
            await store.close()
    return count_tokens(text), first, rerun, requests


def tokens(quick: bool = False) -> list[dict[str, Any]]:
    """The two token figures as dicts (name, value, baseline, ratio, target, unit, meets_target)."""
    own, sent, rerun, requests = asyncio.run(_token_run(10_000))
    first = {
        "name": "digest tokens sent / transcript (1 h)",
        "value": sent,
        "baseline": own,
        "unit": "tokens",
        "target": "≤ 1.3×",
        "note": f"{requests} requests incl. the combine step, context {CONTEXT_TOKENS}",
    }
    again = {
        "name": "digest tokens sent on cached re-run",
        "value": rerun,
        "baseline": own,
        "unit": "tokens",
        "target": "≤ 0×",
        "note": "the same episode is never paid for twice",
    }
    for figure, limit in ((first, 1.3), (again, 0.0)):
        ratio = float(figure["value"]) / float(figure["baseline"])  # type: ignore[arg-type]
        figure["ratio"] = ratio
        figure["meets_target"] = ratio <= limit
    return [first, again]


def pairwise_centrality(text: str) -> list[int]:
    """The baseline: split, TF-IDF vectors, then each sentence's summed cosine similarity to all others."""
    sentences = split_sentences(text)
    bags = [_terms(s) for s in sentences]
    df: dict[str, int] = {}
    for bag in bags:
        for term in bag:
            df[term] = df.get(term, 0) + 1
    n = len(bags)
    vectors = []
    for bag in bags:
        vector = {t: (1 + math.log(c)) * (math.log((1 + n) / (1 + df[t])) + 1) for t, c in bag.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        vectors.append({t: v / norm for t, v in vector.items()})
    scores = [0.0] * n
    for i in range(n):
        a = vectors[i]
        for j in range(i + 1, n):
            b = vectors[j]
            small, large = (a, b) if len(a) < len(b) else (b, a)
            similarity = sum(w * large.get(t, 0.0) for t, w in small.items())
            scores[i] += similarity
            scores[j] += similarity
    return sorted(range(n), key=lambda k: -scores[k])


def offline_speed(quick: bool = False) -> dict[str, Any]:
    """CPU of the whole offline digest of a one-hour transcript relative to pairwise centrality alone."""
    text = hour_transcript(10_000)
    repeats = 3 if quick else 5
    summarize = median_of(repeats, lambda: cpu_seconds(lambda: summarize_offline(text, "One hour")))
    pairwise = median_of(1 if quick else 3, lambda: cpu_seconds(lambda: pairwise_centrality(text)))
    ratio = summarize / pairwise if pairwise else float("inf")
    return {
        "name": "offline digest CPU / pairwise TextRank (1 h)",
        "value": summarize,
        "baseline": pairwise,
        "ratio": ratio,
        "unit": "s",
        "target": "≤ 0.5×",
        "meets_target": ratio <= 0.5,
        "note": f"{summarize * 1000:.0f} ms for the whole digest of 10,000 words",
    }


def figure_tokens(quick: bool) -> list[dict[str, Any]]:
    return tokens(quick)


def figure_offline_speed(quick: bool) -> dict[str, Any]:
    return offline_speed(quick)
