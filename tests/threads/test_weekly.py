from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.store import Store
from bot.threads.models import WeeklyConfig
from bot.threads.render import weekly_embed
from bot.threads.tracker import ThreadTracker
from bot.threads.weekly import WeeklyPollResult as Poll
from bot.threads.weekly import (
    build_weekly,
    due_slot,
    latest_slot,
    next_slot,
    week_key,
    weekly_nonce,
)
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401  (store on both engines)

GUILD = 100
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


def config(**kwargs) -> WeeklyConfig:
    base = WeeklyConfig(
        guild_id=GUILD,
        channel_id=5,
        weekday=0,
        hour=9,
        configured_by=1,
        configured_at=MONDAY_9 - timedelta(days=10),
        last_week=None,
        last_message_id=None,
        last_posted_at=None,
    )
    return replace(base, **kwargs)


def test_slots_fall_on_the_chosen_weekday_and_hour() -> None:
    wednesday = MONDAY_9 + timedelta(days=2, hours=3)
    assert latest_slot(wednesday, 0, 9) == MONDAY_9
    assert next_slot(wednesday, 0, 9) == MONDAY_9 + timedelta(days=7)
    assert latest_slot(MONDAY_9, 0, 9) == MONDAY_9
    assert latest_slot(MONDAY_9 - timedelta(seconds=1), 0, 9) == MONDAY_9 - timedelta(days=7)
    sunday_20 = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    assert next_slot(MONDAY_9 - timedelta(hours=1), 6, 20) == sunday_20
    assert week_key(MONDAY_9) == "2026-W48"


def test_the_post_is_due_once_per_week() -> None:
    assert due_slot(config(), MONDAY_9 - timedelta(minutes=1)) is None  # last week's slot is long past
    assert (
        due_slot(config(configured_at=MONDAY_9 - timedelta(days=2)), MONDAY_9 - timedelta(minutes=1)) is None
    )
    assert due_slot(config(), MONDAY_9 + timedelta(minutes=1)) == MONDAY_9
    posted = config(last_week="2026-W48")
    assert due_slot(posted, MONDAY_9 + timedelta(minutes=1)) is None
    assert due_slot(posted, MONDAY_9 + timedelta(days=7, minutes=1)) == MONDAY_9 + timedelta(days=7)


def test_a_slot_before_configuration_or_long_missed_is_not_posted() -> None:
    assert (
        due_slot(config(configured_at=MONDAY_9 + timedelta(hours=1)), MONDAY_9 + timedelta(hours=2)) is None
    )
    assert due_slot(config(), MONDAY_9 + timedelta(days=2)) is None


def test_the_nonce_is_stable_and_fits_discord() -> None:
    nonce = weekly_nonce(123456789012345678, "2026-W48")
    assert nonce == weekly_nonce(123456789012345678, "2026-W48")
    assert nonce != weekly_nonce(123456789012345678, "2026-W49")
    assert len(nonce) <= 25


class Polls:
    def __init__(self, results: Sequence[Poll]) -> None:
        self.results = results
        self.asked: list[tuple[int, datetime, datetime]] = []

    async def results_between(self, guild_id: int, start: datetime, end: datetime) -> Sequence[Poll]:
        self.asked.append((guild_id, start, end))
        return self.results


async def test_the_weekly_post_lists_episodes_threads_and_polls(store: Store) -> None:
    tracker = ThreadTracker(store.threads)
    await tracker.load()
    start = MONDAY_9 - timedelta(days=7)
    await tracker.track_thread(
        1, GUILD, 10, name="Ep 1: open weights", created_at=start + timedelta(days=1), item_id=41
    )
    await tracker.track_thread(
        2, GUILD, 10, name="Ep 2: @everyone agents", created_at=start + timedelta(days=3), item_id=42
    )
    await tracker.track_thread(3, GUILD, 11, name="Forum: GPUs", created_at=start - timedelta(days=30))
    await tracker.track_thread(
        4, GUILD, 10, name="Old episode", created_at=start - timedelta(days=30), item_id=40
    )
    for n in range(12):
        tracker.record_message(3, n % 4, start + timedelta(days=2, minutes=n))
    for n in range(5):
        tracker.record_message(1, n, start + timedelta(days=1, hours=n))
    tracker.record_message(4, 1, start - timedelta(days=1))  # before the week
    await tracker.flush()

    polls = Polls([Poll("Open or closed?", (("Open", 30), ("Closed", 10)))])
    digest = await build_weekly(store.threads, GUILD, MONDAY_9, polls=polls)
    assert polls.asked == [(GUILD, start, MONDAY_9)]
    assert [entry.episode.title for entry in digest.episodes] == [
        "Ep 1: open weights",
        "Ep 2: @everyone agents",
    ]
    assert [(a.thread.thread_id, a.messages) for a in digest.top] == [(3, 12), (1, 5)]

    text = weekly_embed(digest).description or ""
    assert "https://discord.com/channels/100/3" in text and "12 messages this week" in text
    assert "Open 75%" in text and "40 votes" in text
    assert "@everyone" not in text  # names cannot ping
    assert "Old episode" not in text


async def test_a_quiet_week_says_so(store: Store) -> None:
    digest = await build_weekly(store.threads, GUILD, MONDAY_9)
    assert digest.empty
    assert "quiet week" in (weekly_embed(digest).description or "")
