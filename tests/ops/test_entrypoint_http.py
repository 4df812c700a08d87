"""The HTTP server in the real process: `python -m bot run` serves it, and stops it cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path

import aiohttp

from tests.doubles.discord import DiscordDouble
from tests.doubles.feed_server import FeedServer
from tests.e2e.process import BotProcess
from tests.e2e.test_entrypoint import FEED, bot_env
from tests.harness import eventually
from tests.ops.conftest import free_port


async def _status(url: str) -> int | None:
    try:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return response.status
    except aiohttp.ClientConnectionError:
        return None


async def test_run_serves_readyz_and_metrics_then_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with DiscordDouble() as double, FeedServer() as feeds:
        feeds.set_feed("/podcast.xml", FEED)
        feeds.set_feed("/newsletter.xml", FEED.replace(b"ep-1", b"issue-1"))
        double.add_guild("AI Daily Brief")
        process = await BotProcess(bot_env(double, feeds, tmp_path, HTTP_PORT=str(port)), tmp_path).start()
        try:

            async def ready() -> bool:
                return await _status(base + "/readyz") == 200

            await eventually(ready, timeout=30, interval=0.2, what="/readyz 200 from the subprocess")
            assert await _status(base + "/metrics") == 200
            code = await process.stop(signal.SIGTERM)
        finally:
            await process.kill_quietly()
    assert code == 0, process.log
    assert "HTTP server stopped" in process.log and "shutdown complete" in process.log
    assert "Traceback" not in process.log
    assert await _status(base + "/healthz") is None  # nothing listens any more


async def test_run_refuses_a_taken_port_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with DiscordDouble() as double, FeedServer() as feeds:
            feeds.set_feed("/podcast.xml", FEED)
            feeds.set_feed("/newsletter.xml", FEED)
            env = bot_env(double, feeds, tmp_path, HTTP_PORT=str(port))
            process = await BotProcess(env, tmp_path).start()
            try:
                assert process.proc is not None
                code = await asyncio.wait_for(process.proc.wait(), 30)
                await process.stop()
            finally:
                await process.kill_quietly()
    assert code != 0
    assert f"error: HTTP_HOST/HTTP_PORT: cannot listen on 127.0.0.1:{port}" in process.log, process.log
    assert "Traceback" not in process.log
