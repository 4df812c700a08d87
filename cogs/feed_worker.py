"""The feed poller's Discord side: a `tasks.loop` that runs `FeedWorker.poll_due()` on a short tick.

Each feed keeps its own schedule (`next_poll_at`: learned from when it publishes, see
`bot.feeds.schedule`, or a backoff), so the tick only decides how soon a due feed is noticed: a sixth of
the shortest interval, at least every 5 s. Only the process holding the `feed-poller` lease polls
(`bot.feeds.leader`): each tick takes or renews it, so the tick is also at most a third of the lease,
and a clean unload releases it for another process to take over at once. Each poll commits only while
the lease still has this process and term (a cycle outliving its lease drops its result). The worker is
built once by `bot.container` and reports to the process's `FeedEventHub`: the announcer subscribes to it
for new and edited items, and posts the feed-health events (failing, recovered, moved) to the mod-log
channel of every guild following the feed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

if TYPE_CHECKING:
    from bot.client import CommunityBot
    from bot.feeds.leader import FeedLeader
    from bot.feeds.worker import FeedWorker

log = logging.getLogger(__name__)

MAX_TICK = 60.0


def tick_seconds(interval: float, lease: float | None = None) -> float:
    """How often due feeds are looked for: at most a minute, never more often than every 5 s, unless the
    leader's `lease` is shorter than 15 s: the tick renews it, so it is at most a third of the lease."""
    tick = max(5.0, min(MAX_TICK, interval))
    return tick if lease is None else min(tick, lease / 3)


class FeedWorkerCog(commands.Cog, name="FeedWorker"):
    """Runs the feed worker for the whole bot (feeds are global, one fetch per URL)."""

    def __init__(
        self,
        bot: CommunityBot,
        worker: FeedWorker,
        builtins: Callable[[], Awaitable[None]],
        leader: FeedLeader,
    ) -> None:
        self.bot = bot
        self.worker = worker
        self.builtins = builtins
        settings = bot.settings
        self.leader = leader
        lease = leader.duration
        shortest = min(settings.feed_poll_interval, settings.feed_schedule_min_interval)
        # The lease is renewed every tick: three ticks fit in it, so a slow tick does not lose it.
        self.poll_loop.change_interval(seconds=tick_seconds(shortest / 6, lease.total_seconds()))

    async def cog_load(self) -> None:
        await self.builtins()
        self.poll_loop.start()

    async def cog_unload(self) -> None:
        self.poll_loop.cancel()
        await self.leader.release()

    @tasks.loop(seconds=MAX_TICK)
    async def poll_loop(self) -> None:
        try:
            results = await self.leader.run_fenced(self.worker.poll_due)  # polls commit under the lease
        except Exception:  # an uncaught exception would stop the loop for good
            log.exception("the feed poll cycle failed; the next tick tries again")
            return
        if results:
            summary: dict[str, int] = {}
            for result in results:
                summary[result.outcome] = summary.get(result.outcome, 0) + 1
            log.info("polled %d feed(s): %s", len(results), summary)

    @poll_loop.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()


async def setup(bot: CommunityBot) -> None:
    worker = bot.services.feed_worker
    if worker is None:
        raise RuntimeError("the feed worker was not built: this process runs without feed polling")
    services = bot.services
    builtins = services.feed_directory.register_builtins
    await bot.add_cog(FeedWorkerCog(bot, worker, builtins, services.feed_leader))
