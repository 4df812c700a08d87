"""Thread tracking: ingesting message events through the tracker vs one commit per event.

The tracker ingests 100,000 message events (20,000 with --quick) spread over 200 threads and 1,500
members, timestamped as a busy server at 200 events/s, and flushes every 5 s of that simulated time (the
default `TRACKER_FLUSH_INTERVAL`): 100 flushes. The baseline writes each event with its own commit through
the same SQL (`ThreadRepo.apply_flush` with a one-event batch), measured on 5,000 events (2,000 quick) in
the same run, on a real SQLite file with the bot's pragmas (WAL, synchronous=NORMAL).
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from bench.core import Figure
from bot.store import Store
from bot.threads.models import ThreadDelta
from bot.threads.tracker import ThreadTracker

GUILD = 1
THREADS = 200
MEMBERS = 1500
EVENTS_PER_SECOND = 200
FLUSH_EVERY_SECONDS = 5.0
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Measured:
    events: int
    tracker_rate: float
    tracker_commits: int
    tracker_statements: int
    baseline_events: int
    baseline_rate: float


def _events(count: int, seed: int) -> list[tuple[int, int, datetime]]:
    rng = random.Random(seed)
    step = timedelta(seconds=1 / EVENTS_PER_SECOND)
    # a few threads are much busier than others, as on a real server
    weights = [1 / (rank + 1) for rank in range(THREADS)]
    threads = rng.choices(range(1, THREADS + 1), weights=weights, k=count)
    return [(threads[n], rng.randrange(MEMBERS), START + n * step) for n in range(count)]


async def _open(folder: Path, name: str) -> tuple[Store, ThreadTracker]:
    store = await Store.open(folder / name)
    tracker = ThreadTracker(store.threads)
    for thread_id in range(1, THREADS + 1):
        await tracker.track_thread(thread_id, GUILD, 10, name=f"thread {thread_id}", created_at=START)
    return store, tracker


async def _measure(quick: bool) -> Measured:
    events = _events(20_000 if quick else 100_000, seed=8)
    baseline_events = events[: 2_000 if quick else 5_000]
    with tempfile.TemporaryDirectory() as tmp:
        store, tracker = await _open(Path(tmp), "tracker.sqlite3")
        try:
            flush_at = START + timedelta(seconds=FLUSH_EVERY_SECONDS)
            started = time.perf_counter()
            for thread_id, author, at in events:
                if at >= flush_at:
                    await tracker.flush()
                    flush_at += timedelta(seconds=FLUSH_EVERY_SECONDS)
                tracker.record_message(thread_id, author, at)
            await tracker.flush()
            tracker_seconds = time.perf_counter() - started
            total = int(await store.db.fetchval("SELECT sum(message_count) FROM threads"))
            assert total == len(events), (total, len(events))
        finally:
            await store.close()

        store, _ = await _open(Path(tmp), "baseline.sqlite3")
        try:
            started = time.perf_counter()
            for thread_id, author, at in baseline_events:
                delta = ThreadDelta()
                delta.add(author, at)
                await store.threads.apply_flush({thread_id: delta})
            baseline_seconds = time.perf_counter() - started
        finally:
            await store.close()
    return Measured(
        events=len(events),
        tracker_rate=len(events) / tracker_seconds,
        tracker_commits=tracker.stats.transactions,
        tracker_statements=tracker.stats.statements,
        baseline_events=len(baseline_events),
        baseline_rate=len(baseline_events) / baseline_seconds,
    )


@cache
def measure(quick: bool) -> Measured:
    return asyncio.run(_measure(quick))


def figure_ingest_rate(quick: bool) -> Figure:
    """Message events per second through the tracker, against one commit per event."""
    m = measure(quick)
    return Figure(
        name="threads.ingest_rate",
        value=m.tracker_rate,
        baseline=m.baseline_rate,
        unit="events/s",
        target=20,
        direction="higher",
        note=f"{m.events:,} events via the tracker; baseline {m.baseline_events:,} events, one commit each",
    )


def figure_database_writes(quick: bool) -> Figure:
    """Commits needed to store the events, against one commit per event."""
    m = measure(quick)
    return Figure(
        name="threads.database_writes",
        value=m.tracker_commits,
        baseline=m.events,
        unit="commits",
        target=0.05,
        direction="lower",
        note=(
            f"{m.tracker_statements:,} row statements in {m.tracker_commits} transactions "
            f"for {m.events:,} events"
        ),
    )
