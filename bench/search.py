"""Search benchmarks: `/search` (FTS5) and `/episode` autocomplete (the in-memory title index) against a
`LIKE` scan of the same data, and their time against the 3 s interaction deadline.

10,000 synthetic episodes (2,000 with `--quick`), each with a ~2,000-word transcript, show notes and a
digest, are stored through the real migrations, so the triggers build the index exactly as in production.
Autocomplete is always measured over 10,000 titles (with `--quick`, a second store with short
transcripts). Queries run through the real `SearchService` on the real aiosqlite store; the baseline is the
same question asked with `LIKE '%word%'` over the same columns.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench._episodes import TOPICS
from bench.core import Figure
from bot.search import SearchService
from bot.search.titles import TitleIndex
from bot.store import Store
from bot.store.search import SearchRepo

GUILD_ID = 1
DEADLINE_MS = 3000.0
SEARCH_QUERIES = [
    "open weights",
    "anthropic",
    '"agentic coding"',
    "regulation europe",
    "benchmark*",
    "zyqlorth",
]
TITLE_QUERIES = ["open", "ope", "anthropic ag", "penai", "weights", "llama 4", "zyq"]


def _vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    letters = "abcdefghijklmnoprstuvwy"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(size)}
    return sorted(words) + list(TOPICS)


def _paragraphs(rng: random.Random, vocabulary: list[str], count: int = 400, words: int = 100) -> list[str]:
    # Zipf-like: the first words of the vocabulary are much more frequent, as in speech.
    weights = [1.0 / (rank + 1) for rank in range(len(vocabulary))]
    rng.shuffle(vocabulary)
    return [" ".join(rng.choices(vocabulary, weights=weights, k=words)) for _ in range(count)]


def seed(path: Path, episodes: int, *, transcript_words: int = 2000, rng_seed: int = 9) -> None:
    """A migrated store at `path` with `episodes` items followed by guild 1, transcripts and digests."""

    async def migrate() -> None:
        store = await Store.open(path)
        await store.close()

    asyncio.run(migrate())
    rng = random.Random(rng_seed)
    vocabulary = _vocabulary(rng)
    paragraphs = _paragraphs(rng, vocabulary)
    per_transcript = max(1, transcript_words // 100)
    now = "2026-11-01T00:00:00.000000+00:00"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute(
            "INSERT INTO feeds (id, url, name, kind, title, added_at) "
            "VALUES (1, 'https://example.test/podcast.xml', 'podcast', 'podcast', 'The AI Daily Brief', ?)",
            (now,),
        )
        conn.execute(
            "INSERT INTO subscriptions (guild_id, feed_id, channel_id, created_at, updated_at) "
            "VALUES (?, 1, 10, ?, ?)",
            (GUILD_ID, now, now),
        )
        conn.executemany(
            "INSERT INTO search_transcripts (episode_key, text, updated_at) VALUES (?, ?, ?)",
            (
                (f"1/ep-{n}", " ".join(rng.choices(paragraphs, k=per_transcript)), now)
                for n in range(episodes)
            ),
        )
        conn.executemany(
            "INSERT INTO digests (episode_key, title, source_hash, source_kind, backend, model, "
            "prompt_version, data, created_at) "
            "VALUES (?, '', 'h', 'transcript', 'offline', 'bench', '1', ?, ?)",
            (
                (
                    f"1/ep-{n}",  # digests are keyed <feed_id>/<item key>
                    json.dumps(
                        {"tldr": rng.choice(paragraphs)[:280], "key_points": [rng.choice(paragraphs)[:200]]}
                    ),
                    now,
                )
                for n in range(episodes)
            ),
        )
        conn.executemany(
            "INSERT INTO items (feed_id, key, title, published_at, summary_text, content_hash, "
            "first_seen_at, status) VALUES (1, ?, ?, ?, ?, 'h', ?, 'new')",
            (
                (
                    f"ep-{n}",
                    " ".join(rng.sample(TOPICS, 3) + rng.sample(vocabulary, 3)).capitalize(),
                    f"{2000 + n // 365:04d}-{1 + n % 12:02d}-{1 + n % 28:02d}T06:00:00.000000+00:00",
                    rng.choice(paragraphs),
                    now,
                )
                for n in range(episodes)
            ),
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA optimize")
    finally:
        conn.close()


def _like_terms(query: str) -> list[str]:
    return [word for word in query.replace('"', " ").replace("*", " ").split() if word]


_LIKE_TITLES = (
    "SELECT i.id, i.title, CASE WHEN i.title LIKE ? || '%' THEN 0 "
    "WHEN ' ' || i.title LIKE '% ' || ? || '%' THEN 1 ELSE 3 END AS klass "
    "FROM items i WHERE i.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id = ?) "
    "AND i.duplicate_of IS NULL AND i.title LIKE '%' || ? || '%' "
    "ORDER BY klass, i.published_at DESC LIMIT 25"
)

_LIKE_SEARCH = (
    "FROM items i LEFT JOIN search_transcripts t ON t.episode_key = i.digest_key "
    "LEFT JOIN digests d ON d.episode_key = i.digest_key "
    "WHERE i.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id = ?) AND i.duplicate_of IS NULL"
)


async def _like_search(store: Store, query: str) -> int:
    """The baseline: the same question as `/search` asked with LIKE over the same columns."""
    clauses: list[str] = []
    params: list[object] = [GUILD_ID]
    for word in _like_terms(query):
        clauses.append(" AND (i.title LIKE ? OR i.summary_text LIKE ? OR t.text LIKE ? OR d.data LIKE ?)")
        params.extend([f"%{word}%"] * 4)
    where = _LIKE_SEARCH + "".join(clauses)
    total = await store.db.fetchval(f"SELECT count(*) {where}", params)
    await store.db.fetchall(
        f"SELECT i.id, i.title, i.link {where} ORDER BY i.published_at DESC LIMIT 5",
        params,
    )
    return int(total or 0)


async def _like_titles(store: Store, typed: str) -> int:
    """The baseline of autocomplete: a LIKE scan of every title with the same ranking."""
    rows = await store.db.fetchall(_LIKE_TITLES, (typed, typed, GUILD_ID, typed))
    return len(rows)


async def _time_ms(
    repeats: int, queries: list[str], run: Callable[[str], Awaitable[object]]
) -> tuple[float, float]:
    """Median over `repeats` of the mean time of one query in ms, the whole set run each time: as
    (wall clock, process CPU). CPU time counts the aiosqlite worker thread too and is insensitive to other
    load on the machine, so the FTS5-versus-LIKE ratios use it; the deadline share uses the wall clock."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        for query in queries:
            await run(query)
        walls.append((time.perf_counter() - wall) * 1000 / len(queries))
        cpus.append((time.process_time() - cpu) * 1000 / len(queries))
    return statistics.median(walls), statistics.median(cpus)


