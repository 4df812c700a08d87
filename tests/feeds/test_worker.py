"""The polling worker end to end: the feed server double, the real fetcher, a real migrated store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.feeds import parse
from bot.feeds.fetch import Fetcher, FetchResult
from bot.feeds.models import Feed
from bot.feeds.worker import FeedWorker
from bot.store import Store
from bot.timeutil import utcnow
from tests.doubles.feed_server import FeedServer
from tests.feeds.builders import Item, rss, spotify_feed
from tests.feeds.conftest import Recorder
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401  (store on both engines)

NOW = datetime.now(UTC)


def episode(n: int, *, days_ago: float = 0, **overrides: object) -> Item:
    fields: dict[str, object] = {
        "guid": f"guid-{n}",
        "title": f"Episode {n}",
        "link": f"https://example.com/episodes/{n}",
        "published": NOW - timedelta(days=days_ago, hours=n),
        "description": f"<p>Notes for episode {n}</p>",
        "audio_url": f"https://cdn.example.com/{n}.mp3",
        "duration": "00:20:00",
    }
    fields.update(overrides)
    return Item(**fields)  # type: ignore[arg-type]


async def add(store: Store, server: FeedServer, path: str, items: list[Item], **kwargs: object) -> Feed:
    server.set_feed(path, rss(items), **kwargs)  # type: ignore[arg-type]
    return await store.feeds.add_feed(server.url(path))


async def test_first_fetch_remembers_everything_and_announces_nothing(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], recorder: Recorder
) -> None:
    feed = await add(store, server, "/f", [episode(1), episode(2), episode(3)])
    worker = make_worker()
    result = await worker.poll_feed(feed.id)
    assert result.outcome == "updated" and result.new_items == []
    assert recorder.new == [] and await store.feeds.pending_items() == []
    stored = await store.feeds.latest_items(feed.id, 10)
    assert {(i.status, i.skip_reason) for i in stored} == {("skipped", "first_run")} and len(stored) == 3

    server.set_feed("/f", rss([episode(0), episode(1), episode(2), episode(3)]))
    await worker.poll_feed(feed.id)
    assert recorder.new_titles == ["Episode 0"]
    assert [i.title for i in await store.feeds.pending_items()] == ["Episode 0"]


async def test_a_moderator_can_ask_for_the_newest_items_on_add(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], recorder: Recorder
) -> None:
    server.set_feed("/f", rss([episode(1), episode(2), episode(3)]))
    feed = await store.feeds.add_feed(server.url("/f"), announce_newest=2)
    await make_worker().poll_feed(feed.id)
    assert recorder.new_titles == ["Episode 2", "Episode 1"]  # oldest first


async def test_new_items_come_oldest_first_and_old_ones_are_never_announced(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], recorder: Recorder
) -> None:
    feed = await add(store, server, "/f", [episode(10)])
    worker = make_worker(window=timedelta(days=7))
    await worker.poll_feed(feed.id)
    fresh = [episode(1), episode(3), episode(2), episode(4, days_ago=30)]
    server.set_feed("/f", rss([*fresh, episode(10)]))
    await worker.poll_feed(feed.id)
    assert recorder.new_titles == ["Episode 3", "Episode 2", "Episode 1"]
    assert [i.title for i in await store.feeds.pending_items()] == ["Episode 3", "Episode 2", "Episode 1"]
    old = await store.feeds.get_item_by_key(feed.id, "guid:guid-4")
    assert old is not None and (old.status, old.skip_reason) == ("skipped", "too_old")
    why = await store.feeds.explain(old, window=timedelta(days=7))
    assert not why.announced and "7 days" in why.reason


async def test_daily_cap_holds_back_a_runaway_feed(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], recorder: Recorder
) -> None:
    feed = await add(store, server, "/f", [episode(10)])
    worker = make_worker(daily_cap=2)
    await worker.poll_feed(feed.id)
    server.set_feed("/f", rss([episode(1), episode(2), episode(3), episode(4), episode(10)]))
    await worker.poll_feed(feed.id)
    assert recorder.new_titles == ["Episode 4", "Episode 3"]
    capped = await store.feeds.get_item_by_key(feed.id, "guid:guid-1")
    assert capped is not None and capped.skip_reason == "daily_cap"


async def test_guid_rewrite_after_a_host_move_is_not_announced_again(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], recorder: Recorder
) -> None:
    feed = await add(store, server, "/f", [episode(1), episode(2)])
    worker = make_worker()
    await worker.poll_feed(feed.id)
    moved = [
        episode(n, guid=f"https://newhost.example/{n}", link=f"https://newhost.example/ep/{n}/")
        for n in (1, 2)
    ]
    server.set_feed("/f", rss(moved))
    await worker.poll_feed(feed.id)
    assert recorder.new == []
    rekeyed = await store.feeds.get_item_by_key(feed.id, "guid:https://newhost.example/1")
    assert rekeyed is not None and rekeyed.skip_reason == "duplicate" and rekeyed.duplicate_of is not None
    assert "same link or title" in (await store.feeds.explain(rekeyed)).reason
    # An http -> https move with the same path is caught by the link alone.
    server.set_feed("/f", rss([episode(3, guid="fresh-guid", link="http://newhost.example/ep/1"), *moved]))
    await worker.poll_feed(feed.id)
    assert recorder.new == []


async def test_audio_url_changes_never_count_as_a_new_episode(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], recorder: Recorder
) -> None:
    feed = await add(store, server, "/f", [episode(1)])
    worker = make_worker()
    await worker.poll_feed(feed.id)
    for url in (
        "https://cdn.example.com/1.mp3?updated=1737000000",
        "https://cdn.example.com/renamed-file.mp3",
    ):
        server.set_feed("/f", rss([episode(1, audio_url=url)]))
        result = await worker.poll_feed(feed.id)
        assert result.outcome == "updated" and result.new_items == [] and result.edited_items == []
        stored = await store.feeds.get_item_by_key(feed.id, "guid:guid-1")
        assert stored is not None and stored.audio_url == url and stored.revision == 1
    assert recorder.new == [] and recorder.edited == []


async def test_an_edited_item_is_recorded_as_an_edit(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], recorder: Recorder
) -> None:
    feed = await add(store, server, "/f", [episode(1)])
    worker = make_worker()
    await worker.poll_feed(feed.id)
    server.set_feed("/f", rss([episode(1, title="Episode 1 (corrected)", description="<p>Fixed notes</p>")]))
    result = await worker.poll_feed(feed.id)
    assert result.new_items == []
    [(_, edited)] = recorder.edited
    assert edited[0].title == "Episode 1 (corrected)" and edited[0].revision == 2
    assert edited[0].summary_text == "Fixed notes" and edited[0].edited_at is not None


async def test_unchanged_items_cost_no_parse_even_when_the_body_changed(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker]
) -> None:
    items = [episode(1), episode(2)]
    server.set_feed("/f", rss(items, build_date=datetime(2025, 1, 1, tzinfo=UTC)), etag='"a"')
    feed = await store.feeds.add_feed(server.url("/f"))
    worker = make_worker()
    assert (await worker.poll_feed(feed.id)).parsed_items == 2
    assert (await worker.poll_feed(feed.id)).outcome == "not_modified"
    assert server.requests_for("/f")[-1].headers["If-None-Match"] == '"a"'
    server.set_feed("/f", rss(items, build_date=datetime(2025, 1, 2, tzinfo=UTC)), etag='"b"')
    result = await worker.poll_feed(feed.id)
    assert (result.outcome, result.parsed_items) == ("unchanged", 0)
    stored = await store.feeds.get_feed(feed.id)
    assert stored is not None and stored.etag == '"b"'


async def test_server_errors_back_off_and_moderators_are_told_once(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], recorder: Recorder
) -> None:
    feed = await add(store, server, "/f", [episode(1)])
    worker = make_worker(interval=600, failing_after=3)
    await worker.poll_feed(feed.id)
    server.fail_next("/f", 503, times=4)
    delays = []
    for _ in range(4):
        before = utcnow()
        result = await worker.poll_feed(feed.id)
        assert result.outcome == "failed" and "503" in (result.error or "")
        state = await store.feeds.get_feed(feed.id)
        assert state is not None and state.next_poll_at is not None
        delays.append((state.next_poll_at - before).total_seconds())
    assert delays[0] < delays[1] < delays[2] < delays[3]
    assert 500 < delays[0] < 700 and 4000 < delays[3] < 5400
    state = await store.feeds.get_feed(feed.id)
    assert state is not None and (state.status, state.consecutive_failures, state.active) == (
        "failing",
        4,
        True,
    )
    assert len(recorder.failing) == 1 and "503" in recorder.failing[0][1]
    await worker.poll_feed(feed.id)
    assert [f.id for f in recorder.recovered] == [feed.id]
    state = await store.feeds.get_feed(feed.id)
    assert state is not None and (state.status, state.consecutive_failures, state.last_error) == (
        "ok",
        0,
        None,
    )


async def test_retry_after_is_honoured(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker]
) -> None:
    feed = await add(store, server, "/f", [episode(1)])
    server.fail_next("/f", 429, retry_after="7200")
    await make_worker(interval=60).poll_feed(feed.id)
    state = await store.feeds.get_feed(feed.id)
    assert state is not None and state.next_poll_at is not None
    assert state.next_poll_at - utcnow() > timedelta(seconds=7100)


async def test_one_bad_feed_never_stops_a_good_one(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], recorder: Recorder
) -> None:
    good = await add(store, server, "/good", [episode(1)])
    broken = await add(store, server, "/broken", [episode(1)])
    garbage = await add(store, server, "/garbage", [episode(1)])
    missing = await store.feeds.add_feed(server.url("/missing"))
    worker = make_worker()
    await worker.poll_due()
    server.set_feed("/good", rss([episode(0), episode(1)]))
    server.set_status("/broken", 500)
    server.set_feed("/garbage", b"<html><body>Moved to a new site!</body></html>", content_type="text/html")
    for feed in (good, broken, garbage, missing):
        await store.feeds.update_feed(feed.id, next_poll_at=None)
    results = {r.feed_id: r for r in await worker.poll_due()}
    assert recorder.new_titles == ["Episode 0"]
    assert (
        results[broken.id].outcome == results[garbage.id].outcome == results[missing.id].outcome == "failed"
    )
    assert "not an RSS or Atom feed" in (results[garbage.id].error or "")


async def test_a_failing_item_never_stops_its_feed(
    store: Store,
    server: FeedServer,
    make_worker: Callable[..., FeedWorker],
    recorder: Recorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    feed = await add(store, server, "/f", [episode(1)])
    worker = make_worker()
    await worker.poll_feed(feed.id)
    real = parse.normalize_entry

    def explode_on_poison(entry, *args, **kwargs):  # type: ignore[no-untyped-def]
        if entry.get("title") == "Poison":
            raise ValueError("this item cannot be read")
        return real(entry, *args, **kwargs)

    monkeypatch.setattr(parse, "normalize_entry", explode_on_poison)
    server.set_feed("/f", rss([episode(3), episode(2, title="Poison"), episode(1)]))
    await worker.poll_feed(feed.id)
    assert recorder.new_titles == ["Episode 3"]


class ExplodingFetcher(Fetcher):
    """A fetcher with a bug: the worker must survive it and record the failure."""

    async def fetch(self, url: str, **kwargs: object) -> FetchResult:  # type: ignore[override]
        raise RuntimeError("bug")


async def test_the_worker_survives_any_exception(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], fetcher: Fetcher
) -> None:
    feed = await add(store, server, "/f", [episode(1)])
    worker = make_worker(fetcher=ExplodingFetcher(fetcher.session, allow_private=True))
    [result] = await worker.poll_due()
    assert result.outcome == "failed" and "internal error" in (result.error or "")
    state = await store.feeds.get_feed(feed.id)
    assert state is not None and state.consecutive_failures == 1 and state.last_error


async def test_a_listener_crash_loses_no_item(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], recorder: Recorder
) -> None:
    class Crashing(Recorder):
        async def on_new_items(self, feed: Feed, items: list) -> None:  # type: ignore[type-arg]
            raise RuntimeError("announcer down")

    feed = await add(store, server, "/f", [episode(1)])
    worker = make_worker(listener=Crashing())
    await worker.poll_feed(feed.id)
    server.set_feed("/f", rss([episode(0), episode(1)]))
    result = await worker.poll_feed(feed.id)
    assert [i.title for i in result.new_items] == ["Episode 0"]
    [pending] = await store.feeds.pending_items()
    assert pending.title == "Episode 0" and pending.dispatched_at is None
    await store.feeds.mark_dispatched(pending.id)
    assert await store.feeds.pending_items() == []


async def test_permanent_redirect_and_new_feed_url_move_the_feed(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], recorder: Recorder
) -> None:
    feed = await add(store, server, "/old", [episode(1)])
    worker = make_worker()
    await worker.poll_feed(feed.id)
    server.set_feed("/new", rss([episode(1)]))
    server.set_redirect("/old", "/new", status=301)
    await worker.poll_feed(feed.id)
    moved = await store.feeds.get_feed(feed.id)
    assert moved is not None and moved.url == server.url("/new")
    assert [(old, new) for _, old, new in recorder.moved] == [(server.url("/old"), server.url("/new"))]
    server.set_feed(
        "/new",
        rss(
            [episode(1)], channel_extra=f"<itunes:new-feed-url>{server.url('/newest')}</itunes:new-feed-url>"
        ),
    )
    server.set_feed("/newest", rss([episode(1)]))
    await worker.poll_feed(feed.id)
    final = await store.feeds.get_feed(feed.id)
    assert final is not None and final.url == server.url("/newest")
    assert recorder.new == [] and len(recorder.moved) == 2


async def test_items_that_leave_the_feed_are_kept_and_not_reannounced(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], recorder: Recorder
) -> None:
    feed = await add(store, server, "/f", [episode(1), episode(2)])
    worker = make_worker()
    await worker.poll_feed(feed.id)
    server.set_feed("/f", rss([episode(1)]))
    await worker.poll_feed(feed.id)
    gone = await store.feeds.get_item_by_key(feed.id, "guid:guid-2")
    assert gone is not None and not gone.still_in_feed
    server.set_feed("/f", rss([episode(1), episode(2)]))
    await worker.poll_feed(feed.id)
    back = await store.feeds.get_item_by_key(feed.id, "guid:guid-2")
    assert back is not None and back.still_in_feed and recorder.new == []


async def test_a_new_episode_on_top_of_a_long_spotify_feed_parses_only_that_episode(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], recorder: Recorder
) -> None:
    server.set_feed("/spotify", spotify_feed(200, newest=NOW - timedelta(days=1)))
    feed = await store.feeds.add_feed(server.url("/spotify"))
    worker = make_worker()
    first = await worker.poll_feed(feed.id)
    assert first.parsed_items == 200 and recorder.new == []
    server.set_feed("/spotify", spotify_feed(200, newest=NOW - timedelta(days=1), extra_top=1))
    result = await worker.poll_feed(feed.id)
    assert result.parsed_items == 1
    [item] = result.new_items
    assert item.title.startswith("Episode 201:") and item.key.startswith("guid:") and item.duration_seconds
    assert recorder.new_titles == [item.title]


async def test_backfill_and_preview_url(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker]
) -> None:
    feed = await add(store, server, "/f", [episode(1), episode(2), episode(3)])
    worker = make_worker()
    preview = await worker.preview_url(server.url("/f"), 2)
    assert [i.title for i in preview.items] == ["Episode 2", "Episode 1"]
    assert await store.feeds.latest_items(feed.id, 5) == []  # the preview stores nothing
    await worker.poll_feed(feed.id)
    backfilled = await store.feeds.backfill(feed.id, 2)
    assert [i.title for i in backfilled] == ["Episode 2", "Episode 1"]
    assert [i.title for i in await store.feeds.pending_items()] == ["Episode 2", "Episode 1"]


async def test_a_check_now_during_a_cycle_never_stores_an_item_twice(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], recorder: Recorder
) -> None:
    feed = await add(store, server, "/f", [episode(1)])
    worker = make_worker()
    await worker.poll_feed(feed.id)
    server.set_feed("/f", rss([episode(0), episode(1)]))
    results = await asyncio.gather(worker.poll_due(), worker.poll_feed(feed.id), worker.poll_feed(feed.id))
    assert "failed" not in {r.outcome for r in [*results[0], results[1], results[2]]}
    assert recorder.new_titles == ["Episode 0"]


async def test_a_same_titled_new_episode_is_announced_while_the_old_one_stays(
    store: Store, server: FeedServer, make_worker: Callable[..., FeedWorker], recorder: Recorder
) -> None:
    feed = await add(store, server, "/f", [episode(2, title="Weekly recap")])
    worker = make_worker()
    await worker.poll_feed(feed.id)
    server.set_feed("/f", rss([episode(1, title="Weekly recap"), episode(2, title="Weekly recap")]))
    await worker.poll_feed(feed.id)
    assert recorder.new_titles == ["Weekly recap"]
    [fresh] = recorder.new[0][1]
    assert (
        fresh.key == "guid:guid-1"
        and (await store.feeds.explain(fresh)).reason == "it is queued for announcement"
    )


async def test_ids_typed_by_people_never_overflow_the_store(store: Store) -> None:
    huge = 2**63
    assert await store.feeds.get_feed(huge) is None and await store.feeds.get_item(-huge - 5) is None
    assert await store.feeds.backfill(huge, 5) == [] and await store.feeds.latest_items(1, huge) == []
    assert await store.feeds.find_items("x", feed_id=huge) == [] and not await store.feeds.set_active(
        huge, True
    )
    assert not await store.feeds.remove_feed(huge)
