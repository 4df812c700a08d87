from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.store import Store
from bot.threads.models import ThreadStatus
from bot.threads.tracker import ThreadTracker
from bot.timeutil import utcnow
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401  (store on both engines)

GUILD, OTHER_GUILD, CHANNEL, FORUM = 100, 200, 10, 11
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
async def tracker(store: Store) -> ThreadTracker:
    tracker = ThreadTracker(store.threads)
    await tracker.load()
    return tracker


async def track(tracker: ThreadTracker, thread_id: int, *, guild: int = GUILD, **kwargs) -> bool:
    kwargs.setdefault("name", f"thread {thread_id}")
    kwargs.setdefault("created_at", T0)
    return await tracker.track_thread(thread_id, guild, kwargs.pop("parent_id", CHANNEL), **kwargs)


async def test_messages_from_several_members_are_counted_with_unique_participants(
    store: Store, tracker: ThreadTracker
) -> None:
    await track(tracker, 1, item_id=42)
    for minute, author in enumerate([7, 8, 7, 9, 7]):
        assert tracker.record_message(1, author, T0 + timedelta(minutes=minute))
    assert (await store.threads.get(1)).message_count == 0  # type: ignore[union-attr]

    result = await tracker.flush()
    assert result.transactions == 1 and result.events == 5

    thread = await store.threads.get(1)
    assert thread is not None
    assert (thread.message_count, thread.participant_count) == (5, 3)
    assert thread.first_activity_at == T0
    assert thread.last_activity_at == T0 + timedelta(minutes=4)
    assert tracker.pending_events == 0


async def test_participants_stay_unique_across_flushes_and_times_widen(
    store: Store, tracker: ThreadTracker
) -> None:
    await track(tracker, 1)
    tracker.record_message(1, 7, T0 + timedelta(hours=2))
    tracker.record_message(1, 8, T0 + timedelta(hours=2))
    await tracker.flush()
    tracker.record_message(1, 7, T0 + timedelta(hours=5))
    tracker.record_message(1, 9, T0 + timedelta(hours=1))  # late event, earlier than the first one
    await tracker.flush()

    thread = await store.threads.get(1)
    assert thread is not None
    assert (thread.message_count, thread.participant_count) == (4, 3)
    assert thread.first_activity_at == T0 + timedelta(hours=1)
    assert thread.last_activity_at == T0 + timedelta(hours=5)


async def test_messages_in_untracked_threads_are_not_counted(store: Store, tracker: ThreadTracker) -> None:
    assert not tracker.record_message(5, 7, T0)
    assert (await tracker.flush()).events == 0
    assert await store.threads.get(5) is None


async def test_many_threads_are_written_in_one_transaction(store: Store, tracker: ThreadTracker) -> None:
    for thread_id in range(1, 21):
        await track(tracker, thread_id)
    for n in range(1000):
        tracker.record_message(1 + n % 20, n % 37, T0 + timedelta(seconds=n))
    result = await tracker.flush()
    assert (result.transactions, result.threads, result.events) == (1, 20, 1000)
    threads = await store.threads.in_guild(GUILD)
    assert sum(t.message_count for t in threads) == 1000
    # authors n % 37 with n ≡ k (mod 20): every thread sees exactly 37 distinct authors over 50 messages
    assert {t.participant_count for t in threads} == {37}


async def test_a_failed_flush_keeps_its_events_for_the_next_one(store: Store, tracker: ThreadTracker) -> None:
    await track(tracker, 1)
    tracker.record_message(1, 7, T0)
    tracker.record_message(1, 8, T0)
    await store.db.execute("ALTER TABLE thread_activity RENAME TO thread_activity_away")
    with pytest.raises(Exception, match="thread_activity"):
        await tracker.flush()
    assert (await store.threads.get(1)).message_count == 0  # type: ignore[union-attr]  # rolled back
    tracker.record_message(1, 9, T0 + timedelta(minutes=1))
    assert tracker.pending_events == 3

    await store.db.execute("ALTER TABLE thread_activity_away RENAME TO thread_activity")
    await tracker.flush()
    thread = await store.threads.get(1)
    assert thread is not None
    assert (thread.message_count, thread.participant_count) == (3, 3)
    assert tracker.stats.failed_flushes == 1


