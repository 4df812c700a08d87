"""`/admin status`: one report of everything a moderator needs to see that the bot is healthy here.

Gathered from every capability's repository (feeds, the announcement outbox, LLM usage, thread tracking)
and the bot's own permissions, for one guild only; rendered as one embed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.announce.models import OPEN_STATES, ChannelKind, DeliveryState
from bot.console.fleet_status import fleet_field, single_process, single_process_note, unserved_shards
from bot.console.permissions import PermissionReport, channel_uses, check_guild
from bot.feeds.leader import LEASE_NAME as FEED_LEASE
from bot.render.text import defang_mentions, truncate
from bot.timeutil import discord_timestamp, utcnow

if TYPE_CHECKING:
    from bot.client import CommunityBot
    from bot.fleet.registry import FleetView
    from bot.store.alerts import Alert

log = logging.getLogger(__name__)

EMBED_COLOUR = discord.Colour(0x5B5BD6)
ALERT_COLOUR = discord.Colour(0xD9534F)
RECENT_DELIVERIES = 50


@dataclass(frozen=True, slots=True)
class FeedHealth:
    title: str
    channel_id: int
    paused: bool
    pause_reason: str | None
    failing: bool
    last_success_at: datetime | None
    last_error: str | None
    next_poll_at: datetime | None
    failures: int
    waiting: int
    push_until: datetime | None = None  # WebSub push is active for this feed until then
    poll_reason: str | None = None


@dataclass(slots=True)
class StatusReport:
    version: str
    started_at: datetime
    latency_ms: float | None
    mod_log_channel_id: int | None
    feeds: list[FeedHealth] = field(default_factory=list)
    open_deliveries: int = 0
    failed_deliveries: int = 0
    in_doubt: int = 0
    next_due_at: datetime | None = None
    llm_configured: bool = False
    llm_model: str = ""
    tokens_today: int = 0
    token_budget: int = 0
    requests_today: int = 0
    fallbacks_today: int = 0
    threads_active: int = 0
    threads_archived: int = 0
    tracked_channels: int = 0
    weekly_channel_id: int | None = None
    permissions: PermissionReport = field(default_factory=PermissionReport)
    undelivered_alerts: list[Alert] = field(default_factory=list)
    fleet: FleetView | None = None  # None when the registry could not be read

    @property
    def healthy(self) -> bool:
        return (
            self.permissions.ok
            and not self.failed_deliveries
            and not self.undelivered_alerts
            and not any(f.failing or f.paused for f in self.feeds)
            and (self.token_budget == 0 or self.tokens_today < self.token_budget)
            and not (self.fleet is not None and unserved_shards(self.fleet.processes))
        )


async def gather(bot: CommunityBot, guild: discord.Guild) -> StatusReport:
    """Read this guild's state from every repository; each part is isolated so one failure shows as such."""
    store = bot.store
    latency = bot.latency * 1000 if bot.latency == bot.latency and bot.latency != float("inf") else None
    settings = await store.guilds.get(guild.id)
    report = StatusReport(
        version=bot.version,
        started_at=bot.started_at,
        latency_ms=latency,
        mod_log_channel_id=settings.mod_log_channel_id,
    )
    subscriptions = await store.announcements.list_subscriptions(guild.id)
    for sub in subscriptions:
        feed = await store.feeds.get_feed(sub.feed_id)
        report.feeds.append(
            FeedHealth(
                title=feed.display_name if feed else f"feed {sub.feed_id}",
                channel_id=sub.channel_id,
                paused=sub.paused,
                pause_reason=sub.pause_reason,
                failing=bool(feed and feed.status == "failing"),
                last_success_at=feed.last_success_at if feed else None,
                last_error=feed.last_error if feed else None,
                next_poll_at=feed.next_poll_at if feed else None,
                failures=feed.consecutive_failures if feed else 0,
                waiting=await store.announcements.waiting_count(guild.id, sub.feed_id),
                push_until=await _push_until(bot, sub.feed_id),
                poll_reason=feed.poll_reason if feed else None,
            )
        )
    recent = await store.announcements.recent_deliveries(guild.id, RECENT_DELIVERIES)
    report.open_deliveries = sum(1 for d in recent if d.state in OPEN_STATES)
    report.failed_deliveries = sum(1 for d in recent if d.state is DeliveryState.FAILED)
    report.in_doubt = sum(1 for d in recent if d.in_doubt)
    report.next_due_at = await store.announcements.next_due_at()

    usage = await store.digests.usage_today()
    report.llm_configured = bot.llm is not None
    report.llm_model = bot.settings.openai_model
    report.tokens_today = usage.total
    report.token_budget = bot.settings.llm_daily_token_budget
    report.requests_today = usage.requests
    report.fallbacks_today = usage.fallbacks

    threads = await store.threads.in_guild(guild.id)
    report.threads_active = sum(1 for t in threads if str(t.state) == "active")
    report.threads_archived = sum(1 for t in threads if str(t.state) == "archived")
    parents = await store.threads.parents(guild.id)
    report.tracked_channels = len(parents)
    weekly = await store.threads.weekly(guild.id)
    report.weekly_channel_id = weekly[0].channel_id if weekly else None

    uses = channel_uses(
        announce={s.channel_id: s.channel_kind is ChannelKind.FORUM for s in subscriptions},
        modlog=settings.mod_log_channel_id,
        threads={p.channel_id for p in parents}
        | ({report.weekly_channel_id} if report.weekly_channel_id else set()),
    )
    roles = [s.ping_role_id for s in subscriptions if s.ping_role_id]
    report.permissions = check_guild(guild, uses, roles)
    report.undelivered_alerts = await store.alerts.undelivered(guild.id)
    try:
        report.fleet = await bot.services.fleet.view(feed_lease=FEED_LEASE)
    except Exception:
        log.exception("/admin status: could not read the fleet registry")
    return report


