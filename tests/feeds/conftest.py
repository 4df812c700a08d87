"""Fixtures for the feeds tests: the feed server double, a real guarded session and fetcher, a worker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from bot.feeds.fetch import Fetcher, build_session
from bot.feeds.models import Feed, StoredItem
from bot.feeds.worker import FeedWorker
from bot.http import USER_AGENT
from bot.store import Store
from tests.doubles.feed_server import FeedServer


class Recorder:
    """A real `FeedEvents` listener that remembers what it heard."""

    def __init__(self) -> None:
        self.new: list[tuple[Feed, list[StoredItem]]] = []
        self.edited: list[tuple[Feed, list[StoredItem]]] = []
        self.failing: list[tuple[Feed, str]] = []
        self.recovered: list[Feed] = []
        self.moved: list[tuple[Feed, str, str]] = []

    async def on_new_items(self, feed: Feed, items: list[StoredItem]) -> None:
        self.new.append((feed, items))

    async def on_edited_items(self, feed: Feed, items: list[StoredItem]) -> None:
        self.edited.append((feed, items))

    async def on_feed_failing(self, feed: Feed, reason: str) -> None:
        self.failing.append((feed, reason))

    async def on_feed_recovered(self, feed: Feed) -> None:
        self.recovered.append(feed)

    async def on_feed_moved(self, feed: Feed, old_url: str, new_url: str) -> None:
        self.moved.append((feed, old_url, new_url))

    @property
    def new_titles(self) -> list[str]:
        return [item.title for _, items in self.new for item in items]


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    opened = build_session(allow_private=True, user_agent=USER_AGENT, timeout=5)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def fetcher(session: aiohttp.ClientSession) -> Fetcher:
    return Fetcher(session, allow_private=True, max_bytes=256 * 1024, timeout=5)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_worker(store: Store, fetcher: Fetcher, recorder: Recorder) -> Callable[..., FeedWorker]:
    def build(**overrides: Any) -> FeedWorker:
        options: dict[str, Any] = {
            "interval": 600.0,
            "max_concurrency": 4,
            "window": timedelta(days=7),
            "daily_cap": 20,
            "allow_private": True,
            "listener": recorder,
        }
        options.update(overrides)
        return FeedWorker(store, options.pop("fetcher", fetcher), **options)

    return build
