"""Hostile feed bodies: bounded time and memory, a clear reason when refused, nothing stored unbounded.

Each body is served by the feed server double and read by the real feed worker (guarded fetcher with the
production 10 MB cap, parser, store). Peak memory is measured with tracemalloc (every thread, so the
parse that runs in a worker thread counts too) and printed with the time; the bounds asserted are
generous multiples so CI stays stable, and far below what the attack would cost without the caps.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import tracemalloc
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.feeds.fetch import Fetcher, build_session
from bot.feeds.models import TEXT_LIMIT, TITLE_LIMIT
from bot.feeds.parse import MAX_ITEMS
from bot.feeds.worker import INTERNAL_ERROR, FeedWorker
from bot.http import USER_AGENT
from bot.store import Store
from tests.conftest import PYTHON, ROOT, bot_subprocess_env
from tests.reliability.harness import figure
from tests.reliability.hostile_server import CAP, CASES, HUNDRED_THOUSAND_ITEMS, MB, Case


@contextlib.asynccontextmanager
async def hostile_server(name: str) -> AsyncIterator[int]:
    """The case served by a child process (its allocations are not the bot's); yields the port."""
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        "-m",
        "tests.reliability.hostile_server",
        name,
        cwd=ROOT,
        env=bot_subprocess_env(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        yield int(line)
    finally:
        process.stdin.close()
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


@pytest.fixture
async def worker(store: Store) -> AsyncIterator[FeedWorker]:
    session: aiohttp.ClientSession = build_session(allow_private=True, user_agent=USER_AGENT, timeout=20)
    try:
        yield FeedWorker(store, Fetcher(session, allow_private=True, max_bytes=CAP, timeout=20), jitter=0)
    finally:
        await session.close()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_hostile_body_is_bounded_in_time_and_memory(
    case: Case, worker: FeedWorker, store: Store
) -> None:
    async with hostile_server(case.name) as port:
        feed = await store.feeds.add_feed(f"http://127.0.0.1:{port}/hostile.xml")
        tracemalloc.start()
        started = time.perf_counter()
        try:
            result = await worker.poll_feed(feed.id)
            elapsed = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    items = await store.feeds.latest_items(feed.id, 10)
    assert result.error != INTERNAL_ERROR, f"{case.name}: the worker crashed instead of judging the body"
    if case.expect == "refused":
        assert result.outcome == "failed" and case.reason in (result.error or ""), (case.name, result)
    elif case.expect == "read":
        assert result.outcome == "updated", (case.name, result)
        assert items, case.name
    else:
        assert result.outcome in {"failed", "updated"}, (case.name, result)
        assert result.outcome == "updated" or result.error, case.name
    for stored in items:
        assert len(stored.title) <= TITLE_LIMIT and len(stored.summary_text) <= TEXT_LIMIT
        assert "root:" not in stored.title + stored.summary_text, "an external entity was resolved"
        assert "lollollol" * 10 not in stored.title + stored.summary_text, "entities were expanded"
        assert "\x00" not in stored.title
    # Generous bounds (tracemalloc itself slows Python ~2x): an uncapped read of these bodies would hold
    # 100 MB to 1 GB, and the entity bombs expand to gigabytes.
    assert peak < 8 * CAP, f"{case.name}: peak {peak / MB:.0f} MB"
    assert elapsed < 60, f"{case.name}: {elapsed:.1f} s"
    outcome = result.outcome if result.outcome != "failed" else f"refused ({result.error})"
    figure(
        "hostile bodies",
        f"{case.name}: {outcome}; {elapsed:.2f} s, peak {peak / MB:.1f} MB, items stored {len(items)}",
    )


@pytest.mark.timeout(120)
async def test_a_feed_of_100000_items_is_read_in_bounded_time(worker: FeedWorker, store: Store) -> None:
    async with hostile_server(HUNDRED_THOUSAND_ITEMS.name) as port:
        feed = await store.feeds.add_feed(f"http://127.0.0.1:{port}/hostile.xml")
        tracemalloc.start()
        started = time.perf_counter()
        try:
            result = await worker.poll_feed(feed.id)
            elapsed = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    stored = await store.feeds.latest_items(feed.id, 200_000)
    assert result.outcome == "updated", result
    assert len(stored) == MAX_ITEMS  # the newest items; the rest counts as gone from the feed
    assert peak < 8 * CAP and elapsed < 60, (peak, elapsed)  # uncapped: minutes of CPU and ~170 MB
    figure(
        "hostile bodies",
        f"100,000 items (6 MB): read the first {len(stored)}; {elapsed:.2f} s, peak {peak / MB:.1f} MB",
    )


@pytest.mark.parametrize("header", ["²", "١٢٠", "9" * 400, "-5", "Wed, 99 Foo 2026", "\x00"])
def test_a_hostile_retry_after_is_ignored_or_capped(header: str) -> None:
    """A feed host's Retry-After never raises: odd values are ignored, huge ones capped at a day."""
    from bot.feeds.fetch import MAX_RETRY_AFTER, parse_retry_after

    value = parse_retry_after(header)
    assert value is None or 0 <= value <= MAX_RETRY_AFTER
