"""Thread-tracker counters flushed by two processes at once lose no update, on both engines.

Normally one process sees a thread's events (its guild's shard); while a shard moves between processes,
or for threads of two guilds in one batch, two trackers flush overlapping threads concurrently.
"""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from pathlib import Path

from bot.store import Store
from bot.threads.tracker import ThreadTracker
from bot.timeutil import utcnow
from tests.fleet.two_processes import second_store
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401

GUILD = 4 << 22
THREADS = [9000 + n for n in range(6)]
ROUNDS = 40


async def test_two_trackers_flushing_the_same_threads_at_once_lose_nothing(
    store: Store, tmp_path: Path
) -> None:
    other = await second_store(store, tmp_path)
    start = utcnow() - timedelta(hours=3)
    try:
        trackers = [ThreadTracker(store.threads), ThreadTracker(other.threads)]
        for thread_id in THREADS:
            await trackers[0].track_thread(thread_id, GUILD, 77, name=f"t{thread_id}", created_at=start)
        for tracker in trackers:
            await tracker.load()
        rng = random.Random(19)
        expected_messages = dict.fromkeys(THREADS, 0)
        expected_people: dict[int, set[int]] = {t: set() for t in THREADS}
        latest = dict.fromkeys(THREADS, start)
        for round_ in range(ROUNDS):
            for index, tracker in enumerate(trackers):
                # Each tracker sees the threads in its own order (so its batch writes them in that order).
                order = THREADS[:] if index == 0 else THREADS[::-1]
                for thread_id in order:
                    for _ in range(rng.randint(1, 5)):
                        author = rng.randint(1, 12)
                        at = start + timedelta(minutes=rng.randint(0, 170), microseconds=round_ * 10 + index)
                        assert tracker.record_message(thread_id, author, at)
                        expected_messages[thread_id] += 1
                        expected_people[thread_id].add(author)
                        latest[thread_id] = max(latest[thread_id], at)
            results = await asyncio.gather(*(tracker.flush() for tracker in trackers))
            assert all(r.events for r in results)
            # A flush that failed (a deadlock victim, say) keeps its batch for the next one; it must not.
            assert [tracker.pending_events for tracker in trackers] == [0, 0]
        for thread_id in THREADS:
            row = await store.threads.get(thread_id)
            assert row is not None
            assert row.message_count == expected_messages[thread_id]
            assert row.participant_count == len(expected_people[thread_id])
            assert row.last_activity_at == latest[thread_id]
        hours = await store.db.fetchone("SELECT sum(messages) AS n FROM thread_activity", ())
        assert hours is not None and hours["n"] == sum(expected_messages.values())
    finally:
        await other.close()
