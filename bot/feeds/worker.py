"""The polling service: fetch each due feed, detect item-level changes, commit, then tell the listener.

One feed's failure never delays or stops another: each poll runs in its own try/except inside a bounded
`asyncio.gather`. A poll's writes (feed state and new items with their status) are one transaction, and
the listener hears about them only after the commit, so a crash in between loses nothing: the announcer
finds the items with `FeedRepo.pending_items()` at start-up. A scheduled cycle runs under the feed poller's
lease (`bot.feeds.leader`) and writes each poll's outcome (items, feed state, a failure) only while the
lease still has this holder and term: the result of a poll that outlived its lease, once another process
took over, is dropped with its events (the new leader polls that feed).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from bot.feeds.decide import decide_stored
from bot.feeds.errors import FetchError
from bot.feeds.events import FeedEvents, NullEvents
from bot.feeds.hints import read_hints
from bot.feeds.identity import raw_guids
from bot.feeds.models import Feed, ParsedFeed, ParsedItem, StoredItem
from bot.feeds.parse import Document, parse_document, parse_regions, split_document
from bot.feeds.planner import Planner
from bot.feeds.schedule import ScheduleConfig
from bot.feeds.ssrf import check_host_literal, check_url
from bot.metrics import METRICS
from bot.store.leases import Lease, LeaseLost
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from bot.feeds.fetch import Fetcher, FetchResult
    from bot.store import Store

log = logging.getLogger(__name__)

Outcome = Literal["not_modified", "unchanged", "updated", "failed", "skipped"]
INTERNAL_ERROR = "an internal error occurred while reading the feed (details are in the bot's log)"
HINTS_BYTES = 64 * 1024  # where a document cannot be cut at its items, its declarations are looked for here


@dataclass(slots=True)
class PollResult:
    """What one poll of one feed did (for logs, tests and the "check now" command)."""

    feed_id: int
    outcome: Outcome
    new_items: list[StoredItem] = field(default_factory=list)
    edited_items: list[StoredItem] = field(default_factory=list)
    error: str | None = None
    parsed_items: int = 0  # how many items went through feedparser (0 when nothing changed)


class FeedWorker:
    """Polls every active feed on its own schedule, with bounded concurrency and per-feed isolation."""

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        *,
        interval: float = 600.0,
        max_concurrency: int = 4,
        window: timedelta = timedelta(days=7),
        daily_cap: int = 20,
        allow_private: bool = False,
        listener: FeedEvents | None = None,
        failing_after: int = 3,
        backoff_max: float = 6 * 3600.0,
        jitter: float = 0.1,
        schedule: ScheduleConfig | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.interval = interval
        self.max_concurrency = max_concurrency
        self.window = window
        self.daily_cap = daily_cap
        self.allow_private = allow_private
        self.listener: FeedEvents = listener or NullEvents()
        self.failing_after = failing_after
        self.backoff_max = backoff_max
        self.jitter = jitter
        self.clock = clock
        self.last_cycle_at: datetime | None = None  # when `poll_due` last finished (for /readyz)
        self.schedule = schedule or ScheduleConfig(interval=interval, budget=86400 / interval, jitter=jitter)
        self.planner = Planner(store, self.schedule)
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._locks: dict[int, asyncio.Lock] = {}

    # --- scheduling ------------------------------------------------------------------------------------

    async def plan_next(
        self, feed: Feed, now: datetime, fields: dict[str, Any], *, retry_after: float | None = None
    ) -> None:
        """Set `next_poll_at` and `poll_reason` in `fields` (see `bot.feeds.planner.Planner.plan`)."""
        await self.planner.plan(feed, now, fields, retry_after=retry_after)

    def relearn(self, feed_id: int) -> None:
        """Forget the feed's learned pattern: the next plan learns it again from the stored history."""
        self.planner.forget(feed_id)

    def backoff(self, failures: int, retry_after: float | None) -> float:
        """Seconds to wait after `failures` failures in a row: doubling, jittered, capped, Retry-After."""
        delay = min(self.schedule.interval * 2 ** max(0, failures - 1), self.backoff_max)
        delay *= random.uniform(1 - self.jitter, 1 + self.jitter)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return float(delay)

    async def poll_due(self, fence: Lease | None = None) -> list[PollResult]:
        """Poll every active feed whose time has come, at most `max_concurrency` at once. `fence`: the
        feed poller's lease this cycle runs under; a poll whose result would commit after the lease changed
        hands is dropped (outcome `skipped`)."""
        feeds = await self.store.feeds.due_feeds(self.clock())
        results = list(await asyncio.gather(*(self._guarded(feed, fence) for feed in feeds)))
        self.last_cycle_at = self.clock()
        return results

    async def poll_feed(self, feed_id: int, force: bool = True) -> PollResult:
        """Check one feed now (or only when due, with `force=False`)."""
        feed = await self.store.feeds.get_feed(feed_id)
        if feed is None or (not force and feed.next_poll_at and feed.next_poll_at > self.clock()):
            return PollResult(feed_id, "skipped")
        return await self._guarded(feed)

    async def preview_url(self, url: str, n: int = 5) -> ParsedFeed:
        """Fetch and parse a URL through the guard without storing anything; keeps the newest `n` items."""
        result = await self.fetcher.fetch(url)
        parsed = await asyncio.to_thread(parse_document, split_document(result.body), base_url=result.url)
        parsed.items = newest(parsed.items, n, self.clock())
        return parsed

    async def _guarded(self, feed: Feed, fence: Lease | None = None) -> PollResult:
        lock = self._locks.setdefault(feed.id, asyncio.Lock())
        contended = lock.locked()
        async with lock, self._semaphore:  # one poll per feed at a time ("check now" during a cycle)
            try:
                if contended:  # the other poll changed the feed's state: read it again
                    fresh = await self.store.feeds.get_feed(feed.id)
                    if fresh is None:
                        return PollResult(feed.id, "skipped")
                    feed = fresh
                return _counted(feed, await self._poll(feed, fence))
            except LeaseLost as exc:
                log.warning("feed %s: result dropped, %s (the new leader polls it)", feed.id, exc)
                return PollResult(feed.id, "skipped")
            except Exception:
                log.exception("polling feed %s (%s) failed unexpectedly", feed.id, feed.url)
                try:
                    return _counted(feed, await self._failed(feed, FetchError(INTERNAL_ERROR), self.clock()))
                except Exception:
                    log.exception("could not record the failure of feed %s", feed.id)
                    return _counted(feed, PollResult(feed.id, "failed", error=INTERNAL_ERROR))

    # --- one poll --------------------------------------------------------------------------------------

    async def _poll(self, feed: Feed, fence: Lease | None = None) -> PollResult:
        now = self.clock()
        started = time.perf_counter()
        try:
            result = await self.fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        except FetchError as exc:
            return await self._failed(feed, exc, now, fence)
        finally:
            METRICS.feed_fetch_seconds.labels(kind=feed.kind).observe(time.perf_counter() - started)
        fields = self._success_fields(feed, result, now)
        if result.not_modified:
            await self._check_move(feed, fields)
            await self.plan_next(feed, now, fields, retry_after=result.retry_after)
            await self.store.feeds.update_feed_fenced(feed.id, fence, **fields)
            await self._after(feed, fields, [], [])
            return PollResult(feed.id, "not_modified")
        doc = split_document(result.body)
        fields.update(head_hash=doc.head_hash, items_fingerprint=doc.fingerprint, first_fetch_done=True)
        fields.update(read_hints(doc.head or doc.body[:HINTS_BYTES]).as_fields())
        if (
            feed.first_fetch_done
            and doc.regions
            and doc.fingerprint == feed.items_fingerprint
            and doc.head_hash == feed.head_hash
        ):
            await self.plan_next(feed, now, fields, retry_after=result.retry_after)
            await self.store.feeds.update_feed_fenced(feed.id, fence, **fields)
            await self._after(feed, fields, [], [])
            return PollResult(feed.id, "unchanged")
        try:
            parsed, parsed_count, known = await self._parse(feed, doc, result.url)
        except FetchError as exc:
            return await self._failed(feed, exc, now, fence)
        if parsed is not None:
            self._channel_fields(feed, parsed, fields)
        await self._check_move(feed, fields)
        changes, _ = await decide_stored(
            self.store.feeds,
            feed,
            parsed.items if parsed else [],
            known=known,
            present_hashes=set(doc.hashes),
            now=now,
            window=self.window,
            daily_cap=self.daily_cap,
        )
        if not changes.new:
            await self.plan_next(feed, now, fields, retry_after=result.retry_after)
        inserted, edited = await self.store.feeds.save_poll(
            feed.id,
            now=now,
            feed_fields=fields,
            new=changes.new,
            changes=changes.changes,
            left_feed=changes.left_feed,
            back_in_feed=changes.back_in_feed,
            fence=fence,
        )
        if changes.new:  # plan with the new items' publication times learned (after they are stored)
            self.relearn(feed.id)
            planned = dict(fields)
            await self.plan_next(feed, now, planned, retry_after=result.retry_after)
            await self.store.feeds.update_feed(
                feed.id, next_poll_at=planned["next_poll_at"], poll_reason=planned["poll_reason"]
            )
        fresh = [item for item in inserted if item.status == "new"]
        await self._record_hub(feed, parsed, fields.get("url", feed.url))
        await self._after(feed, fields, fresh, edited)
        return PollResult(feed.id, "updated", fresh, edited, parsed_items=parsed_count)

    async def _parse(self, feed: Feed, doc: Document, url: str) -> tuple[ParsedFeed | None, int, list[Any]]:
        """Parse only what changed when the document can be cut at its items; the whole document otherwise."""
        known = await self.store.feeds.known_items(feed.id)
        if doc.regions and feed.first_fetch_done:
            stored = {k.raw_hash for k in known if k.raw_hash}
            changed = [i for i, digest in enumerate(doc.hashes) if digest not in stored]
            if not changed and doc.head_hash == feed.head_hash:
                return None, 0, known
            guid_counts = raw_guids(doc.regions)
            partial = await asyncio.to_thread(
                parse_regions, doc, changed, base_url=url, guid_counts=guid_counts
            )
            if partial is not None:
                return partial, len(changed), known
            full = await asyncio.to_thread(parse_document, doc, base_url=url, guid_counts=guid_counts)
            return full, len(full.items), known
        counts = raw_guids(doc.regions) if doc.regions else None
        full = await asyncio.to_thread(parse_document, doc, base_url=url, guid_counts=counts)
        return full, len(full.items), known

    def _success_fields(self, feed: Feed, result: FetchResult, now: datetime) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "last_fetch_at": now,
            "last_success_at": now,
            "last_error": None,
            "consecutive_failures": 0,
            "status": "ok",
            "cache_max_age": result.max_age,
            "announce_newest": 0,
        }
        if not result.not_modified or result.etag or result.last_modified:
            fields["etag"] = result.etag
            fields["last_modified"] = result.last_modified
        if result.permanent_url and result.permanent_url != feed.url:
            fields["url"] = result.permanent_url
        return fields

    def _channel_fields(self, feed: Feed, parsed: ParsedFeed, fields: dict[str, Any]) -> None:
        for column, value in (
            ("title", parsed.title),
            ("site_link", parsed.link),
            ("podcast_guid", parsed.podcast_guid),
            ("image_url", parsed.image_url),
        ):
            if value:
                fields[column] = value
        target = parsed.new_feed_url
        if target and target != feed.url and target != fields.get("url") and self._acceptable_move(target):
            fields.update(url=target, etag=None, last_modified=None, head_hash=None, items_fingerprint=None)
            fields["next_poll_at"] = self.clock()

    async def _check_move(self, feed: Feed, fields: dict[str, Any]) -> None:
        """Drop a move to a URL that another stored feed already has (it is polled on its own)."""
        target = fields.get("url")
        if target and target != feed.url:
            other = await self.store.feeds.get_feed_by_url(target)
            if other is not None and other.id != feed.id:
                log.warning("feed %s moved to %s, which feed %s already polls", feed.id, target, other.id)
                del fields["url"]

    def _acceptable_move(self, url: str) -> bool:
        try:
            _, host, _ = check_url(url)
            check_host_literal(host, allow_private=self.allow_private)
        except FetchError as exc:
            log.warning("ignoring itunes:new-feed-url %s: %s", url, exc)
            return False
        return True

    async def _record_hub(self, feed: Feed, parsed: ParsedFeed | None, url: str) -> None:
        """Remember the WebSub hub a feed declares (or that it stopped); the push subscriber acts on it."""
        if parsed is None:
            return
        try:
            if parsed.hub_url:
                topic = parsed.self_url or url
                await self.store.websub.record_hub(feed.id, parsed.hub_url, topic, self.clock())
            else:
                await self.store.websub.mark_undeclared(feed.id)
        except Exception:
            log.exception("could not record the WebSub hub of feed %s", feed.id)

    async def _failed(
        self, feed: Feed, exc: FetchError, now: datetime, fence: Lease | None = None
    ) -> PollResult:
        failures = feed.consecutive_failures + 1
        status = "failing" if failures >= self.failing_after or feed.status == "failing" else "ok"
        delay = self.backoff(failures, exc.retry_after)
        reason = f"retrying after {failures} failure{'s' if failures != 1 else ''} in a row (backoff)"
        if exc.retry_after is not None and delay <= exc.retry_after:
            reason += "; the server asked us to wait (Retry-After)"
        await self.store.feeds.update_feed_fenced(
            feed.id,
            fence,
            last_fetch_at=now,
            last_error=exc.reason,
            consecutive_failures=failures,
            next_poll_at=now + timedelta(seconds=delay),
            poll_reason=reason,
            status=status,
        )
        log.warning("feed %s (%s) failed %d time(s): %s", feed.id, feed.url, failures, exc.reason)
        if status == "failing" and feed.status != "failing":
            updated = await self.store.feeds.get_feed(feed.id) or feed
            await self._tell("on_feed_failing", self.listener.on_feed_failing(updated, exc.reason))
        return PollResult(feed.id, "failed", error=exc.reason)

    async def _after(
        self, feed: Feed, fields: dict[str, Any], fresh: list[StoredItem], edited: list[StoredItem]
    ) -> None:
        """Tell the listener, after the commit: moves, recovery, new items (oldest first), edits."""
        moved = "url" in fields and fields["url"] != feed.url
        if not (moved or fresh or edited or feed.status == "failing"):
            return  # the common case costs no extra query
        updated = await self.store.feeds.get_feed(feed.id) or feed
        if moved:
            log.info("feed %s moved from %s to %s", feed.id, feed.url, fields["url"])
            await self._tell("on_feed_moved", self.listener.on_feed_moved(updated, feed.url, fields["url"]))
        if feed.status == "failing":
            await self._tell("on_feed_recovered", self.listener.on_feed_recovered(updated))
        if fresh:
            await self._tell("on_new_items", self.listener.on_new_items(updated, fresh))
        if edited:
            await self._tell("on_edited_items", self.listener.on_edited_items(updated, edited))

    async def _tell(self, name: str, call: Any) -> None:
        try:
            await call
        except Exception:
            log.exception("the feed listener failed on %s", name)


def _counted(feed: Feed, result: PollResult) -> PollResult:
    METRICS.feed_polls.labels(kind=feed.kind, outcome=result.outcome).inc()
    return result


def newest(items: list[ParsedItem], n: int, now: datetime) -> list[ParsedItem]:
    """The newest `n` items, in announcement order (oldest of them first)."""
    ordered = sorted(items, key=lambda item: (item.published or now, -item.position))
    return ordered[-n:] if n > 0 else []