async def _after_new_episode(store: Store, service: SearchService, repeats: int) -> tuple[float, float]:
    """The first keystroke after a new episode was stored: the feed's titles are read again and only the
    new title is folded and indexed from scratch. Median (wall ms, CPU ms) of the keystroke alone."""
    walls, cpus = [], []
    for n in range(repeats):
        await store.db.execute(
            "INSERT INTO items (feed_id, key, title, published_at, content_hash, first_seen_at, status) "
            "VALUES (1, ?, ?, '2030-01-01T06:00:00.000000+00:00', 'h', '2030-01-01T06:00:00.000000+00:00', "
            "'new')",
            (f"bench-new-{n}", f"Open weights news number {n}"),
        )
        wall, cpu = time.perf_counter(), time.process_time()
        choices = await service.title_choices(GUILD_ID, "open")
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        if choices[0].title != f"Open weights news number {n}":
            raise RuntimeError("the new episode was not suggested first")
    return statistics.median(walls), statistics.median(cpus)


def _split(timings: dict[str, tuple[float, float]]) -> dict[str, float]:
    """Wall-clock and CPU medians as `name` and `name_cpu`."""
    return {name: wall for name, (wall, _) in timings.items()} | {
        f"{name}_cpu": cpu for name, (_, cpu) in timings.items()
    }


