"""The weekly post's episode source over the real repositories, and the command payloads' limits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.client import CommunityBot
from bot.runner import create_bot
from bot.settings import Settings
from bot.store import Store
from bot.threads.sources import AnnouncedEpisodes
from bot.threads.tracker import ThreadTracker
from bot.threads.weekly import build_weekly
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401  (store on both engines)
from tests.threads.helpers import add_episode, record_announced

GUILD = 100
SLOT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_the_weeks_episodes_are_the_podcast_items_announced_in_that_server(store: Store) -> None:
    feed = await store.feeds.ensure_builtin("podcast", "https://example.com/podcast.xml", "podcast")
    old = await add_episode(store, feed.id, "e1", "Last week's episode", SLOT - timedelta(days=8))
    monday = await add_episode(store, feed.id, "e2", "Monday: open weights", SLOT - timedelta(days=6))
    friday = await add_episode(store, feed.id, "e3", "Friday: agents", SLOT - timedelta(days=2))
    # present at the feed's first read (or capped): remembered, never announced here
    silent = await add_episode(store, feed.id, "e4", "Remembered, not announced", SLOT - timedelta(days=3))
    for n, item_id in enumerate((old, monday, friday), start=1):
        await record_announced(store, GUILD, feed.id, item_id, 900 + n)
    await record_announced(store, GUILD + 1, feed.id, silent, 999)  # announced in ANOTHER server only
    tracker = ThreadTracker(store.threads)
    await tracker.track_thread(
        7, GUILD, 1, name="Monday: open weights", created_at=SLOT - timedelta(days=6), item_id=monday
    )
    tracker.record_message(7, 42, SLOT - timedelta(days=5))
    await tracker.flush()

    episodes = AnnouncedEpisodes(store.announcements)
    digest = await build_weekly(store.threads, GUILD, SLOT, episodes=episodes)
    assert [(e.episode.item_id, e.episode.url) for e in digest.episodes] == [
        (monday, "https://example.com/e2"),
        (friday, "https://example.com/e3"),
    ]
    assert [a.thread.thread_id for a in digest.episodes[0].threads] == [7]
    assert digest.episodes[1].threads == []
    assert old not in {e.episode.item_id for e in digest.episodes}
    other = await build_weekly(store.threads, GUILD + 1, SLOT, episodes=episodes)
    assert [e.episode.item_id for e in other.episodes] == [silent]


async def test_without_a_podcast_feed_the_episode_threads_stand_in(store: Store) -> None:
    tracker = ThreadTracker(store.threads)
    await tracker.track_thread(7, GUILD, 1, name="Ep 9", created_at=SLOT - timedelta(days=1), item_id=9)
    digest = await build_weekly(store.threads, GUILD, SLOT, episodes=AnnouncedEpisodes(store.announcements))
    assert [e.episode.title for e in digest.episodes] == ["Ep 9"]


@pytest.fixture
async def offline_bot(make_settings: Callable[..., Settings], store: Store) -> AsyncIterator[CommunityBot]:
    async with aiohttp.ClientSession() as session:
        bot = create_bot(make_settings(), store, session, extensions=["cogs.threads"], sync_commands=False)
        async with bot:  # initialises the client (no login), so the loops can wait for readiness
            await bot.load_extension("cogs.threads")
            yield bot


def _walk(options: list[dict]) -> list[dict]:
    found = []
    for option in options:
        found.append(option)
        found += _walk(option.get("options", []))
    return found


async def test_commands_fit_discords_limits_and_admin_is_guarded(offline_bot: CommunityBot) -> None:
    threads = offline_bot.tree.get_command("threads")
    admin = offline_bot.tree.get_command("admin")
    assert threads is not None and admin is not None
    members = threads.to_dict(offline_bot.tree)
    moderators = admin.to_dict(offline_bot.tree)
    for payload in (members, moderators):
        for option in [payload, *_walk(payload.get("options", []))]:
            assert 1 <= len(option["description"]) <= 100, option["name"]
            assert option["name"] == option["name"].lower() and len(option["name"]) <= 32
    assert members["dm_permission"] is False
    assert int(moderators["default_member_permissions"]) == 1 << 5  # Manage Server
    sub = next(o for o in moderators["options"] if o["name"] == "threads")
    assert {o["name"] for o in sub["options"]} == {
        "track",
        "untrack",
        "weekly",
        "weekly-off",
        "weekly-preview",
        "weekly-post-now",
        "status",
    }
    episode = next(o for o in members["options"] if o["name"] == "episode")
    assert episode["autocomplete"] is True

    await offline_bot.unload_extension("cogs.threads")
    assert "threads" not in {c.name for c in admin.commands}  # a reload leaves no stale copy
