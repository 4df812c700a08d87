"""What an operator sees on the bot's HTTP server: liveness, readiness with reasons, and metrics that move."""

from __future__ import annotations

import contextlib
import json
import socket
from datetime import timedelta

import aiohttp
import pytest

from bot.announce.models import DeliveryState
from bot.ops.health import feed_worker
from bot.ops.server import HTTPServerError
from bot.store import Store
from bot.timeutil import utcnow
from tests.announce.conftest import World
from tests.announce.flows import bot_messages, configure, delivery_state, episode
from tests.doubles.feed_server import FeedServer
from tests.feeds.builders import rss
from tests.harness import eventually
from tests.ops.conftest import OpsRunner, base_url, get, scrape, value


async def test_no_server_unless_http_port_is_set(runner: OpsRunner) -> None:
    bot = await runner.start(http_port=None)
    assert bot.ops.port is None


async def test_a_taken_port_stops_start_up_naming_the_setting(runner: OpsRunner) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(HTTPServerError, match=r"HTTP_PORT: cannot listen on 127\.0\.0\.1:"):
            await runner.start(http_port=port)
        with contextlib.suppress(HTTPServerError):
            await runner.stop()


async def test_healthz_and_readyz_with_reasons(runner: OpsRunner, world: World) -> None:
    double = world.double
    bot = await runner.start()
    assert bot.ops._runner is not None
    assert bot.ops._runner.addresses[0][0] == "127.0.0.1"  # loopback unless HTTP_HOST says otherwise

    status, body, _ = await get(bot, "/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})

    async def readyz() -> tuple[int, dict[str, object]]:
        status, body, _ = await get(bot, "/readyz")
        return status, json.loads(body)

    async def ready() -> bool:
        return (await readyz())[0] == 200

    await eventually(ready, what="/readyz 200 once the feed worker finished its first cycle")
    assert (await readyz())[1] == {"status": "ready"}

    worker = feed_worker(bot)
    assert worker is not None and worker.last_cycle_at is not None
    worker.last_cycle_at = utcnow() - timedelta(minutes=10)  # the worker stalled
    status, answer = await readyz()
    assert status == 503
    assert answer["status"] == "not ready"
    assert any("feed worker's last cycle" in p for p in answer["problems"])  # type: ignore[attr-defined]
    worker.last_cycle_at = utcnow()

    double.hold_connections()  # the gateway goes away and does not take the bot back yet
    try:
        await double.drop_gateway()

        async def gateway_down() -> bool:
            status, answer = await readyz()
            return status == 503 and "the Discord gateway is not connected" in answer["problems"]  # type: ignore[operator]

        await eventually(gateway_down, what="/readyz 503 naming the gateway")
    finally:
        double.release_connections()
    await eventually(ready, what="/readyz 200 again after the gateway came back")

    async with aiohttp.ClientSession() as session, session.post(base_url(bot) + "/healthz") as response:
        assert response.status == 405


async def test_metrics_move_with_a_poll_and_an_announcement(
    runner: OpsRunner, world: World, store: Store
) -> None:
    async with FeedServer() as server:
        feed_url = server.url("/podcast.xml")
        server.set_feed("/podcast.xml", rss([episode(1)], title="The AI Daily Brief"))
        bot = await runner.start(podcast_feed_url=feed_url)
        feed = await store.feeds.get_feed_by_name("podcast")
        assert feed is not None
        await eventually(lambda: _first_fetch_done(store, feed.id), what="the first poll of the podcast")
        await configure(runner, world, world.episodes)
        before = await scrape(bot)

        server.set_feed("/podcast.xml", rss([episode(2), episode(1)], title="The AI Daily Brief"))
        worker = feed_worker(bot)
        assert worker is not None
        result = await worker.poll_feed(feed.id)
        (new,) = result.new_items
        await eventually(
            lambda: delivery_state(store, world.guild.id, new.id, DeliveryState.DONE), what="announced"
        )
        assert len(bot_messages(world, world.episodes)) == 1
        record = await world.double.invoke(world.guild, world.mod, "admin feed check", {"feed": "nope"})
        assert "This server follows no feed" in (await record.wait_final()).content
        after = await scrape(bot)
        status, text, content_type = await get(bot, "/metrics")

    assert status == 200 and content_type.startswith("text/plain")
    polls = ("bot_feed_polls_total", {"kind": "podcast", "outcome": "updated"})
    assert value(after, polls[0], **polls[1]) == value(before, polls[0], **polls[1]) + 1
    fetches = ("bot_feed_fetch_seconds_count", {"kind": "podcast"})
    assert value(after, fetches[0], **fetches[1]) == value(before, fetches[0], **fetches[1]) + 1
    sent = value(after, "bot_announcements_total", outcome="sent")
    assert sent == value(before, "bot_announcements_total", outcome="sent") + 1
    lag = ("bot_publish_to_announce_seconds_count", {"kind": "podcast"})
    assert value(after, lag[0], **lag[1]) == value(before, lag[0], **lag[1]) + 1
    assert value(after, "bot_commands_total", command="admin", outcome="ok") >= 2  # configure ran two
    refused = ("bot_commands_total", {"command": "admin", "outcome": "refused"})
    assert value(after, refused[0], **refused[1]) == value(before, refused[0], **refused[1]) + 1
    assert value(after, "bot_gateway_connected") == 1
    assert value(after, "bot_feeds", status="ok") >= 1
    assert ("bot_outbox_depth", (("stage", "send"),)) in after
    assert ("bot_gateway_latency_seconds", ()) in after
    # Nothing guild-private or secret: no server or channel name or id, no feed URL, no token.
    private = (world.guild.name, str(world.guild.id), str(world.episodes.id), feed_url, runner.double.token)
    for secret in private:
        assert secret not in text


async def _first_fetch_done(store: Store, feed_id: int) -> bool:
    feed = await store.feeds.get_feed(feed_id)
    return feed is not None and feed.first_fetch_done
