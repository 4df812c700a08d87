"""What people read: the anonymous poll message, the results, the trend, receipts for a vote."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.polls.models import GuildPollSettings, Poll, PollMode, Stance, Tally, TrendPoint
from bot.render.text import truncate
from bot.timeutil import discord_timestamp

COLOUR_OPEN_POLL = discord.Colour(0x3498DB)
COLOUR_RESULTS = discord.Colour(0x2E9E5B)
BAR_WIDTH = 12
STANCE_MARK = {Stance.OPEN: " · open", Stance.CLOSED: " · closed", None: ""}


def chart_filename(poll_id: int) -> str:
    return f"poll-{poll_id}-results.png"


def _answer_lines(poll: Poll) -> str:
    return "\n".join(f"**{a.position}.** {a.text}" for a in poll.answers)


def anonymous_poll_embed(poll: Poll) -> discord.Embed:
    """The message members vote on: question, numbered answers, how voting works, when it closes."""
    how = "Pick as many answers as you like" if poll.multiple else "Pick one answer"
    embed = discord.Embed(
        title=truncate(poll.question, 256),
        description=_answer_lines(poll),
        colour=COLOUR_OPEN_POLL,
    )
    embed.add_field(
        name="How it works",
        value=(
            f"{how}; click again to change your vote. Votes are anonymous: not even moderators can see "
            "who voted what. Results stay hidden until the poll closes "
            f"{discord_timestamp(poll.closes_at, 'R')}."
        ),
        inline=False,
    )
    embed.set_footer(text=f"Anonymous poll #{poll.id}")
    return embed


def closed_poll_embed(poll: Poll) -> discord.Embed:
    """The anonymous poll message after it closed (its buttons are removed)."""
    closed = poll.closed_at or poll.closes_at
    embed = discord.Embed(
        title=truncate(poll.question, 256),
        description=f"{_answer_lines(poll)}\n\nThis poll closed {discord_timestamp(closed, 'f')}.",
        colour=discord.Colour.dark_grey(),
    )
    embed.set_footer(text=f"Anonymous poll #{poll.id} · closed")
    return embed


def _bar(percent: float) -> str:
    filled = round(percent / 100 * BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def results_lines(tally: Tally) -> str:
    """One line per answer: number, text, bar, count and percentage."""
    lines = []
    for a in tally.answers:
        votes = "vote" if a.votes == 1 else "votes"
        lines.append(
            f"**{a.position}. {a.text}**{STANCE_MARK[a.stance]}\n`{_bar(a.percent)}` {a.votes} {votes} "
            f"({a.percent:.1f}%)"
        )
    return "\n".join(lines)


def results_embed(tally: Tally, *, with_chart: bool) -> discord.Embed:
    """The results: counts, percentages, the open/closed split, and the bar chart as the embed image."""
    poll = tally.poll
    state = "Results" if poll.closed_at else "Results so far"
    embed = discord.Embed(
        title=truncate(f"{state}: {poll.question}", 256),
        description=truncate(results_lines(tally), 4096),
        colour=COLOUR_RESULTS,
    )
    people = "member" if tally.voters == 1 else "members"
    votes = "vote" if tally.total_votes == 1 else "votes"
    summary = f"{tally.total_votes} {votes} from {tally.voters} {people}"
    if not tally.final:
        summary += " (Discord's running count)"
    embed.add_field(name="Turnout", value=summary, inline=True)
    open_votes, closed_votes = tally.stance_votes(Stance.OPEN), tally.stance_votes(Stance.CLOSED)
    if open_votes + closed_votes:
        share = open_votes / (open_votes + closed_votes) * 100
        embed.add_field(
            name="Open vs closed", value=f"{share:.0f}% open · {100 - share:.0f}% closed", inline=True
        )
    when = poll.closed_at or poll.closes_at
    verb = "Closed" if poll.closed_at else "Closes"
    embed.add_field(name=verb, value=discord_timestamp(when, "f"), inline=True)
    if with_chart:
        embed.set_image(url=f"attachment://{chart_filename(poll.id)}")
    kind = "Anonymous poll" if poll.mode is PollMode.ANONYMOUS else "Poll"
    embed.set_footer(text=f"{kind} #{poll.id}")
    return embed


def trend_embed(points: Sequence[TrendPoint], *, with_chart: bool) -> discord.Embed:
    """The open-versus-closed sentiment across the recent polls."""
    lines = [
        f"{discord_timestamp(p.at, 'd')} · **{p.open_share * 100:.0f}% open** "
        f"({p.open_votes} open / {p.closed_votes} closed) · #{p.poll_id} {truncate(p.question, 60)}"
        for p in points[-10:]
    ]
    embed = discord.Embed(
        title="Open versus closed AI over time",
        description=truncate("\n".join(lines), 4096),
        colour=COLOUR_RESULTS,
    )
    embed.set_footer(text=f"{len(points)} polls with open/closed answers")
    if with_chart:
        embed.set_image(url="attachment://poll-trend.png")
    return embed


def settings_text(settings: GuildPollSettings) -> str:
    auto = "on" if settings.auto_enabled else "off"
    return (
        f"Episode polls are **{auto}**: mode **{settings.mode.value}**, open for "
        f"**{settings.duration_hours} h**."
    )


def receipt(poll: Poll, chosen: Sequence[int]) -> str:
    """What a member is told after a click: their ballot now, and until when they may change it."""
    until = discord_timestamp(poll.closes_at, "R")
    if not chosen:
        return f"You have no vote in this poll now. You can vote until it closes {until}."
    texts = {a.position: a.text for a in poll.answers}
    picked = ", ".join(f"**{p}. {texts.get(p, '?')}**" for p in chosen)
    return f"Your vote: {picked}. You can change it until the poll closes {until}; nobody else can see it."
