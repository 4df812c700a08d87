"""Posting the weekly "hot discussions" message: due check, public-only content, idempotent send.

A post Discord refuses (channel gone, permission removed) is not retried that week; the problem is kept
for `/admin threads status` and told to the moderators in the mod-log channel when one is set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.errors import NO_MENTIONS
from bot.threads.models import WeeklyConfig
from bot.threads.render import weekly_embed
from bot.threads.sources import PollResults
from bot.threads.weekly import EpisodeSource, PollResultsSource, build_weekly, due_slot, weekly_nonce

if TYPE_CHECKING:
    from bot.client import CommunityBot

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WeeklyProblem:
    key: str
    text: str


def publicly_visible(guild: discord.Guild, parent_id: int | None) -> bool:
    """Whether everyone in the guild can see a thread's channel (the weekly post is public)."""
    parent = guild.get_channel(parent_id) if parent_id else None
    return parent is not None and parent.permissions_for(guild.default_role).view_channel


class WeeklyPoster:
    def __init__(
        self, bot: CommunityBot, *, episodes: EpisodeSource | None, polls: PollResultsSource | None
    ) -> None:
        self.bot = bot
        self.episodes = episodes
        self.polls = polls
        self.problems: dict[int, WeeklyProblem] = {}

    def poll_results(self) -> PollResultsSource | None:
        """The polls capability's results, when its cog is loaded (looked up late: load order is free)."""
        if self.polls is not None:
            return self.polls
        service = getattr(self.bot.get_cog("Polls"), "service", None)
        return PollResults(service) if service is not None else None

    async def check(self, now: datetime) -> int:
        """Post every weekly message that is due at `now`; returns how many were posted."""
        try:
            configs = await self.bot.store.threads.weekly()
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
        channel = guild.get_channel(config.channel_id)
        if not isinstance(channel, discord.TextChannel):
            await self._problem(guild, key, f"the channel <#{config.channel_id}> no longer exists")
            return False
        digest = await build_weekly(
            self.bot.store.threads,
            guild.id,
            slot,
            episodes=self.episodes,
            polls=self.poll_results(),
            visible=lambda thread: publicly_visible(guild, thread.parent_id),
        )
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
            return False
        self.problems.pop(guild.id, None)
        await self.bot.store.threads.mark_weekly_posted(guild.id, digest.week, message.id, now)
        log.info("posted the weekly hot discussions of %s in guild %s", digest.week, guild.id)
        return True

    async def _problem(self, guild: discord.Guild, key: str, text: str) -> None:
        self.problems[guild.id] = WeeklyProblem(key, text)
        log.warning("weekly post of guild %s not sent (not retried this week): %s", guild.id, text)
        settings = await self.bot.store.guilds.get(guild.id)
        channel = guild.get_channel(settings.mod_log_channel_id) if settings.mod_log_channel_id else None
        if isinstance(channel, discord.TextChannel):
            try:
                await channel.send(
                    f"⚠️ The weekly hot-discussions post was not sent: {text}. "
                    "Fix it with `/admin threads weekly`; it is not retried this week.",
                    allowed_mentions=NO_MENTIONS,
                )
            except discord.HTTPException as exc:
                log.warning("could not tell the moderators of guild %s: %s", guild.id, exc)