async def test_deleted_and_untracked_threads_stop_counting(store: Store, tracker: ThreadTracker) -> None:
    await track(tracker, 1)
    await track(tracker, 2)
    tracker.record_message(1, 7, T0)
    tracker.record_message(2, 7, T0)
    await tracker.flush()
    tracker.record_message(1, 8, T0)
    tracker.record_message(2, 8, T0)
    assert await tracker.thread_deleted(1)
    assert await tracker.untrack_thread(GUILD, 2)
    assert not tracker.record_message(1, 9, T0)
    await tracker.flush()

    deleted = await store.threads.get(1)
    assert deleted is not None and deleted.state == "deleted" and deleted.message_count == 1
    assert await store.threads.get(2) is None
    assert await store.db.fetchval("SELECT count(*) FROM thread_participants") == 0
    assert await store.threads.recent(GUILD) == []


async def test_a_restarted_tracker_knows_what_is_tracked(store: Store, tracker: ThreadTracker) -> None:
    await track(tracker, 1)
    await tracker.track_parent(GUILD, FORUM, added_by=5)
    restarted = ThreadTracker(store.threads)
    await restarted.load()
    assert restarted.is_tracked(1) and not restarted.is_tracked(2)
    assert restarted.parent_tracked(GUILD, FORUM)
    assert not restarted.parent_tracked(OTHER_GUILD, FORUM)


async def test_retracking_keeps_counters_and_the_episode_link(store: Store, tracker: ThreadTracker) -> None:
    assert await track(tracker, 1, item_id=42)
    tracker.record_message(1, 7, T0)
    await tracker.flush()
    assert not await track(tracker, 1, name="renamed", tags=["open-source"])
    thread = await store.threads.get(1)
    assert thread is not None
    assert (thread.item_id, thread.source, thread.name, thread.tags) == (
        42,
        "episode",
        "renamed",
        ("open-source",),
    )
    assert thread.message_count == 1
    assert (await store.threads.thread_for_item(GUILD, 42)) == thread
    assert await store.threads.thread_for_item(OTHER_GUILD, 42) is None


async def test_status_updates_archive_lock_rename_and_tag(store: Store, tracker: ThreadTracker) -> None:
    await track(tracker, 1)
    assert await tracker.update_status(1, ThreadStatus(archived=True, locked=True, tags=("news",)))
    thread = await store.threads.get(1)
    assert thread is not None and (thread.state, thread.locked, thread.tags) == ("archived", True, ("news",))
    assert await tracker.update_status(1, ThreadStatus(archived=False, name="new name"))
    thread = await store.threads.get(1)
    assert thread is not None and (thread.state, thread.name, thread.locked) == ("active", "new name", True)
    assert not await tracker.update_status(99, ThreadStatus(archived=True))


async def test_untracking_a_channel_drops_its_threads_but_keeps_episode_threads(
    store: Store, tracker: ThreadTracker
) -> None:
    await tracker.track_parent(GUILD, FORUM, added_by=5)
    await track(tracker, 1, parent_id=FORUM)
    await track(tracker, 2, parent_id=FORUM, item_id=42)
    await track(tracker, 3, parent_id=CHANNEL)
    assert await tracker.untrack_parent(GUILD, FORUM) == (True, 1)
    assert not tracker.parent_tracked(GUILD, FORUM)
    assert {t.thread_id for t in await store.threads.in_guild(GUILD)} == {2, 3}
    assert await tracker.untrack_parent(GUILD, FORUM) == (False, 0)


async def test_prune_forgets_dormant_participants_but_keeps_their_count(
    store: Store, tracker: ThreadTracker
) -> None:
    await track(tracker, 1)
    await track(tracker, 2)
    for author in (7, 8, 9):
        tracker.record_message(1, author, T0)
    tracker.record_message(2, 7, T0 + timedelta(days=100))
    await tracker.flush()
    await tracker.thread_deleted(2)

    result = await store.threads.prune(
        activity_before=utcnow() + timedelta(days=1), dormant_before=T0 + timedelta(days=90)
    )
    assert (result.deleted_threads, result.pruned_participants, result.activity_rows) == (1, 3, 1)
    assert await store.db.fetchval("SELECT count(*) FROM thread_participants") == 0
    assert (await store.threads.get(1)).participant_count == 3  # type: ignore[union-attr]

    tracker.record_message(1, 10, T0 + timedelta(days=200))  # revived by someone new
    await tracker.flush()
    assert (await store.threads.get(1)).participant_count == 4  # type: ignore[union-attr]
