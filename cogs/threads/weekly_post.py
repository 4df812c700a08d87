"""Posting the weekly "hot discussions" message: due check, public-only content, idempotent send.

A moderator can also post it at once (`post_now`, for the current ISO week, recorded like a scheduled post
so the slot does not post again that week) and see what it would say (`compose`, for the preview).

The guild's owning process posts it (only its shards' guilds are in its cache); while posting it holds the
lease `weekly:<guild id>`, so two processes that both think they own the guild never both post a week.

A post Discord refuses (channel gone, permission removed) is not retried that week; the problem is kept
for `/admin threads status` and told to the moderators through the alert outbox (the mod-log channel,
else the owner's DMs; retried if Discord has a transient error).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.announce.alerts import Alerts
from bot.errors import NO_MENTIONS, UserFacingError
from bot.threads.models import WeeklyConfig
from bot.threads.render import next_post_text, weekly_embed
from bot.threads.weekly import (
    EpisodeSource,
    PollResultsSource,
    WeeklyDigest,
    due_slot,
    next_slot,
    week_key,
    weekly_nonce,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.client import CommunityBot
    from bot.fleet.once import LeaseGate
    from bot.threads.service import ThreadsService

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WeeklyProblem:
    key: str
    text: str


NOT_SET_UP = (
    "The weekly post is not set up here: `/admin threads weekly day: hour: channel:` sets its day, hour "
    "and channel; then `/admin threads weekly-post-now` can post this week's at once."
)


def already_posted(guild_id: int, config: WeeklyConfig, now: datetime) -> str:
    """The refusal for a second post in one ISO week: where the first one is, and when the next goes out."""
    link = (
        f"https://discord.com/channels/{guild_id}/{config.channel_id}/{config.last_message_id}"
        if config.last_message_id
        else f"<#{config.channel_id}>"
    )
    return (
        f"This week's post is already out ({link}); the weekly post goes out once per week. "
        f"The next one goes out {next_post_text(slot_after_this_week(config, now))}; "
        "`/admin threads weekly-preview` shows it so far."
    )


def slot_after_this_week(config: WeeklyConfig, now: datetime) -> datetime:
    """The first scheduled slot in a later ISO week than `now` (this week's post is out)."""
    upcoming = next_slot(now, config.weekday, config.hour)
    while week_key(upcoming) == week_key(now):
        upcoming = next_slot(upcoming, config.weekday, config.hour)
    return upcoming


def publicly_visible(guild: discord.Guild, parent_id: int | None) -> bool:
    """Whether everyone in the guild can see a thread's channel (the weekly post is public)."""
    parent = guild.get_channel(parent_id) if parent_id else None
    return parent is not None and parent.permissions_for(guild.default_role).view_channel


class WeeklyPoster:
    def __init__(
        self,
        bot: CommunityBot,
        threads: ThreadsService,
        *,
        episodes: EpisodeSource | None,
        polls: PollResultsSource | None,
        alerts: Alerts,
        claim: Callable[[str], LeaseGate] | None = None,
    ) -> None:
        self.bot = bot
        self.claim = claim
        self.threads_service = threads
        self.episodes = episodes
        self.polls = polls
        self.problems: dict[int, WeeklyProblem] = {}
        self.alerts = alerts
        self._locks: dict[int, asyncio.Lock] = {}

    async def check(self, now: datetime) -> int:
        """Post every weekly message that is due at `now`; returns how many were posted."""
        try:
            configs = await self.threads_service.weekly()
        except Exception:
            log.exception("reading the weekly-post settings failed")
            return 0
        posted = 0
        for config in configs:
            try:
                posted += await self.post_if_due(config, now)
            except Exception:
                log.exception("the weekly post of guild %s failed", config.guild_id)
        return posted

    async def post_if_due(self, config: WeeklyConfig, now: datetime) -> bool:
        slot = due_slot(config, now)
        guild = self.bot.get_guild(config.guild_id)
        if slot is None or guild is None:
            return False
        key = f"{slot.isoformat()}:{config.channel_id}"
        problem = self.problems.get(guild.id)
        if problem is not None and problem.key == key:
            return False  # already refused this week: never retry a 403/404 in a loop
        return await self._post(guild, config, slot, now, key) is not None

    async def compose(self, guild: discord.Guild, end: datetime) -> WeeklyDigest:
        """The post covering the 7 days before `end`, with only threads everyone in the guild can see."""
        return await self.threads_service.compose_weekly(
            guild.id,
            end,
            episodes=self.episodes,
            polls=self.polls,
            visible=lambda thread: publicly_visible(guild, thread.parent_id),
        )

    async def config_of(self, guild: discord.Guild) -> WeeklyConfig | None:
        configs = await self.threads_service.weekly(guild.id)
        return configs[0] if configs else None

    async def post_now(self, guild: discord.Guild, now: datetime) -> discord.Message:
        """Post this ISO week's post at once (the 7 days up to `now`), recorded like a scheduled one, so
        the slot later this week does not post again. Refused when this week's post is already out."""
        config = await self.config_of(guild)
        if config is None:
            raise UserFacingError(NOT_SET_UP)
        if config.last_week == week_key(now):
            raise UserFacingError(already_posted(guild.id, config, now))
        try:
            message = await self._post(guild, config, now, now, f"now:{week_key(now)}:{config.channel_id}")
        except discord.HTTPException as exc:
            raise UserFacingError(
                f"Discord could not take the post right now ({exc.status}); nothing was posted or "
                "recorded, so `/admin threads weekly-post-now` can simply be run again."
            ) from None
        if message is not None:
            return message
        fresh = await self.config_of(guild)
        if fresh is not None and fresh.last_week == week_key(now):  # the scheduled post won the race
            raise UserFacingError(already_posted(guild.id, fresh, now))
        problem = self.problems.get(guild.id)
        reason = problem.text if problem else "Discord refused it"
        raise UserFacingError(
            f"The weekly post was not sent: {reason}. Pick a channel I can post in with "
            "`/admin threads weekly day: hour: channel:`, then run `/admin threads weekly-post-now` again."
        )

    async def _post(
        self, guild: discord.Guild, config: WeeklyConfig, end: datetime, now: datetime, key: str
    ) -> discord.Message | None:
        """Send and record the post of the week ending at `end`, once: None when it was already posted
        (by the slot or a moderator, in another task or process) or Discord refused it (kept as the
        problem). Across processes the guild's `weekly:<guild id>` lease is held while posting, so the
        post is read, sent and recorded by one process at a time."""
        async with self._locks.setdefault(guild.id, asyncio.Lock()):
            if self.claim is None:
                return await self._post_once(guild, end, now, key)
            ran = await self.claim(f"weekly:{guild.id}").run(
                lambda: self._post_once(guild, end, now, key), release=True
            )
            return ran.value if ran is not None else None

    async def _post_once(
        self, guild: discord.Guild, end: datetime, now: datetime, key: str
    ) -> discord.Message | None:
        fresh = await self.config_of(guild)
        if fresh is None or fresh.last_week == week_key(end):
            return None
        channel = guild.get_channel(fresh.channel_id)
        if not isinstance(channel, discord.TextChannel):
            await self._problem(guild, key, f"the channel <#{fresh.channel_id}> no longer exists")
            return None
        digest = await self.compose(guild, end)
        try:
            message = await channel.send(
                embed=weekly_embed(digest),
                nonce=weekly_nonce(guild.id, digest.week),
                allowed_mentions=NO_MENTIONS,
            )
        except (discord.Forbidden, discord.NotFound) as exc:
            await self._problem(
                guild, key, f"Discord refused the post in {channel.mention}: {exc.text or exc}"
            )
            return None
        self.problems.pop(guild.id, None)
        await self.threads_service.mark_weekly_posted(guild.id, digest.week, message.id, now)
        log.info("posted the weekly hot discussions of %s in guild %s", digest.week, guild.id)
        return message

    async def _problem(self, guild: discord.Guild, key: str, text: str) -> None:
        self.problems[guild.id] = WeeklyProblem(key, text)
        log.warning("weekly post of guild %s not sent (not retried this week): %s", guild.id, text)
        # Through the alert outbox: a 5xx from the mod-log is retried, not lost (see bot.announce.alerts).
        await self.alerts.notify(
            guild.id,
            f"⚠️ The weekly hot-discussions post was not sent: {text}. Fix it with `/admin threads weekly` "
            "(then `/admin threads weekly-post-now` posts it); it is not retried this week.",
        )