async def _measure_search(path: Path, repeats: int) -> dict[str, float]:
    store = await Store.open(path)
    try:
        service = SearchService(SearchRepo(store.db))
        for query in SEARCH_QUERIES:  # warm the page cache for both sides alike
            await service.search(GUILD_ID, query)
            await _like_search(store, query)

        async def fts_search(query: str) -> None:
            await service.search(GUILD_ID, query)

        async def like_search(query: str) -> None:
            await _like_search(store, query)

        return _split(
            {
                "fts_search": await _time_ms(repeats, SEARCH_QUERIES, fts_search),
                "like_search": await _time_ms(max(1, repeats // 3), SEARCH_QUERIES, like_search),
            }
        )
    finally:
        await store.close()


async def _measure_titles(path: Path, repeats: int) -> dict[str, float]:
    store = await Store.open(path)
    try:
        service = SearchService(SearchRepo(store.db))

        async def index_titles(query: str) -> None:
            await service.title_choices(GUILD_ID, query)

        async def cold_keystroke(query: str) -> None:
            # The first keystroke after a start: every title of the feed read and indexed.
            await TitleIndex(service.repo).choices(GUILD_ID, query, 25)

        async def like_titles(query: str) -> None:
            await _like_titles(store, query)

        for query in TITLE_QUERIES:  # load the index, and warm the page cache for both sides alike
            await service.title_choices(GUILD_ID, query)
            await _like_titles(store, query)
        result = _split(
            {
                "index_titles": await _time_ms(repeats * 20, TITLE_QUERIES, index_titles),
                "like_titles": await _time_ms(repeats * 5, TITLE_QUERIES, like_titles),
                "cold_keystroke": await _time_ms(repeats, TITLE_QUERIES[:1], cold_keystroke),
                "new_episode_keystroke": await _after_new_episode(store, service, repeats),
            }
        )
        tracemalloc.start()  # what a loaded feed holds: its titles and their index
        index = TitleIndex(service.repo)
        await index.choices(GUILD_ID, TITLE_QUERIES[0], 25)
        result["index_mb"] = tracemalloc.get_traced_memory()[0] / 1e6
        tracemalloc.stop()
        return result
    finally:
        await store.close()


_CACHE: dict[bool, dict[str, float]] = {}
TITLES = 10_000  # autocomplete is measured at the size in both modes: titles are quick to seed


def measurements(quick: bool) -> dict[str, float]:
    """Seed once per mode and measure every figure of this module.

    `/search` runs over 10,000 episodes with ~2,000-word transcripts (2,000 with `--quick`). Autocomplete
    reads titles only, so with `--quick` it gets its own store of 10,000 episodes with short transcripts,
    and is measured at the size the target is stated for either way.
    """
    if quick not in _CACHE:
        with tempfile.TemporaryDirectory(prefix="bench-search-") as folder:
            path = Path(folder) / "search.sqlite3"
            episodes = 2000 if quick else 10_000
            started = time.perf_counter()
            seed(path, episodes)
            result = asyncio.run(_measure_search(path, repeats=3 if quick else 7))
            titles_path = path
            if episodes != TITLES:
                titles_path = Path(folder) / "titles.sqlite3"
                seed(titles_path, TITLES, transcript_words=100)
            result |= asyncio.run(_measure_titles(titles_path, repeats=3 if quick else 7))
            result["episodes"] = episodes
            result["titles"] = TITLES
            result["seed_s"] = time.perf_counter() - started
            _CACHE[quick] = result
    return _CACHE[quick]


def figure_fts_vs_like(quick: bool) -> Figure:
    """/search: FTS5 ranked query with snippets vs a LIKE scan of the same columns (≥ 20× faster)."""
    m = measurements(quick)
    return Figure(
        name=f"search: /search FTS5 vs LIKE ({int(m['episodes'])} episodes)",
        value=m["fts_search_cpu"],
        baseline=m["like_search_cpu"],
        unit="CPU ms/query",
        target=0.05,
        direction="lower",
        note="ratio = FTS5 CPU time / LIKE CPU time; ≤ 0.05 means at least 20× faster",
    )


def figure_autocomplete_vs_like(quick: bool) -> Figure:
    """/episode autocomplete: a keystroke answered by the in-memory title index vs a LIKE scan of titles."""
    m = measurements(quick)
    return Figure(
        name=f"search: /episode autocomplete vs LIKE ({int(m['titles'])})",
        value=m["index_titles_cpu"],
        baseline=m["like_titles_cpu"],
        unit="CPU ms/query",
        target=0.05,
        direction="lower",
        note="ratio = index CPU time (its freshness query included) / LIKE CPU time; ≤ 0.05 is ≥ 20× faster",
    )


def figure_search_deadline_share(quick: bool) -> Figure:
    """/search query time as a share of the 3 s interaction deadline."""
    m = measurements(quick)
    return Figure(
        name="search: /search query as share of 3 s deadline",
        note="wall clock, query and page with snippets",
        value=m["fts_search"],
        baseline=DEADLINE_MS,
        unit="ms",
        target=0.05,
        direction="lower",
    )


def figure_autocomplete_deadline_share(quick: bool) -> Figure:
    """/episode autocomplete query time as a share of the 3 s interaction deadline."""
    m = measurements(quick)
    return Figure(
        name="search: autocomplete query as share of 3 s deadline",
        note="wall clock, a keystroke on a warm index",
        value=m["index_titles"],
        baseline=DEADLINE_MS,
        unit="ms",
        target=0.05,
        direction="lower",
    )


def figure_autocomplete_index_memory(quick: bool) -> Figure:
    """Memory the autocomplete index holds for one feed's titles, against the bot's 150 MB budget."""
    m = measurements(quick)
    return Figure(
        name=f"search: autocomplete index memory, {int(m['titles'])} titles, share of 150 MB",
        note="tracemalloc: the titles, their folded words and word lists, kept after the first keystroke",
        value=m["index_mb"],
        baseline=150.0,
        unit="MB",
        target=0.05,
        direction="lower",
    )


def figure_autocomplete_first_keystroke(quick: bool) -> Figure:
    """The first keystroke after a new episode (the feed's titles read again) vs the 3 s deadline."""
    m = measurements(quick)
    return Figure(
        name=f"search: autocomplete after a new episode, share of 3 s ({int(m['titles'])})",
        note=(
            "wall clock: every title of the feed read again, the new one indexed, the answer; "
            f"the first keystroke after a start, every title indexed anew: {m['cold_keystroke']:.0f} ms"
        ),
        value=m["new_episode_keystroke"],
        baseline=DEADLINE_MS,
        unit="ms",
        target=0.05,
        direction="lower",
    )
