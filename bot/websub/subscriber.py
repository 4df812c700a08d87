"""The WebSub subscriber: one subscription per followed feed that declares a hub.

`reconcile()` (run every minute by `cogs.websub`) compares what is wanted with what is:

- a feed that declares a hub, is active and followed by at least one server gets subscribed
  (`hub.mode=subscribe`, the per-feed secret, `hub.lease_seconds`), and renewed when less than a tenth of
  its lease is left (or it already ran out, after downtime);
- a feed nobody follows any more, or that stopped naming its hub, gets unsubscribed.

The hub then verifies our intent with a GET on the callback (`verify_intent`): the challenge is echoed only
for a subscription that is waiting for exactly that (pending or active for subscribe, unsubscribing for
unsubscribe) and names the right topic. A notification (`notification_target` + `accept_notification`,
after the server checked the signature) never trusts the pushed body: it makes the worker fetch the feed
at once, through the same guarded fetch and change detection as "check now", and again after each of
`RECHECK_DELAYS` while the fetch found nothing new (a cache may serve the old copy for a while).

Hub URLs come from feed documents and the callback from settings: both go through the SSRF guard before
anything is sent, and the request goes over the shared guarded session.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import aiohttp

from bot.feeds.errors import FetchError
from bot.metrics import METRICS
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from bot.feeds.fetch import Fetcher
    from bot.store import Store
    from bot.store.websub import SubState, WebSubSubscription

log = logging.getLogger(__name__)

CALLBACK_PATH = "/websub/"
MAX_CHALLENGE = 1024
MIN_LEASE = 60
MAX_LEASE = 365 * 86_400
RENEW_SHARE = 0.1  # renew when less than this share of the lease is left
PENDING_TIMEOUT = timedelta(minutes=10)  # a hub that has not verified by then is asked again
ERROR_GRACE = timedelta(hours=1)  # a hub error this recent means push is not healthy
MAX_RETRY = 6 * 3600.0
#: After a notification whose fetch found nothing new (a cache in front of the feed still serving the
#: old copy, or the fetch failed), the feed is fetched again after these delays, until something changed.
RECHECK_DELAYS = (15.0, 45.0, 120.0)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

Mode = Literal["subscribe", "unsubscribe"]


def valid_token(token: str) -> bool:
    """Whether a callback path segment could be one of our tokens (anything else is refused unread)."""
    return bool(_TOKEN.match(token))


class WebSubService:
    """Subscribes, renews and unsubscribes; answers the hub's verification; turns notifications into polls."""

    def __init__(
        self,
        store: Store,
        session: aiohttp.ClientSession,
        fetcher: Fetcher,
        *,
        public_url: str,
        lease_seconds: int,
        ingest: Callable[[int], Awaitable[bool]],
        clock: Callable[[], datetime] = utcnow,
        request_timeout: float = 15.0,
        recheck_delays: tuple[float, ...] = RECHECK_DELAYS,
    ) -> None:
        self.store = store
        self.session = session
        self.fetcher = fetcher
        self.public_url = public_url.rstrip("/")
        self.lease_seconds = lease_seconds
        self.ingest = ingest
        self.clock = clock
        self.request_timeout = request_timeout
        self.recheck_delays = recheck_delays
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()

    def callback_url(self, sub: WebSubSubscription) -> str:
        return f"{self.public_url}{CALLBACK_PATH}{sub.callback_token}"

    async def push_active(self, feed_id: int) -> bool:
        """Whether push is healthy for this feed (what the poll schedule slows down for)."""
        return await self.store.websub.push_active(feed_id, self.clock(), ERROR_GRACE)

    # --- subscriptions ---------------------------------------------------------------------------------

    async def reconcile(self) -> None:
        """Subscribe, renew or unsubscribe each subscription as its feed needs; one failure stops none.

        Then tell the poll schedule which feeds push delivers (`feeds.push_active`): those are polled at
        the safety-net rate, and a feed whose push lapsed is polled at once.
        """
        for sub in await self.store.websub.list_all():
            try:
                await self._reconcile_one(sub, self.clock())
                await self.sync_schedule(sub.feed_id)
            except Exception:
                log.exception("WebSub: handling the subscription of feed %s failed", sub.feed_id)

    async def sync_schedule(self, feed_id: int) -> None:
        """Record in the feed's row whether push is healthy for it, when that changed."""
        active = await self.push_active(feed_id)
        feed = await self.store.feeds.get_feed(feed_id)
        if feed is not None and feed.push_active != active:
            await self.store.feeds.set_push_active(feed_id, active)
            log.info("WebSub: push for feed %s is %s", feed_id, "healthy" if active else "no longer healthy")

    async def _reconcile_one(self, sub: WebSubSubscription, now: datetime) -> None:
        if sub.next_attempt_at is not None and sub.next_attempt_at > now:
            return  # backing off after a failure
        wanted = sub.declared and sub.feed_active and sub.followers > 0
        asked_recently = sub.requested_at is not None and now - sub.requested_at < PENDING_TIMEOUT
        if wanted:
            stalled = sub.state == "pending" and not asked_recently  # the hub never verified
            if sub.state in ("new", "inactive", "unsubscribing") or stalled:
                await self._request(sub, "subscribe")
            elif sub.state == "active" and self._renewal_due(sub, now) and not asked_recently:
                log.info("WebSub: renewing the lease of feed %s", sub.feed_id)
                await self._request(sub, "subscribe")
        elif sub.state in ("pending", "active"):
            await self._request(sub, "unsubscribe")
        elif sub.state == "unsubscribing" and not asked_recently:
            await self.store.websub.deactivate(sub.id)  # the hub never confirmed; the lease lapses anyway

    @staticmethod
    def _renewal_due(sub: WebSubSubscription, now: datetime) -> bool:
        if sub.lease_expires_at is None or sub.lease_seconds is None:
            return True
        return now >= sub.lease_expires_at - timedelta(seconds=sub.lease_seconds * RENEW_SHARE)

    async def _request(self, sub: WebSubSubscription, mode: Mode) -> bool:
        """Send one (un)subscription request; returns whether the hub accepted it."""
        now = self.clock()
        callback = self.callback_url(sub)
        try:
            await self.fetcher.check(sub.hub)
            await self.fetcher.check(callback)
        except FetchError as exc:
            await self._failed(sub, mode, f"refused: {exc.reason}", now)
            return False
        data = {"hub.mode": mode, "hub.topic": sub.topic, "hub.callback": callback}
        if mode == "subscribe":
            data["hub.lease_seconds"] = str(self.lease_seconds)
            data["hub.secret"] = sub.secret
        # Recorded first: a hub may verify the intent before it answers this request.
        waiting: SubState = "pending"
        if mode == "unsubscribe":
            waiting = "unsubscribing"
        elif sub.state == "active":
            waiting = "active"  # a renewal: the current lease stays usable meanwhile
        await self.store.websub.mark_requested(sub.id, waiting, now)
        try:
            async with self.session.post(
                sub.hub,
                data=data,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self.request_timeout),
            ) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            await self._failed(sub, mode, f"could not reach the hub ({type(exc).__name__})", now)
            return False
        if not 200 <= status < 300:
            await self._failed(sub, mode, f"the hub answered HTTP {status}", now)
            return False
        METRICS.websub_requests.labels(mode=mode, result="accepted").inc()
        log.info("WebSub: hub accepted %s for feed %s", mode, sub.feed_id)
        return True

    async def _failed(self, sub: WebSubSubscription, mode: Mode, error: str, now: datetime) -> None:
        METRICS.websub_requests.labels(mode=mode, result="failed").inc()
        delay = min(60.0 * 2**sub.failures, MAX_RETRY) * random.uniform(0.9, 1.1)
        # Back to where it was: an active lease stays usable, an unsubscription is retried, and a
        # subscription that was never verified starts over.
        state = sub.state if mode == "unsubscribe" or sub.state == "active" else "new"
        await self.store.websub.mark_failed(sub.id, error, now, now + timedelta(seconds=delay), state=state)
        log.warning("WebSub: %s for feed %s failed: %s", mode, sub.feed_id, error)

    # --- what the hub sends ----------------------------------------------------------------------------

    async def verify_intent(self, token: str, query: Mapping[str, str]) -> tuple[int, str]:
        """Answer a hub's verification GET: (status, body). The challenge is echoed only when expected."""
        sub = await self.store.websub.get_by_token(token) if valid_token(token) else None
        if sub is None or query.get("hub.topic") != sub.topic:
            return 404, "unknown subscription"
        mode = query.get("hub.mode")
        now = self.clock()
        if mode == "denied":
            reason = (query.get("hub.reason") or "no reason given")[:200]
            error = f"the hub denied the subscription: {reason}"
            await self.store.websub.mark_failed(sub.id, error, now, now + timedelta(hours=6), state="new")
            return 200, ""
        challenge = query.get("hub.challenge") or ""
        if not challenge or len(challenge) > MAX_CHALLENGE:
            return 400, "bad challenge"
        if mode == "subscribe" and sub.state in ("pending", "active"):
            lease = _lease(query.get("hub.lease_seconds"), self.lease_seconds)
            await self.store.websub.activate(sub.id, lease, now)
            log.info("WebSub: subscription of feed %s verified (lease %d s)", sub.feed_id, lease)
            return 200, challenge
        if mode == "unsubscribe" and sub.state == "unsubscribing":
            await self.store.websub.deactivate(sub.id)
            log.info("WebSub: unsubscription of feed %s verified", sub.feed_id)
            return 200, challenge
        return 404, "not expected"

    async def notification_target(self, token: str) -> WebSubSubscription | None:
        """The active subscription a notification's callback path names, or None (refused unread)."""
        sub = await self.store.websub.get_by_token(token) if valid_token(token) else None
        return sub if sub is not None and sub.state == "active" else None

    async def accept_notification(self, sub: WebSubSubscription) -> None:
        """A notification whose signature verified: note it and fetch that feed now (the body is no fact)."""
        await self.store.websub.record_notification(sub.id, self.clock())
        self._schedule(sub.feed_id)

    def _schedule(self, feed_id: int) -> None:
        running = self._tasks.get(feed_id)
        if running is not None and not running.done():
            self._again.add(feed_id)  # one more poll after this one: the push may be newer than its fetch
            return
        self._tasks[feed_id] = asyncio.create_task(self._ingest(feed_id), name=f"websub-ingest-{feed_id}")

    async def _ingest(self, feed_id: int) -> None:
        """Fetch now; while nothing changed, again after each of `recheck_delays`; once more if notified
        meanwhile."""
        while True:
            self._again.discard(feed_id)
            changed = await self._ingest_once(feed_id)
            for delay in self.recheck_delays:
                if changed or feed_id in self._again:
                    break
                await asyncio.sleep(delay)
                changed = await self._ingest_once(feed_id)
            if feed_id not in self._again:
                return

    async def _ingest_once(self, feed_id: int) -> bool:
        try:
            return await self.ingest(feed_id)
        except Exception:
            log.exception("WebSub: ingesting feed %s after a notification failed", feed_id)
            return False

    async def close(self) -> None:
        """Cancel the ingests still running (the regular poll catches up)."""
        tasks = [task for task in self._tasks.values() if not task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()


def _lease(value: str | None, default: int) -> int:
    if value is not None and value.strip().isascii() and value.strip().isdigit():
        return max(MIN_LEASE, min(int(value.strip()), MAX_LEASE))
    return default
