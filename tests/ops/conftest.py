"""The operators' HTTP surface end to end: the announcements world (`tests/announce/conftest.py`) plus the
feed worker and WebSub cogs, with the HTTP server on a free loopback port."""

from __future__ import annotations

import socket
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.client import CommunityBot
from tests.announce.conftest import AnnounceRunner, double, interceptor, world  # noqa: F401 (fixtures)
from tests.harness import QUIET_FEEDS, BotRunner


def free_port() -> int:
    """A loopback port free right now (PUBLIC_URL has to name the port before the bot starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class OpsRunner(AnnounceRunner):
    """Announcements plus the feed worker and WebSub push, the HTTP server on (HTTP_PORT=0: any free port)."""

    extensions = (*AnnounceRunner.extensions, "cogs.console", "cogs.feed_worker", "cogs.websub")
    defaults = {**QUIET_FEEDS, "http_port": 0}


@pytest.fixture
def runner_class() -> type[BotRunner]:
    return OpsRunner


def base_url(bot: CommunityBot) -> str:
    assert bot.ops.port is not None, "the HTTP server is not listening"
    return f"http://127.0.0.1:{bot.ops.port}"


async def get(bot: CommunityBot, path: str, **kwargs: Any) -> tuple[int, str, str]:
    """(status, body, content type) of a GET on the bot's HTTP server."""
    async with aiohttp.ClientSession() as session, session.get(base_url(bot) + path, **kwargs) as response:
        return response.status, await response.text(), response.headers.get("Content-Type", "")


async def scrape(bot: CommunityBot) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics as {(name, sorted labels): value}."""
    status, text, _ = await get(bot, "/metrics")
    assert status == 200
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
