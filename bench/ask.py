"""`/ask` benchmarks: retrieval quality on the evaluation set, and retrieval time on a large archive.

- recall@3: the share of the evaluation questions (`bench/ask_eval.py`: 27 questions over six episodes with
  timed transcripts) whose answering episode is among the first three passages retrieved. For comparison
  the note gives the share `/search` (FTS5 over whole items, every word required) puts in its first three.
- offline citation accuracy: the share whose offline answer cites, first, the answering episode at the
  minute the answer is said (±1 minute).
- retrieval latency: question → ranked, per-episode passages over 10,000 synthetic episodes with
  ~2,000-word transcripts (300 episodes of ~400 words with `--quick`), stored through the real migrations
  and the real passage indexer, as a share of the 3 s interaction deadline (wall clock, median).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bench import ask_eval
from bench import search as search_bench
from bench.core import Figure
from bot.ask import indexer
from bot.ask.retrieve import retrieve
from bot.ask.service import AskService
from bot.search import QueryError, SearchService
from bot.store import Store
from bot.store.ask import Filters

DEADLINE_MS = 3000.0
LATENCY_QUESTIONS = [
    "What did they say about open weights?",
    "When did they first talk about regulation in europe?",
    "Which chips are best for inference?",
    "Is safety research keeping up with agents?",
    "What did they say about zyqlorth?",
]


async def _quality(path: Path) -> dict[str, float]:
    store = await Store.open(path)
    try:
        await ask_eval.seed(store, guild_id=1)
        await indexer.drain(store.ask)
        service = AskService(store.ask, store.digests)
        search = SearchService(store.search)
        keys = {int(row[0]): str(row[1]) for row in await store.db.fetchall("SELECT id, key FROM items")}
        recalled = cited = searched = 0
        for question in ask_eval.QUESTIONS:
            found = await retrieve(store.ask, question.question, Filters())
            recalled += any(
                p.candidate.episode_key.endswith("/" + question.episode) for p in found.passages[:3]
            )
            answer = await service.answer(question.question, Filters())
            first = answer.citations[0] if answer.citations else None
            cited += bool(
                answer.supported
                and first is not None
                and first.key.endswith("/" + question.episode)
                and first.start_seconds is not None
                and abs(first.start_seconds // 60 - question.minute) <= 1
            )
            try:
                page = await search.search(1, question.question)
            except QueryError:
                continue
            searched += any(keys.get(hit.item_id) == question.episode for hit in page.hits[:3])
        total = len(ask_eval.QUESTIONS)
        return {"recall3": recalled / total, "accuracy": cited / total, "search_recall3": searched / total}
    finally:
        await store.close()


async def _latency(path: Path, repeats: int) -> dict[str, float]:
    store = await Store.open(path)
    try:
        started = time.perf_counter()
        rebuilt = await indexer.drain(store.ask)
        index_s = time.perf_counter() - started
        passages = int(await store.db.fetchval("SELECT count(*) FROM ask_passages"))
        filters = Filters(guild_id=search_bench.GUILD_ID)
        for question in LATENCY_QUESTIONS:  # warm the page cache
            await retrieve(store.ask, question, filters)
        walls, cpus = [], []
        for _ in range(repeats):
            for question in LATENCY_QUESTIONS:
                wall, cpu = time.perf_counter(), time.process_time()
                await retrieve(store.ask, question, filters)
                walls.append((time.perf_counter() - wall) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
        return {
            "retrieve_ms": statistics.median(walls),
            "retrieve_cpu_ms": statistics.median(cpus),
            "retrieve_max_ms": max(walls),
            "episodes": rebuilt,
            "passages": passages,
            "index_s": index_s,
        }
    finally:
        await store.close()


_CACHE: dict[bool, dict[str, float]] = {}


def measurements(quick: bool) -> dict[str, float]:
    if quick not in _CACHE:
        with tempfile.TemporaryDirectory(prefix="bench-ask-") as folder:
            result = asyncio.run(_quality(Path(folder) / "eval.sqlite3"))
            path = Path(folder) / "archive.sqlite3"
            episodes, words = (300, 400) if quick else (10_000, 2000)
            search_bench.seed(path, episodes, transcript_words=words)
            result |= asyncio.run(_latency(path, repeats=3 if quick else 7))
            _CACHE[quick] = result
    return _CACHE[quick]


def figure_recall_at_3(quick: bool) -> Figure:
    """The answering episode among the first three passages retrieved, over the evaluation set."""
    m = measurements(quick)
    return Figure(
        name=f"ask: retrieval recall@3 ({len(ask_eval.QUESTIONS)} questions, "
        f"{len(ask_eval.EPISODES)} episodes)",
        value=m["recall3"],
        baseline=1.0,
        unit="",
        target=0.9,
        direction="higher",
        note=(
            "baseline = every question; /search (every word required) has the answer in its first three "
            f"for {m['search_recall3']:.0%}"
        ),
    )


def figure_offline_citation_accuracy(quick: bool) -> Figure:
    """The offline answer's first citation is the answering episode, at the right minute (±1)."""
    m = measurements(quick)
    return Figure(
        name="ask: offline answer cites the right episode and minute",
        value=m["accuracy"],
        baseline=1.0,
        unit="",
        target=0.8,
        direction="higher",
        note="baseline = every question of the evaluation set",
    )


def figure_retrieval_deadline_share(quick: bool) -> Figure:
    """Retrieval time over a large archive as a share of the 3 s interaction deadline."""
    m = measurements(quick)
    return Figure(
        name=f"ask: retrieval over {int(m['episodes']):,} episodes as share of 3 s",
        value=m["retrieve_ms"],
        baseline=DEADLINE_MS,
        unit="ms",
        target=0.05,
        direction="lower",
        note=(
            f"wall clock, median; {int(m['passages']):,} passages, "
            f"slowest question {m['retrieve_max_ms']:.0f} ms, "
            f"CPU {m['retrieve_cpu_ms']:.1f} ms; indexing them took {m['index_s']:.0f} s"
        ),
    )
