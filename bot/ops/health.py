"""What `/readyz` checks and what `/metrics` reads at scrape time.

Readiness: the Discord gateway is connected, the database answers, and the feed worker finished a cycle
recently. Each problem is one short line that names no guild, channel, feed or secret.
"""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.feeds.worker import FeedWorker
from bot.metrics import METRICS
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from bot.client import CommunityBot

log = logging.getLogger(__name__)

#: The feed worker ticks at least once a minute; a cycle older than this means it is stuck or stopped.
CYCLE_STALE_AFTER = timedelta(minutes=5)
DB_TIMEOUT = 2.0


def gateway_connected(bot: CommunityBot) -> bool:
    """Whether the bot is logged in to the gateway with an open websocket."""
    ws = bot.ws
    return bool(bot.is_ready() and not bot.is_closed() and ws is not None and ws.open)


def feed_worker(bot: CommunityBot) -> FeedWorker | None:
    """The running feed worker (held by the feeds capability's cog), if any."""
    for cog in bot.cogs.values():
        worker = getattr(cog, "worker", None)
        if isinstance(worker, FeedWorker):
            return worker
    return None


async def readiness_problems(bot: CommunityBot) -> list[str]:
    """Why the bot is not ready to serve (empty when it is)."""
    problems: list[str] = []
    if not gateway_connected(bot):
        problems.append("the Discord gateway is not connected")
    try:
        async with asyncio.timeout(DB_TIMEOUT):
            if not await bot.store.ops.ping():
                problems.append("the database gave a wrong answer")
    except Exception as exc:
        log.warning("readiness: the database did not answer: %r", exc)
        problems.append("the database is not reachable")
    worker = feed_worker(bot)
    if worker is None:
        problems.append("the feed worker is not running")
    elif worker.last_cycle_at is None:
        problems.append("the feed worker has not finished a cycle yet")
    else:
        age = utcnow() - worker.last_cycle_at
        if age > CYCLE_STALE_AFTER:
            problems.append(f"the feed worker's last cycle finished {int(age.total_seconds())} s ago")
    return problems


async def refresh_gauges(bot: CommunityBot) -> None:
    """Set the state gauges from the client and the store, just before a scrape."""
    latency = bot.latency
    METRICS.gateway_latency_seconds.set(latency if math.isfinite(latency) else math.nan)
    METRICS.gateway_connected.set(1 if gateway_connected(bot) else 0)
    try:
        async with asyncio.timeout(DB_TIMEOUT):
            for stage, count in (await bot.store.ops.outbox_depth()).items():
                METRICS.outbox_depth.labels(stage=stage).set(count)
            for status, count in (await bot.store.ops.feed_health()).items():
                METRICS.feeds.labels(status=status).set(count)
            states = await bot.store.websub.count_by_state()
            for state in ("new", "pending", "active", "unsubscribing", "inactive"):
                METRICS.websub_subscriptions.labels(state=state).set(states.get(state, 0))
    except Exception as exc:
        log.warning("metrics: could not read the store: %r", exc)
