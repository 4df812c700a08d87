"""Discord I/O for polls: post the poll message, find one already posted, end a native poll, post results.

Everything here sends with mentions disabled and a nonce, so a repeated send within Discord's nonce window
returns the message already posted instead of a second one.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import discord

from bot.errors import NO_MENTIONS
from bot.polls import charts, render
from bot.polls.models import Poll, PollMode, Tally

log = logging.getLogger(__name__)

ViewFactory = Callable[[Poll], discord.ui.View]
HISTORY_SCAN = 50


def native_poll(poll: Poll) -> discord.Poll:
    """The `discord.Poll` for a native poll record (answer ids are the 1-based positions)."""
    duration = poll.closes_at - poll.created_at
    hours = max(1, round(duration / timedelta(hours=1)))
    native = discord.Poll(question=poll.question, duration=timedelta(hours=hours), multiple=poll.multiple)
    for answer in poll.answers:
        native.add_answer(text=answer.text)
    return native


async def send_poll(
    channel: discord.abc.Messageable, poll: Poll, view_factory: ViewFactory
) -> discord.Message:
    """Post the poll message (native poll, or the anonymous embed with its vote buttons)."""
    if poll.mode is PollMode.NATIVE:
        return await channel.send(poll=native_poll(poll), nonce=poll.nonce, allowed_mentions=NO_MENTIONS)
    return await channel.send(
        embed=render.anonymous_poll_embed(poll),
        view=view_factory(poll),
        nonce=poll.nonce,
        allowed_mentions=NO_MENTIONS,
    )


def _is_our_poll(message: discord.Message, poll: Poll, bot_id: int) -> bool:
    if message.author.id != bot_id:
        return False
    if poll.mode is PollMode.NATIVE:
        return message.poll is not None and message.poll.question == poll.question
    prefix = f"polls:vote:{poll.id}:"
    for row in message.components:
        for child in getattr(row, "children", ()):
            if (getattr(child, "custom_id", None) or "").startswith(prefix):
                return True
    return False


async def find_sent(channel: discord.abc.Messageable, poll: Poll, bot_id: int) -> discord.Message | None:
    """The poll's message if an earlier attempt posted it (checked when the nonce window may have passed)."""
    try:
        async for message in channel.history(
            limit=HISTORY_SCAN, after=poll.created_at - timedelta(minutes=1)
        ):
            if _is_our_poll(message, poll, bot_id):
                return message
    except discord.HTTPException as exc:
        log.info("could not read history of channel for poll %s: %s", poll.id, exc)
    return None


async def end_native(channel: discord.abc.Messageable, poll: Poll) -> discord.Message | None:
    """End a native poll early (or read it once Discord ended it). None if its message is gone."""
    if poll.message_id is None:
        return None
    try:
        message = await channel.fetch_message(poll.message_id)
    except (discord.NotFound, discord.Forbidden):
        return None
    if message.poll is None or message.poll.is_finalised():
        return message
    try:
        return await message.end_poll()
    except discord.HTTPException as exc:
        # Usually: Discord ended it in the meantime. Read it again.
        log.info("end_poll for poll %s refused (%s); reading it again", poll.id, exc.status)
        try:
            return await channel.fetch_message(poll.message_id)
        except discord.HTTPException:
            return None


def native_counts(message: discord.Message) -> tuple[dict[int, int], bool] | None:
    """Discord's counts per answer id, and whether Discord finalized them."""
    if message.poll is None:
        return None
    return {answer.id: answer.vote_count for answer in message.poll.answers}, message.poll.is_finalised()


async def results_payload(tally: Tally) -> tuple[discord.Embed, discord.File | None]:
    """The results embed and its chart (rendered in a worker thread; without the chart if that fails)."""
    try:
        png = await asyncio.to_thread(charts.results_chart, tally)
    except Exception:
        log.exception("could not draw the chart for poll %s; posting the results without it", tally.poll.id)
        return render.results_embed(tally, with_chart=False), None
    file = discord.File(io.BytesIO(png), filename=render.chart_filename(tally.poll.id))
    return render.results_embed(tally, with_chart=True), file


async def post_results(channel: discord.abc.Messageable, tally: Tally) -> discord.Message:
    """Post the results as a reply to the poll message (when it still exists)."""
    poll = tally.poll
    embed, file = await results_payload(tally)
    extra: dict[str, Any] = {}
    if file is not None:
        extra["file"] = file
    if poll.message_id is not None:
        extra["reference"] = discord.MessageReference(
            message_id=poll.message_id, channel_id=poll.channel_id, fail_if_not_exists=False
        )
    return await channel.send(embed=embed, nonce="r" + poll.nonce[1:], allowed_mentions=NO_MENTIONS, **extra)


async def mark_anonymous_closed(channel: discord.abc.Messageable, poll: Poll) -> None:
    """Replace the anonymous poll's buttons with a closed notice (best effort)."""
    if poll.message_id is None:
        return
    try:
        message = channel.get_partial_message(poll.message_id)  # type: ignore[attr-defined]
        await message.edit(embed=render.closed_poll_embed(poll), view=None, allowed_mentions=NO_MENTIONS)
    except (discord.HTTPException, AttributeError) as exc:
        log.info("could not mark anonymous poll %s closed on its message: %s", poll.id, exc)
