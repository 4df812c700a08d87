"""WebSub push end to end: the operators' runner (`tests/ops/conftest.py`) with PUBLIC_URL set, the hub
double and a feed server (`tests/websub/helpers.py` starts the bot on them)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.announce.conftest import double, interceptor, world  # noqa: F401 (fixtures)
from tests.doubles.feed_server import FeedServer
from tests.doubles.websub_hub import WebSubHub
from tests.harness import BotRunner
from tests.ops.conftest import OpsRunner


@pytest.fixture
def runner_class() -> type[BotRunner]:
    return OpsRunner


@pytest.fixture
async def hub() -> AsyncIterator[WebSubHub]:
    async with WebSubHub() as running:
        yield running


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as running:
        yield running
