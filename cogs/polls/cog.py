"""`/poll …`: create, close and read community polls; mirror native votes; close polls on schedule."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.errors import NO_MENTIONS, UserFacingError
from bot.interactions import guild_id_of
from bot.polls import charts, publish, render
from bot.polls.closing import PollCloser
from bot.polls.models import PollMode
from bot.polls.service import PollService
from bot.polls.spec import build_spec, parse_indices, split_answers
from bot.timeutil import discord_timestamp
from cogs._options import OpenPoll, PollId
from cogs.polls.views import DYNAMIC_ITEMS

if TYPE_CHECKING:
    from bot.client import CommunityBot

log = logging.getLogger(__name__)

CHECK_INTERVAL_SECONDS = 30.0  # how often due polls are closed (the first pass runs once ready)
MIRROR_RETRY_DELAYS = (0.1, 0.2, 0.4, 0.8)  # seconds; for a vote that beats the record of its poll
#: How long `/poll results` waits for votes still being mirrored (the retries above, plus the write).
OpenPollOption = app_commands.Transform[int, OpenPoll]
PollIdOption = app_commands.Transform[int, PollId]
SETTLE_SECONDS = 2.0
moderator_only = app_commands.checks.has_permissions(manage_guild=True)


def _jump(guild_id: int, channel_id: int, message_id: int | None) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


class Polls(commands.Cog):
    """Open-versus-closed community polls."""

    poll = app_commands.Group(
        name="poll", description="Community polls: open versus closed AI, and more.", guild_only=True
    )

    def __init__(self, bot: CommunityBot, service: PollService, closer: PollCloser) -> None:
        self.bot = bot
        self.service = service
        self.closer = closer
        # Native votes being mirrored right now: `/poll results` waits for them, so a member who just
        # voted sees their own vote in the next answer (the vote event reaches the bot before the command).
        self._mirroring = 0
        self._mirrored = asyncio.Event()
        self._mirrored.set()

    async def cog_load(self) -> None:
        await self.service.check_key()
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self.close_due.start()

    async def cog_unload(self) -> None:
        self.close_due.cancel()
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    # -- schedule -------------------------------------------------------------------------------------

    @tasks.loop(seconds=CHECK_INTERVAL_SECONDS)
    async def close_due(self) -> None:
        try:
            await self.closer.run_due()
        except Exception:
            log.exception("poll scheduler pass failed; retrying on the next pass")

    @close_due.before_loop
    async def _before_close_due(self) -> None:
        await self.bot.wait_until_ready()

    # -- events ---------------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_poll_vote_add(self, payload: discord.RawPollVoteActionEvent) -> None:
        await self._mirror(payload, added=True)

    @commands.Cog.listener()
    async def on_raw_poll_vote_remove(self, payload: discord.RawPollVoteActionEvent) -> None:
        await self._mirror(payload, added=False)

    async def _mirror(self, payload: discord.RawPollVoteActionEvent, *, added: bool) -> None:
        self._mirroring += 1  # counted before the first await: a later command already sees it
        self._mirrored.clear()
        try:
            await self._mirror_vote(payload, added=added)
        finally:
            self._mirroring -= 1
            if not self._mirroring:
                self._mirrored.set()

    async def votes_settled(self) -> bool:
        """Wait (at most `SETTLE_SECONDS`) until every native vote received so far is in the store."""
        if not self._mirroring:
            return True
        try:
            async with asyncio.timeout(SETTLE_SECONDS):
                await self._mirrored.wait()
        except TimeoutError:
            log.warning(
                "votes still being mirrored after %ss; answering with the tally so far", SETTLE_SECONDS
            )
            return False
        return True

    async def _mirror_vote(self, payload: discord.RawPollVoteActionEvent, *, added: bool) -> None:
        # A vote can arrive before the bot has recorded the message id of a poll it just posted (the
        # gateway event races the REST answer), so an unknown poll is looked up again a few times.
        for delay in (*MIRROR_RETRY_DELAYS, None):
            try:
                if await self.service.mirror_native_vote(
                    message_id=payload.message_id,
                    user_id=payload.user_id,
                    answer_id=payload.answer_id,
                    added=added,
                ):
                    return
            except Exception:
                log.exception("could not mirror a native poll vote on message %s", payload.message_id)
                return
            if delay is not None:
                await asyncio.sleep(delay)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        if payload.message.poll is None:
            return
        try:
            await self.closer.on_native_update(payload.message)
        except Exception:
            log.exception("could not record the final counts of the poll on message %s", payload.message_id)

    # -- commands -------------------------------------------------------------------------------------

    @poll.command(
        name="create", description="Moderators: start a poll in this channel (native or anonymous)."
    )
    @app_commands.describe(
        question="The question (at most 300 characters)",
        answers="2 to 10 answers separated by | (each at most 55 characters)",
        duration_hours="How long the poll stays open, in hours (1 to 768, i.e. 32 days)",
        multiple="Let members pick more than one answer",
        mode="native: a Discord poll; anonymous: buttons, hidden tallies (default: the server setting)",
        open_answers="Numbers of the answers that count as 'open' for the trend, e.g. 1",
        closed_answers="Numbers of the answers that count as 'closed' for the trend, e.g. 2",
    )
    @moderator_only
    async def create(
        self,
        interaction: discord.Interaction,
        question: str,
        answers: str,
        duration_hours: app_commands.Range[int, 1, 768] | None = None,
        multiple: bool = False,
        mode: Literal["native", "anonymous"] | None = None,
        open_answers: str | None = None,
        closed_answers: str | None = None,
    ) -> None:
        guild_id = guild_id_of(interaction)
        if interaction.channel is None or interaction.channel_id is None:
            raise UserFacingError("I can't post in this channel.")
        settings = await self.service.settings(guild_id)
        choices = split_answers(answers)
        spec = build_spec(
            question=question,
            answers=choices,
            duration_hours=duration_hours or settings.duration_hours,
            multiple=multiple,
            mode=PollMode(mode) if mode else settings.mode,
            open_answers=parse_indices(open_answers, len(choices), "open_answers"),
            closed_answers=parse_indices(closed_answers, len(choices), "closed_answers"),
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert self.bot.user is not None  # noqa: S101  (commands only run once connected)
        try:
            poll = await self.service.create_poll(
                guild_id=guild_id,
                channel=interaction.channel,  # type: ignore[arg-type]
                channel_id=interaction.channel_id,
                spec=spec,
                bot_id=self.bot.user.id,
                created_by=interaction.user.id,
            )
        except discord.HTTPException as exc:  # 5xx: Discord's side; 4xx arrive as PollError
            raise UserFacingError(
                f"Discord had a problem ({exc.status}) and the poll was not posted. Try again in a minute."
            ) from exc
        await interaction.followup.send(
            f"Poll #{poll.id} is up ({poll.mode.value}): {_jump(guild_id, poll.channel_id, poll.message_id)}"
            f" · it closes {discord_timestamp(poll.closes_at, 'R')}.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @poll.command(name="close", description="Moderators: end a poll now and post its results.")
    @app_commands.describe(poll="The open poll to end (pick from the list)")
    @moderator_only
    async def close(self, interaction: discord.Interaction, poll: OpenPollOption) -> None:
        guild_id = guild_id_of(interaction)
        found = await self.service.get(poll, guild_id=guild_id)
        if found is None:
            raise UserFacingError(f"There is no poll #{poll} in this server.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        closed = await self.closer.close(found)
        where = _jump(guild_id, closed.channel_id, closed.results_message_id or closed.message_id)
        await interaction.followup.send(
            f"Poll #{closed.id} is closed; the results are posted: {where}",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @poll.command(
        name="results", description="Show a poll's results with a chart (default: the latest closed)."
    )
    @app_commands.describe(poll="The poll (pick from the list); leave empty for the latest closed poll")
    async def results(self, interaction: discord.Interaction, poll: PollIdOption | None = None) -> None:
        guild_id = guild_id_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.votes_settled()  # a vote made just before asking is counted in this answer
        tally = await self.service.results_for(guild_id, poll)
        embed, file = await publish.results_payload(tally)
        if file is None:
            await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.followup.send(
                embed=embed, file=file, ephemeral=True, allowed_mentions=NO_MENTIONS
            )

    @poll.command(name="trend", description="Open versus closed sentiment across episodes, as a chart.")
    async def trend(self, interaction: discord.Interaction) -> None:
        guild_id = guild_id_of(interaction)
        points = await self.service.trend(guild_id)
        if not points:
            raise UserFacingError(
                "No closed poll with answers marked open or closed yet, so there is no trend."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        png = await asyncio.to_thread(charts.trend_chart, points)
        await interaction.followup.send(
            embed=render.trend_embed(points, with_chart=True),
            file=discord.File(io.BytesIO(png), filename="poll-trend.png"),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @poll.command(
        name="settings", description="Moderators: show or change the automatic poll for each episode."
    )
    @app_commands.describe(
        auto="Post a poll in each episode's thread",
        mode="native (Discord poll) or anonymous (buttons, hidden tallies)",
        duration_hours="How long episode polls stay open, in hours (1 to 768)",
    )
    @moderator_only
    async def settings(
        self,
        interaction: discord.Interaction,
        auto: bool | None = None,
        mode: Literal["native", "anonymous"] | None = None,
        duration_hours: app_commands.Range[int, 1, 768] | None = None,
    ) -> None:
        guild_id = guild_id_of(interaction)
        if auto is None and mode is None and duration_hours is None:
            text = render.settings_text(await self.service.settings(guild_id))
        else:
            updated = await self.service.update_settings(
                guild_id, auto=auto, mode=PollMode(mode) if mode else None, duration_hours=duration_hours
            )
            text = "Saved. " + render.settings_text(updated)
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
