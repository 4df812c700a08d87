"""The start-up and memory benchmarks do their work: episodes stored the way the bot stores them, the feed
the bot polls lists known episodes, every child reaches ready with every guild, warm starts do not sync."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench import _episodes, _harness, _session
from bot.feeds.parse import parse_bytes
from bot.store import Store


async def test_the_seeded_store_holds_every_episode_and_the_served_feed_lists_the_newest(
    tmp_path: Path,
) -> None:
    items = _episodes.episodes(300)
    path = tmp_path / "bot.sqlite3"
    stored = await _episodes.seed_store(path, "http://127.0.0.1:9/p.xml", "http://127.0.0.1:9/n.xml", items)
    assert stored == 300
    parsed, _ = parse_bytes(_episodes.rss(items, 25), base_url="http://127.0.0.1:9/p.xml")
    store = await Store.open(path)
    try:
        podcast = await store.feeds.get_feed_by_name("podcast")
        assert podcast is not None and podcast.first_fetch_done
        newest = await store.feeds.latest_items(podcast.id, 25)
        pending = await store.feeds.pending_items()
    finally:
        await store.close()
    # the bot's parser derives the same keys and content as the seeded rows: nothing new, nothing edited
    assert [item.key for item in parsed.items] == [item.key for item in newest]
    assert [item.content_hash for item in parsed.items] == [item.content_hash for item in newest]
    assert pending == []  # stored as a first fetch: nothing waits to be announced


@pytest.mark.slow
async def test_a_session_starts_the_bot_cold_then_warm_and_measures_every_child() -> None:
    session = await _session.run_session(guilds=3, episodes=200, runs=1)
    assert session.cold_syncs == 1 and session.warm_syncs == 0  # the warm start did not sync again
    assert len(session.bots) == len(session.clients) == len(session.imports) == 1
    assert session.cold.ready_s > 0 and session.bot_ready > 0 and session.client_ready > 0
    assert session.bot_cpu > session.client_cpu > 0  # the bot imports and loads far more
    # the idle bot holds more than the bare client, which holds more than a bare interpreter
    assert session.bot_rss > session.client_rss > 0
    assert session.client_rss >= session.import_rss > 10


async def test_a_child_that_exits_before_it_is_ready_is_reported(tmp_path: Path) -> None:
    child = _harness.Child(
        [sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(3)"],
        _harness.child_env(),
        tmp_path,
    )
    await child.start()
    with pytest.raises(RuntimeError, match="exited before it was ready") as failure:
        await child.wait_ready(timeout=30)
    assert "boom" in str(failure.value)
    assert await child.stop() == 3
