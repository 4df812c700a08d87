"""Fan-out: the servers that follow a feed are served concurrently, so one slow or failing server never
delays another.

Each server (guild) with due deliveries gets its own task, which sends that server's deliveries in order
(oldest item first, as before); at most `concurrency` servers are served at once. The delivery loop hands
due deliveries over and returns at once; a server whose task is still running (a hanging request, or
discord.py waiting out a 5xx with its own retries) is left out of the next batches, so its deliveries are
never sent twice and never hold up the rest. Rate limits stay discord.py's: every send goes through its
HTTP client, which waits on the per-route bucket (one per channel) and on the global limit from the
response headers, so concurrency never sends faster than Discord allows.

    fanout = FanOut(send_one, concurrency=8, on_idle=wake)
    fanout.start(due)           # returns at once; `busy` guilds are skipped
    await fanout.drain()        # tests: wait for the running tasks
    await fanout.close()        # shutdown: a short grace, then cancel
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.announce.models import Delivery

log = logging.getLogger(__name__)


class FanOut:
    """Per-guild send tasks, bounded by a semaphore. `send` must not raise (errors are its to record)."""

    def __init__(
        self,
        send: Callable[[Delivery], Awaitable[object]],
        *,
        concurrency: int = 8,
        on_done: Callable[[], None] | None = None,
    ) -> None:
        self._send = send
        self._semaphore = asyncio.Semaphore(max(1, concurrency))
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._on_done = on_done
        self.concurrency = max(1, concurrency)

    @property
    def busy(self) -> frozenset[int]:
        """Guilds whose deliveries are being sent now (leave them out of the next batch)."""
        return frozenset(self._tasks)

    def start(self, deliveries: Sequence[Delivery]) -> int:
        """Start one task per guild not already being served; returns how many deliveries were taken."""
        by_guild: dict[int, list[Delivery]] = {}
        for delivery in deliveries:
            if delivery.guild_id not in self._tasks:
                by_guild.setdefault(delivery.guild_id, []).append(delivery)
        for guild_id, batch in by_guild.items():
            task = asyncio.create_task(self._serve(guild_id, batch), name=f"announce-guild-{guild_id}")
            self._tasks[guild_id] = task
            task.add_done_callback(functools.partial(self._finished, guild_id))
        return sum(len(batch) for batch in by_guild.values())

    async def _serve(self, guild_id: int, batch: list[Delivery]) -> None:
        async with self._semaphore:
            for delivery in batch:
                try:
                    await self._send(delivery)
                except Exception:  # `send` records its own failures; this is a bug, kept to this guild
                    log.exception("delivery %s to guild %s failed unexpectedly", delivery.id, guild_id)

    def _finished(self, guild_id: int, task: asyncio.Task[None]) -> None:
        if self._tasks.get(guild_id) is task:
            del self._tasks[guild_id]
        if not task.cancelled() and task.exception() is not None:  # pragma: no cover (_serve catches)
            log.error("the send task of guild %s failed", guild_id, exc_info=task.exception())
        if self._on_done is not None:
            self._on_done()  # the guild's other deliveries (left out while it was busy) can go now

    async def drain(self) -> None:
        """Wait until every running send task has finished (tests, and a graceful stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def close(self, grace: float = 2.0) -> None:
        """Let running sends finish for up to `grace` seconds, then cancel the rest (the outbox keeps
        their deliveries, marked in doubt; the next run finds or resends each exactly once)."""
        tasks = list(self._tasks.values())
        if tasks and grace > 0:
            await asyncio.wait(tasks, timeout=grace)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
