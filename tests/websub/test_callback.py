"""Hostile requests to the WebSub callback: nothing is fetched, echoed or stored unless a hub proves it."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import aiohttp
import pytest

import bot.ops.server as server_module
from bot.metrics import METRICS
from bot.store import Store
from bot.websub.signature import sign
from tests.announce.conftest import World
from tests.doubles.feed_server import FeedServer
from tests.doubles.websub_hub import WebSubHub
from tests.harness import eventually
from tests.ops.conftest import OpsRunner, get
from tests.websub.helpers import Pushed, start_pushed, subscription

MAX_BYTES = 8192


async def _post(url: str, body: bytes | AsyncIterator[bytes], headers: dict[str, str] | None = None) -> int:
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as response:
        return response.status


async def _active(
    runner: OpsRunner, world: World, store: Store, server: FeedServer, hub: WebSubHub
) -> Pushed:
    runner.defaults = {**runner.defaults, "feed_max_bytes": MAX_BYTES}
    pushed = await start_pushed(runner, world, store, server, hub)
    await pushed.service.reconcile()
    await hub.wait_subscribed(pushed.topic)
    return pushed


async def test_notifications_that_do_not_verify_fetch_nothing(
    runner: OpsRunner, world: World, store: Store, feed_server: FeedServer, hub: WebSubHub
) -> None:
    pushed = await _active(runner, world, store, feed_server, hub)
    sub = await subscription(store, pushed.feed)
    callback = pushed.service.callback_url(sub)
    base = callback.rsplit("/", 1)[0]
    body = pushed.publish_body([])
    fetches = len(feed_server.requests_for("/podcast.xml"))
    bad_before = METRICS.websub_notifications.labels(result="bad_signature")._value.get()

    assert await _post(f"{base}/{secrets.token_urlsafe(24)}", body) == 404  # no such subscription
    assert await _post(f"{base}/..%2F..%2Fetc", body) == 404  # not even token-shaped
    assert await _post(f"{base}/{'a' * 500}", body) == 404
    wrong = {"X-Hub-Signature": sign("not the secret", body)}
    assert await _post(callback, body, wrong) == 202  # acknowledged, so it cannot be probed
    assert await _post(callback, body) == 202  # no signature at all
    assert await _post(callback, body, {"X-Hub-Signature": "md5=" + "0" * 32}) == 202
    assert await _post(callback, body, {"X-Hub-Signature": "sha256=zz"}) == 202
    stale = sign(sub.secret, body)  # a real signature, replayed on another body
    assert await _post(callback, body + b"<!-- changed -->", {"X-Hub-Signature": stale}) == 202

    big = b"<rss>" + b" " * (MAX_BYTES * 2) + b"</rss>"
    assert await _post(callback, big, {"X-Hub-Signature": sign(sub.secret, big)}) == 413

    async def dribble() -> AsyncIterator[bytes]:  # chunked, no Content-Length to refuse it by
        for _ in range(20):
            yield b" " * 1024

    assert await _post(callback, dribble(), {"X-Hub-Signature": sign(sub.secret, b" " * 20 * 1024)}) == 413
    assert METRICS.websub_notifications.labels(result="bad_signature")._value.get() == bad_before + 5
    assert len(feed_server.requests_for("/podcast.xml")) == fetches
    assert (await subscription(store, pushed.feed)).last_notification_at is None

    # The control: the same callback with a right signature (each method hubs use) fetches the feed.
    for method in ("sha1", "sha384", "sha512"):
        hub.method = method
        assert await hub.publish(pushed.topic, body) == [202]
    await eventually(
        lambda: _more_than(feed_server, fetches), what="a fetch after the verified notifications"
    )


async def test_intent_verification_echoes_only_what_was_asked(
    runner: OpsRunner, world: World, store: Store, feed_server: FeedServer, hub: WebSubHub
) -> None:
    pushed = await _active(runner, world, store, feed_server, hub)
    sub = await subscription(store, pushed.feed)
    callback = pushed.service.callback_url(sub)
    path = callback.removeprefix(f"http://127.0.0.1:{pushed.bot.ops.port}")
    challenge = secrets.token_urlsafe(16)

    def query(**values: str) -> dict[str, str]:
        return {"hub.mode": "subscribe", "hub.topic": pushed.topic, "hub.challenge": challenge, **values}

    status, text, _ = await get(pushed.bot, path, params=query(**{"hub.topic": "https://evil.example/"}))
    assert (status, challenge in text) == (404, False)  # someone else's topic
    status, text, _ = await get(pushed.bot, "/websub/" + secrets.token_urlsafe(24), params=query())
    assert (status, challenge in text) == (404, False)  # no such subscription
    status, text, _ = await get(pushed.bot, path, params=query(**{"hub.mode": "unsubscribe"}))
    assert (status, challenge in text) == (404, False)  # we never asked to unsubscribe
    status, _, _ = await get(pushed.bot, path, params=query(**{"hub.challenge": "x" * 5000}))
    assert status == 400
    assert (await subscription(store, pushed.feed)).state == "active"

    # The control: a renewal's verification of the right topic is echoed, as text, and extends the lease.
    status, text, content_type = await get(pushed.bot, path, params=query(**{"hub.lease_seconds": "7200"}))
    assert (status, text) == (200, challenge) and content_type.startswith("text/plain")
    assert (await subscription(store, pushed.feed)).lease_seconds == 7200

    # A hub that denies the subscription: nothing echoed, the subscription starts over later.
    status, _, _ = await get(
        pushed.bot, path, params={"hub.mode": "denied", "hub.topic": pushed.topic, "hub.reason": "blocked"}
    )
    assert status == 200
    denied = await subscription(store, pushed.feed)
    assert denied.state == "new" and denied.last_error is not None and "blocked" in denied.last_error
    assert not await pushed.service.push_active(pushed.feed.id)


async def test_a_body_that_dribbles_in_is_cut_off(
    runner: OpsRunner,
    world: World,
    store: Store,
    feed_server: FeedServer,
    hub: WebSubHub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(server_module, "BODY_SECONDS", 0.3)
    pushed = await _active(runner, world, store, feed_server, hub)
    sub = await subscription(store, pushed.feed)
    fetches = len(feed_server.requests_for("/podcast.xml"))

    async def slowly() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 10
            await asyncio.sleep(0.1)

    signature = {"X-Hub-Signature": sign(sub.secret, b" " * 100)}
    assert await _post(pushed.service.callback_url(sub), slowly(), signature) == 408
    assert len(feed_server.requests_for("/podcast.xml")) == fetches


async def test_callbacks_are_not_served_while_push_is_off(runner: OpsRunner) -> None:
    bot = await runner.start()  # HTTP_PORT set, PUBLIC_URL not: no WebSub
    assert bot.get_cog("WebSub") is None
    status, _, _ = await get(bot, "/websub/" + secrets.token_urlsafe(24), params={"hub.challenge": "x"})
    assert status == 404


async def _more_than(server: FeedServer, count: int) -> bool:
    return len(server.requests_for("/podcast.xml")) > count