def _alert_line(alert: Alert) -> str:
    text = truncate(defang_mentions(" ".join(alert.text.split())), 160)
    if alert.state == "failed":
        return f"❗ not delivered ({truncate(alert.last_error or 'refused', 200)}): {text}"
    retry = f", retried {_when(alert.next_attempt_at)}" if alert.next_attempt_at else ""
    return f"⏳ waiting ({truncate(alert.last_error or 'not sent yet', 120)}{retry}): {text}"


async def _push_until(bot: CommunityBot, feed_id: int) -> datetime | None:
    """When the feed's WebSub lease runs out, while push is on and verified for it."""
    if not bot.settings.websub_enabled:
        return None
    push = await bot.store.websub.get(feed_id)
    if push is None or push.state != "active" or push.lease_expires_at is None:
        return None
    return push.lease_expires_at if push.lease_expires_at > utcnow() else None


def _when(moment: datetime | None, empty: str = "never") -> str:
    return discord_timestamp(moment, "R") if moment else empty


def _feed_line(feed: FeedHealth) -> str:
    head = f"**{truncate(defang_mentions(feed.title), 80)}** → <#{feed.channel_id}>"
    parts = [
        f"last success {_when(feed.last_success_at)}",
        f"next poll {_when(feed.next_poll_at, 'not scheduled')}"
        + (f" ({truncate(feed.poll_reason, 110)})" if feed.poll_reason and feed.next_poll_at else ""),
    ]
    if feed.push_until:
        parts.append(f"⚡ push (WebSub) until {_when(feed.push_until)}")
    if feed.failures:
        parts.append(f"{feed.failures} failure{'s' if feed.failures != 1 else ''} in a row")
    if feed.last_error:
        parts.append(f"last error: {truncate(defang_mentions(feed.last_error), 120)}")
    if feed.paused:
        parts.append(f"⏸️ paused ({truncate(feed.pause_reason or 'by a moderator', 80)})")
    if feed.waiting:
        parts.append(f"{feed.waiting} waiting")
    icon = "❗" if feed.failing else ("⏸️" if feed.paused else "✅")
    return f"{icon} {head}\n   " + " · ".join(parts)


