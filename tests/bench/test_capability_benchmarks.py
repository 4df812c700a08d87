"""The capability benchmarks do their work at a tiny size: the fast path and the baseline answer alike,
and what they claim to have processed was processed. (Their speed is only ever measured by `python -m
bench`.) These call the modules' own work functions, so they follow those modules' internals."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench import digest as digest_bench
from bench import feeds as feeds_bench
from bench import search as search_bench
from bot.search import SearchService
from bot.store import Store
from bot.store.search import SearchRepo


def test_search_fast_path_finds_what_the_like_scan_finds(tmp_path: Path) -> None:
    path = tmp_path / "search.sqlite3"
    search_bench.seed(path, 60, transcript_words=200)

    async def compare() -> list[tuple[int, int, int]]:
        store = await Store.open(path)
        try:
            indexed = int(await store.db.fetchval("SELECT count(*) FROM search_fts"))
            service = SearchService(SearchRepo(store.db))
            found = []
            for word in ("anthropic", "regulation", "nvidia"):
                page = await service.search(search_bench.GUILD_ID, word)
                found.append((indexed, page.total, await search_bench._like_search(store, word)))
            return found
        finally:
            await store.close()

    for indexed, fts_total, like_total in asyncio.run(compare()):
        assert indexed == 60  # every seeded episode is in the index
        assert 0 < fts_total == like_total  # a whole topic word: both paths find the same episodes


def test_autocomplete_fast_path_suggests_what_the_like_scan_finds(tmp_path: Path) -> None:
    path = tmp_path / "titles.sqlite3"
    search_bench.seed(path, 60, transcript_words=50)

    async def compare() -> list[tuple[int, int]]:
        store = await Store.open(path)
        try:
            service = SearchService(SearchRepo(store.db))
            found = []
            for typed in ("anthropic", "nvidia", "penai", "zyq"):
                choices = await service.title_choices(search_bench.GUILD_ID, typed)
                found.append((len(choices), await search_bench._like_titles(store, typed)))
            return found
        finally:
            await store.close()

    counts = asyncio.run(compare())
    assert all(ours == like for ours, like in counts), counts  # under 25 each: the whole answer
    assert counts[0][0] > 0 and counts[-1] == (0, 0)


def test_digest_benchmark_sends_tokens_once_and_nothing_on_the_rerun() -> None:
    own, sent, rerun, requests = asyncio.run(digest_bench._token_run(1500))
    assert own > 0 and sent > own  # prompts and schema come on top of the transcript itself
    assert requests >= 1
    assert rerun == 0


def test_feed_cycle_benchmark_polls_every_feed_and_parses_every_item_in_the_baseline() -> None:
    # raises when the cycle does not see unchanged feeds or the baseline loses items
    ours, baseline = asyncio.run(feeds_bench._unchanged_cycle(2, 5))
    assert ours > 0 and baseline > 0


def test_ask_latency_benchmark_indexes_every_episode_and_retrieves(tmp_path: Path) -> None:
    from bench import ask as ask_bench

    path = tmp_path / "ask.sqlite3"
    search_bench.seed(path, 40, transcript_words=300)
    measured = asyncio.run(ask_bench._latency(path, repeats=1))
    assert measured["episodes"] == 40 and measured["passages"] >= 40 * 3  # every transcript was cut
    assert measured["retrieve_ms"] > 0
