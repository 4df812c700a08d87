"""A WebSub hub double on 127.0.0.1: takes (un)subscriptions, verifies intent, publishes signed notifications.

It behaves as a hub does (W3C WebSub, like the pubsubhubbub.appspot.com hub podcast hosts name)::

    async with WebSubHub() as hub:
        feed_xml = rss(..., channel_extra=hub.links(topic))     # the feed declares the hub and its topic
        ...                                                     # the bot subscribes: POST hub.url
        sub = await hub.wait_subscribed(topic)                  # after the intent verification succeeded
        await hub.publish(topic, body)                          # signed POST to every verified callback
        await hub.forge(sub.callback, body)                     # a notification signed with a wrong secret

A subscription request is answered 202 and then verified with a GET on the callback carrying
`hub.mode`, `hub.topic`, `hub.challenge` and (subscribe) `hub.lease_seconds`; it counts only when the
callback echoes the challenge with a 2xx (`verify_first`: before answering, as some hubs do).
`lease_grant` overrides the lease the subscriber asked for, `fail_next(status)` refuses the next requests,
`requests` and `verifications` record everything.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

import aiohttp
from aiohttp import web

from bot.websub.signature import sign


@dataclass
class HubSubscription:
    callback: str
    topic: str
    secret: str | None
    lease_seconds: int
    verified_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Verification:
    mode: str
    topic: str
    callback: str
    status: int
    echoed: bool


class WebSubHub:
    """The hub double; `async with WebSubHub() as hub`."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.subscriptions: dict[tuple[str, str], HubSubscription] = {}
        self.requests: list[dict[str, str]] = []
        self.verifications: list[Verification] = []
        self.lease_grant: int | None = None
        self.method = "sha256"
        #: Verify before answering the subscription request (some hubs do), instead of after.
        self.verify_first = False
        self._failures: list[int] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._changed = asyncio.Event()

    async def __aenter__(self) -> WebSubHub:
        app = web.Application()
        app.router.add_post("/", self._subscribe)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        self.port = self._runner.addresses[0][1]
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def links(self, topic: str) -> str:
        """The channel elements a feed uses to declare this hub and its own topic URL."""
        return (
            f"<atom:link rel={quoteattr('hub')} href={quoteattr(self.url)}/>"
            f'<atom:link rel={quoteattr("self")} href={quoteattr(topic)} type="application/rss+xml"/>'
        )

    def fail_next(self, status: int, times: int = 1) -> None:
        self._failures.extend([status] * times)

    def requests_for(self, mode: str) -> list[dict[str, str]]:
        return [r for r in self.requests if r.get("hub.mode") == mode]

    # --- the subscriber's side -------------------------------------------------------------------------

    async def _subscribe(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.requests.append(form)
        if self._failures:
            return web.Response(status=self._failures.pop(0), text="injected failure")
        mode, topic, callback = form.get("hub.mode"), form.get("hub.topic"), form.get("hub.callback")
        if mode not in ("subscribe", "unsubscribe") or not topic or not callback:
            return web.Response(status=400, text="hub.mode, hub.topic and hub.callback are required")
        if self.verify_first:
            await self._verify(form)
            return web.Response(status=202, text="accepted")
        task = asyncio.create_task(self._verify(form))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response(status=202, text="accepted")

    async def _verify(self, form: dict[str, str]) -> None:
        assert self._client is not None
        mode, topic, callback = form["hub.mode"], form["hub.topic"], form["hub.callback"]
        challenge = secrets.token_urlsafe(16)
        lease = self.lease_grant or int(form.get("hub.lease_seconds") or 86400)
        params = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge}
        if mode == "subscribe":
            params["hub.lease_seconds"] = str(lease)
        try:
            async with self._client.get(callback, params=params) as response:
                status, text = response.status, await response.text()
        except aiohttp.ClientError:
            status, text = 0, ""
        echoed = 200 <= status < 300 and text == challenge
        self.verifications.append(Verification(mode, topic, callback, status, echoed))
        if echoed and mode == "subscribe":
            self.subscriptions[(callback, topic)] = HubSubscription(
                callback, topic, form.get("hub.secret"), lease
            )
        elif echoed:
            self.subscriptions.pop((callback, topic), None)
        self._changed.set()

    async def wait_verified(self, count: int, timeout: float = 5.0) -> list[Verification]:
        """Wait until at least `count` verification GETs have been made; returns them all."""
        async with asyncio.timeout(timeout):
            while len(self.verifications) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.verifications

    async def wait_subscribed(self, topic: str, timeout: float = 5.0) -> HubSubscription:
        async with asyncio.timeout(timeout):
            while True:
                found = [s for (_, t), s in self.subscriptions.items() if t == topic]
                if found:
                    return found[0]
                self._changed.clear()
                await self._changed.wait()

    # --- the publisher's side --------------------------------------------------------------------------

    async def publish(self, topic: str, body: bytes) -> list[int]:
        """Notify every verified subscriber of `topic` with `body`, signed with its secret."""
        statuses = []
        for sub in [s for (_, t), s in self.subscriptions.items() if t == topic]:
            statuses.append(await self.deliver(sub.callback, body, secret=sub.secret))
        return statuses

    async def deliver(
        self, callback: str, body: bytes, *, secret: str | None, signature: str | None = None
    ) -> int:
        """POST one notification; `signature` overrides the header (None with no secret: no header)."""
        assert self._client is not None
        headers = {"Content-Type": "application/rss+xml"}
        if signature is None and secret is not None:
            signature = sign(secret, body, self.method)
        if signature is not None:
            headers["X-Hub-Signature"] = signature
        async with self._client.post(callback, data=body, headers=headers) as response:
            await response.read()
            return response.status

    async def forge(self, callback: str, body: bytes) -> int:
        """A notification from someone who does not know the secret."""
        return await self.deliver(callback, body, secret=secrets.token_urlsafe(32))