def _chunks(lines: list[str], limit: int = 1024) -> list[str]:
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = truncate(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def status_embed(report: StatusReport) -> discord.Embed:
    """The whole report as one embed (fields split at Discord's limits)."""
    embed = discord.Embed(
        title="Bot status" + (" — all good" if report.healthy else " — needs attention"),
        colour=EMBED_COLOUR if report.healthy else ALERT_COLOUR,
        timestamp=utcnow(),
    )
    feed_lines = [_feed_line(f) for f in report.feeds] or [
        "No feed followed here yet: `/admin setup` or `/admin feed channel`."
    ]
    for number, chunk in enumerate(_chunks(feed_lines)[:4]):
        embed.add_field(name="Feeds" if number == 0 else "Feeds (continued)", value=chunk, inline=False)
    outbox = [
        f"{report.open_deliveries} on the way, {report.failed_deliveries} failed (last {RECENT_DELIVERIES})",
    ]
    if report.in_doubt:
        outbox.append(f"{report.in_doubt} in doubt (being checked against the channel)")
    if report.next_due_at:
        outbox.append(f"next attempt {_when(report.next_due_at)}")
    embed.add_field(name="Announcement outbox", value="\n".join(outbox), inline=False)
    if report.llm_configured:
        budget = (
            f" of {report.token_budget:,}" if report.token_budget else " (budget 0: the LLM is never called)"
        )
        llm = f"{report.llm_model}: {report.tokens_today:,} tokens today{budget}"
        llm += f", {report.requests_today} requests"
        if report.token_budget and report.tokens_today >= report.token_budget:
            llm += "\n❗ Budget used up: digests use the offline summarizer until midnight UTC."
    else:
        llm = "No LLM configured: digests use the offline summarizer."
    if report.fallbacks_today:
        llm += f"\n{report.fallbacks_today} fell back to the offline summarizer today."
    embed.add_field(name="Digests (LLM usage)", value=llm, inline=False)
    threads = (
        f"{report.threads_active} active, {report.threads_archived} archived tracked threads; "
        f"{report.tracked_channels} tracked channel{'s' if report.tracked_channels != 1 else ''}"
    )
    if report.weekly_channel_id:
        threads += f"; weekly digest in <#{report.weekly_channel_id}>"
    embed.add_field(name="Thread tracking", value=threads, inline=False)
    if report.undelivered_alerts:
        lines = [_alert_line(alert) for alert in report.undelivered_alerts]
        embed.add_field(name="Alerts to moderators", value=_chunks(lines)[0], inline=False)
    perm_lines = report.permissions.lines() or ["No channel configured yet."]
    if report.mod_log_channel_id is None:
        perm_lines.append(
            "ℹ️ No mod-log channel: alerts go to the server owner by DM (`/admin setup mod_log:`)."
        )
    for number, chunk in enumerate(_chunks(perm_lines)[:3]):
        embed.add_field(
            name="My permissions" if number == 0 else "My permissions (continued)", value=chunk, inline=False
        )
    latency = f", gateway latency {report.latency_ms:.0f} ms" if report.latency_ms is not None else ""
    bot_line = f"version {report.version}, up since {_when(report.started_at)}{latency}"
    if report.fleet is not None and single_process(report.fleet):
        bot_line += "\n" + single_process_note(report.fleet)
    embed.add_field(name="Bot", value=bot_line, inline=False)
    if report.fleet is not None and not single_process(report.fleet):
        fleet = fleet_field(report.fleet)
        embed.add_field(name=fleet.name, value=fleet.value, inline=False)
    return embed
