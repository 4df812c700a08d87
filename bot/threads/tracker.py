"""`ThreadTracker`: message events counted in memory, written in one transaction per flush.

A busy server sends many message events; writing each one would cost a commit per message. The tracker
keeps, per thread, the message count, the set of authors, the first and last message time and messages per
hour since the last flush, and `flush()` writes them all in ONE transaction (counter updates, `INSERT OR
IGNORE` of (thread, user) pairs so unique participants stay exact, hourly buckets). The cog flushes every
`tracker_flush_interval` seconds and on unload (a clean shutdown loses nothing; a crash loses at most the
events of the last interval). If a flush fails, its batch is put back and retried with the next one.

Which threads are tracked is also kept in memory, set synchronously before any write, so a message that
arrives right after `THREAD_CREATE` is already counted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.metrics import METRICS
from bot.threads.models import FlushResult, ThreadDelta, ThreadSource, ThreadStatus

if TYPE_CHECKING:
    from bot.events import ThreadOpened
    from bot.store.threads import ThreadRepo

log = logging.getLogger(__name__)


@dataclass(slots=True)
class TrackerStats:
    """Totals since start: events counted, flushes and the SQL they ran (for `/admin threads status`)."""

    events: int = 0
    ignored: int = 0
    flushes: int = 0
    transactions: int = 0
    statements: int = 0
    failed_flushes: int = 0


class ThreadTracker:
    """Counts activity of tracked threads. Public API used by other capabilities:

    - `await track_thread(thread_id, guild_id, parent_id, name=..., created_at=..., item_id=..., tags=...)`
      right after creating an episode thread (announcements);
    - `record_message(thread_id, author_id, at)` for every counted message (cheap, synchronous);
    - `await flush()` to write what was counted.
    """

    def __init__(self, repo: ThreadRepo) -> None:
        self.repo = repo
        self.stats = TrackerStats()
        self._tracked: dict[int, int] = {}
        self._parents: set[tuple[int, int]] = set()
        self._pending: dict[int, ThreadDelta] = {}
        self._flush_lock = asyncio.Lock()

    async def load(self) -> None:
        """Read which threads and channels are tracked (once, at start-up)."""
        self._tracked = await self.repo.tracked_ids()
        self._parents = {(p.guild_id, p.channel_id) for p in await self.repo.parents()}
        log.info("tracking %d threads and %d channels", len(self._tracked), len(self._parents))

    # What is tracked -----------------------------------------------------------------------------------

    def is_tracked(self, thread_id: int) -> bool:
        return thread_id in self._tracked

    def parent_tracked(self, guild_id: int, parent_id: int | None) -> bool:
        return parent_id is not None and (guild_id, parent_id) in self._parents

    def tracked_in(self, guild_id: int) -> int:
        """How many live threads this guild has tracked."""
        return sum(1 for guild in self._tracked.values() if guild == guild_id)

    async def track_thread(
        self,
        thread_id: int,
        guild_id: int,
        parent_id: int | None,
        *,
        name: str,
        created_at: datetime,
        item_id: int | None = None,
        tags: Iterable[str] = (),
        source: ThreadSource | None = None,
        archived: bool = False,
        locked: bool = False,
    ) -> bool:
        """Track a thread (idempotent). `item_id` links it to its episode; returns True when it is new.

        `source` defaults to "episode" with an `item_id` and to "channel" otherwise.
        """
        self._tracked[thread_id] = guild_id
        try:
            return await self.repo.track(
                thread_id=thread_id,
                guild_id=guild_id,
                parent_id=parent_id,
                name=name,
                created_at=created_at,
                source=source or ("episode" if item_id is not None else "channel"),
                item_id=item_id,
                tags=tuple(tags),
                archived=archived,
                locked=locked,
            )
        except BaseException:
            self._tracked.pop(thread_id, None)
            raise

    async def on_thread_opened(self, event: ThreadOpened) -> None:
        """An episode's discussion thread was just opened: count its messages from now on. The pipeline's
        own tracking step (idempotent) still runs after it and records that the thread is tracked."""
        await self.track_thread(
            event.thread_id,
            event.guild_id,
            event.parent_id,
            name=event.name,
            created_at=event.opened_at,
            item_id=event.item_id,
            tags=event.tags,
        )

    async def untrack_thread(self, guild_id: int, thread_id: int) -> bool:
        """Stop tracking a thread and forget its counters; True if it was tracked in this guild."""
        if self._tracked.get(thread_id) == guild_id:
            self._tracked.pop(thread_id, None)
            self._pending.pop(thread_id, None)
        return await self.repo.untrack(guild_id, thread_id)

    async def track_parent(self, guild_id: int, channel_id: int, added_by: int | None) -> bool:
        """Track every thread created from now on in a channel or forum; True if it was not tracked."""
        self._parents.add((guild_id, channel_id))
        return await self.repo.track_parent(guild_id, channel_id, added_by)

    async def untrack_parent(self, guild_id: int, channel_id: int) -> tuple[bool, int]:
        """Stop tracking a channel and its channel-tracked threads; returns (was tracked, threads dropped)."""
        self._parents.discard((guild_id, channel_id))
        was_tracked, thread_ids = await self.repo.untrack_parent(guild_id, channel_id)
        for thread_id in thread_ids:
            self._tracked.pop(thread_id, None)
            self._pending.pop(thread_id, None)
        return was_tracked, len(thread_ids)

    # Events --------------------------------------------------------------------------------------------

    def record_message(self, thread_id: int, author_id: int, at: datetime) -> bool:
        """Count one message in a tracked thread (memory only); False when the thread is not tracked."""
        if thread_id not in self._tracked:
            self.stats.ignored += 1
            return False
        delta = self._pending.get(thread_id)
        if delta is None:
            delta = self._pending[thread_id] = ThreadDelta()
        delta.add(author_id, at)
        self.stats.events += 1
        METRICS.thread_events.labels(event="message").inc()
        return True

    async def update_status(self, thread_id: int, status: ThreadStatus) -> bool:
        """Apply a thread update from Discord (archived, locked, name, tags); True if tracked."""
        if thread_id not in self._tracked:
            return False
        return await self.repo.update_status(thread_id, status)

    async def thread_deleted(self, thread_id: int) -> bool:
        """The thread was deleted on Discord: stop counting it and drop its participants."""
        self._tracked.pop(thread_id, None)
        self._pending.pop(thread_id, None)
        return await self.repo.mark_deleted(thread_id)

    # Writing -------------------------------------------------------------------------------------------

    @property
    def pending_events(self) -> int:
        """Messages counted in memory and not yet written."""
        return sum(delta.messages for delta in self._pending.values())

    async def flush(self) -> FlushResult:
        """Write everything counted so far in one transaction; on failure the batch is kept for later."""
        async with self._flush_lock:
            if not self._pending:
                return FlushResult()
            batch, self._pending = self._pending, {}
            try:
                result = await self.repo.apply_flush(batch)
            except BaseException:
                self.stats.failed_flushes += 1
                METRICS.thread_events.labels(event="failed_flush").inc()
                for thread_id, delta in batch.items():
                    if thread_id not in self._tracked:
                        continue
                    current = self._pending.get(thread_id)
                    if current is None:
                        self._pending[thread_id] = delta
                    else:
                        delta.merge(current)
                        self._pending[thread_id] = delta
                raise
            self.stats.flushes += 1
            METRICS.thread_events.labels(event="flush").inc()
            self.stats.transactions += result.transactions
            self.stats.statements += result.statements
            log.debug("flushed %d events of %d threads", result.events, result.threads)
            return result
