"""Feed polling benchmarks: CPU of the bot's poll against fetching and parsing with feedparser.

Each `figure_*` function returns a dict (name, value, baseline, ratio, target, unit, meets_target, …).
Figures, each a ratio against a baseline measured in the same run (process CPU time, so other load on the
machine does not count; the feed server runs in a separate process so its CPU is not counted either):

- `unchanged_cycle`: one poll cycle over 50 feeds (20 with --quick) of 150 items whose items did not
  change, half answering 304 to the stored ETag and half returning a body that differs only in
  `lastBuildDate`, against fetching each and parsing it fully with `feedparser.parse`. Target: the cycle
  costs at most 1/20 of the baseline.
- `new_episode_1500`: detecting and storing one new episode at the top of the 1,500-episode Spotify for
  Creators feed (after the feed was stored), against one full `feedparser.parse` of that feed. Target: at
  most 1/5.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser

from bench.core import Figure
from bot.feeds.fetch import Fetcher, build_session
from bot.feeds.worker import FeedWorker
from bot.http import USER_AGENT
from bot.store import Store
from tests.feeds.builders import Item, rss, spotify_feed

Routes = dict[str, tuple[bytes, str | None]]


def _serve(routes: Routes, ports: Any, stop: Any) -> None:
    """The feed server double in its own process (its CPU stays out of the measurement)."""
    from tests.doubles.feed_server import FeedServer

    async def main() -> None:
        async with FeedServer() as server:
            for path, (body, etag) in routes.items():
                server.set_feed(path, body, etag=etag)
            ports.put(server.port)
            while not stop.is_set():
                await asyncio.sleep(0.05)

    asyncio.run(main())


class ServerProcess:
    """Start the double in a child process; `base_url` is where it listens."""

    def __init__(self, routes: Routes) -> None:
        context = multiprocessing.get_context("spawn")
        self._ports = context.Queue()
        self._stop = context.Event()
        self._process = context.Process(target=_serve, args=(routes, self._ports, self._stop), daemon=True)
        self.base_url = ""

    def __enter__(self) -> ServerProcess:
        self._process.start()
        self.base_url = f"http://127.0.0.1:{self._ports.get(timeout=60)}"
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()


def _podcast(index: int, items: int, build: datetime) -> bytes:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    notes = (
        "<p>Show notes with <a href='https://example.com/x'>a link</a> and a few sentences of text.</p>" * 6
    )
    return rss(
        [
            Item(
                guid=f"feed{index}-ep{n}",
                title=f"Feed {index} episode {n}",
                link=f"https://example.com/{index}/{n}",
                published=start - timedelta(days=n),
                description=notes,
                audio_url=f"https://cdn.example.com/{index}/{n}.mp3",
                duration="00:31:05",
            )
            for n in range(items)
        ],
        title=f"Bench feed {index}",
        build_date=build,
    )


async def _open_store(folder: str) -> Store:
    return await Store.open(Path(folder) / "bench.sqlite3")


async def _unchanged_cycle(count: int, items: int) -> tuple[float, float]:
    monday, tuesday = datetime(2025, 3, 3, tzinfo=UTC), datetime(2025, 3, 4, tzinfo=UTC)
    routes: Routes = {}
    for index in range(count):
        if index % 2 == 0:
            routes[f"/etag{index}"] = (_podcast(index, items, monday), f'"v{index}"')
        else:
            routes[f"/a{index}"] = (_podcast(index, items, monday), None)
            routes[f"/b{index}"] = (_podcast(index, items, tuesday), None)
    with ServerProcess(routes) as server, tempfile.TemporaryDirectory() as folder:
        store = await _open_store(folder)
        async with build_session(allow_private=True, user_agent=USER_AGENT) as session:
            fetcher = Fetcher(session, allow_private=True, max_bytes=32 << 20)
            worker = FeedWorker(store, fetcher, max_concurrency=4)
            feeds = []
            for index in range(count):
                path = f"/etag{index}" if index % 2 == 0 else f"/a{index}"
                feeds.append(await store.feeds.add_feed(server.base_url + path))
            await worker.poll_due()  # stores everything (untimed)
            for index, feed in enumerate(feeds):
                url = feed.url if index % 2 == 0 else server.base_url + f"/b{index}"
                await store.feeds.update_feed(feed.id, url=url, next_poll_at=None)
            start = time.process_time()
            results = await worker.poll_due()
            ours = time.process_time() - start
            outcomes = {r.outcome for r in results}
            if outcomes != {"not_modified", "unchanged"}:
                raise RuntimeError(f"the cycle did not see unchanged feeds: {outcomes}")

            semaphore = asyncio.Semaphore(4)

            async def naive(url: str) -> int:
                async with semaphore:
                    body = (await fetcher.fetch(url)).body
                    return len(feedparser.parse(body).entries)

            urls = [server.base_url + (f"/etag{i}" if i % 2 == 0 else f"/b{i}") for i in range(count)]
            start = time.process_time()
            parsed = await asyncio.gather(*(naive(url) for url in urls))
            baseline = time.process_time() - start
            if set(parsed) != {items}:
                raise RuntimeError("the baseline did not parse every item")
        await store.close()
    return ours, baseline


def figure_unchanged_cycle(quick: bool) -> dict[str, Any]:
    count, items = (20, 150) if quick else (50, 150)
    ours, baseline = asyncio.run(_unchanged_cycle(count, items))
    return Figure(
        name="feeds.unchanged_cycle_cpu",
        value=ours,
        baseline=baseline,
        unit="s CPU",
        target=1 / 20,
        direction="lower",
        note=f"{count} feeds x {items} items; half 304, half only lastBuildDate changed; "
        "baseline: fetch + feedparser.parse each",
    ).as_dict()


async def _new_episode(repeats: int) -> tuple[float, float]:
    newest = datetime.now(UTC) - timedelta(days=2)
    old, new = spotify_feed(1500, newest=newest), spotify_feed(1500, newest=newest, extra_top=1)
    routes: Routes = {"/old": (old, None), "/new": (new, None)}
    ours: list[float] = []
    with ServerProcess(routes) as server, tempfile.TemporaryDirectory() as folder:
        store = await _open_store(folder)
        async with build_session(allow_private=True, user_agent=USER_AGENT) as session:
            fetcher = Fetcher(session, allow_private=True, max_bytes=32 << 20)
            worker = FeedWorker(store, fetcher)
            for _ in range(repeats):
                feed = await store.feeds.add_feed(server.base_url + f"/old?copy={len(ours)}")
                await worker.poll_feed(feed.id)  # the 1,500 episodes are stored (untimed)
                await store.feeds.update_feed(feed.id, url=server.base_url + f"/new?copy={len(ours)}")
                start = time.process_time()
                result = await worker.poll_feed(feed.id)
                ours.append(time.process_time() - start)
                if len(result.new_items) != 1 or result.parsed_items != 1:
                    raise RuntimeError(f"expected one new episode, got {result}")
        await store.close()
    baselines = []
    for _ in range(repeats):
        start = time.process_time()
        entries = len(feedparser.parse(new).entries)
        baselines.append(time.process_time() - start)
    if entries != 1501:
        raise RuntimeError("the baseline parse lost episodes")
    return statistics.median(ours), statistics.median(baselines)


def figure_new_episode_1500(quick: bool) -> dict[str, Any]:
    ours, baseline = asyncio.run(_new_episode(1 if quick else 3))
    return Figure(
        name="feeds.new_episode_of_1500_cpu",
        value=ours,
        baseline=baseline,
        unit="s CPU",
        target=1 / 5,
        direction="lower",
        note="fetch, detect and store one new episode on top of 1,500; baseline: one feedparser.parse",
    ).as_dict()
