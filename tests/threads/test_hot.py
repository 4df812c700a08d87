from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.store import Store
from bot.threads.hot import rank_hot
from bot.threads.tracker import ThreadTracker
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401  (store on both engines)

GUILD, OTHER_GUILD = 100, 200
NOW = datetime(2026, 11, 25, 18, 30, tzinfo=UTC)


async def _ranked(store: Store, guild: int = GUILD) -> list[int]:
    rows = await store.threads.activity_since(guild, NOW - timedelta(hours=48))
    return [hot.thread.thread_id for hot in rank_hot(rows, NOW)]


async def _setup(store: Store, messages: dict[int, list[tuple[int, timedelta]]], guild: int = GUILD) -> None:
    tracker = ThreadTracker(store.threads)
    await tracker.load()
    for thread_id, events in messages.items():
        await tracker.track_thread(
            thread_id, guild, 10, name=f"t{thread_id}", created_at=NOW - timedelta(days=3)
        )
        for author, ago in events:
            tracker.record_message(thread_id, author, NOW - ago)
    await tracker.flush()


async def test_recent_messages_outrank_older_ones(store: Store) -> None:
    await _setup(
        store,
        {
            1: [(a, timedelta(hours=20)) for a in range(10)],  # 10 messages by 10 people, 20 h ago
            2: [(a, timedelta(minutes=10)) for a in range(6)],  # 6 by 6 people, just now
        },
    )
    assert await _ranked(store) == [2, 1]


async def test_a_conversation_outranks_one_person_posting_as_much(store: Store) -> None:
    await _setup(
        store,
        {
            1: [(7, timedelta(minutes=m)) for m in range(12)],
            2: [(a, timedelta(minutes=a)) for a in range(8)],
        },
    )
    assert await _ranked(store) == [2, 1]


async def test_quiet_deleted_and_foreign_threads_are_not_hot(store: Store) -> None:
    await _setup(
        store, {1: [(7, timedelta(days=3))], 2: [(7, timedelta(hours=1))], 3: [(7, timedelta(hours=2))]}
    )
    await _setup(store, {4: [(7, timedelta(minutes=1))]}, guild=OTHER_GUILD)
    await store.threads.mark_deleted(3)
    assert await _ranked(store) == [2]
    assert await _ranked(store, OTHER_GUILD) == [4]


async def test_recent_lists_latest_activity_first_per_guild(store: Store) -> None:
    await _setup(store, {1: [(7, timedelta(hours=5))], 2: [(7, timedelta(hours=1))], 3: []})
    await _setup(store, {4: [(7, timedelta(minutes=1))]}, guild=OTHER_GUILD)
    assert [t.thread_id for t in await store.threads.recent(GUILD)] == [2, 1, 3]
