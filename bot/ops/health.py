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

import discord

from bot.metrics import METRICS
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from bot.client import CommunityBot
    from bot.feeds.worker import FeedWorker
    from bot.store import Store

log = logging.getLogger(__name__)

#: The feed worker ticks at least once a minute; a cycle older than this means it is stuck or stopped.
CYCLE_STALE_AFTER = timedelta(minutes=5)
DB_TIMEOUT = 2.0


def gateway_connected(client: discord.Client) -> bool:
    """Whether the bot is logged in to the gateway with an open websocket (every shard's, when sharded)."""
    if not client.is_ready() or client.is_closed():
        return False
    if isinstance(client, discord.AutoShardedClient):
        shards = list(client.shards.values())
        return bool(shards) and not any(shard.is_closed() for shard in shards)
    ws = client.ws
    return bool(ws is not None and ws.open)


def feed_worker(bot: CommunityBot) -> FeedWorker | None:
    """The bot's feed worker, when this process polls feeds."""
    return bot.services.feed_worker


async def readiness_problems(client: discord.Client, store: Store, worker: FeedWorker | None) -> list[str]:
    """Why the bot is not ready to serve (empty when it is)."""
    problems: list[str] = []
    if not gateway_connected(client):
        problems.append("the Discord gateway is not connected")
    try:
        async with asyncio.timeout(DB_TIMEOUT):
            if not await store.ops.ping():
                problems.append("the database gave a wrong answer")
    except Exception as exc:
        log.warning("readiness: the database did not answer: %r", exc)
        problems.append("the database is not reachable")
    if worker is None:
        problems.append("the feed worker is not running")
    elif worker.last_cycle_at is None:
        problems.append("the feed worker has not finished a cycle yet")
    else:
        age = utcnow() - worker.last_cycle_at
        if age > CYCLE_STALE_AFTER:
            problems.append(f"the feed worker's last cycle finished {int(age.total_seconds())} s ago")
    return problems


async def refresh_gauges(client: discord.Client, store: Store) -> None:
    """Set the state gauges from the client and the store, just before a scrape."""
    latency = client.latency
    METRICS.gateway_latency_seconds.set(latency if math.isfinite(latency) else math.nan)
    METRICS.gateway_connected.set(1 if gateway_connected(client) else 0)
    try:
        async with asyncio.timeout(DB_TIMEOUT):
            for stage, count in (await store.ops.outbox_depth()).items():
                METRICS.outbox_depth.labels(stage=stage).set(count)
            for status, count in (await store.ops.feed_health()).items():
                METRICS.feeds.labels(status=status).set(count)
            states = await store.websub.count_by_state()
            for state in ("new", "pending", "active", "unsubscribing", "inactive"):
                METRICS.websub_subscriptions.labels(state=state).set(states.get(state, 0))
    except Exception as exc:
        log.warning("metrics: could not read the store: %r", exc)
