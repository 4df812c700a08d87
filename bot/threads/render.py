"""What members see: the `/threads` listing and the weekly "hot discussions" embed.

Thread names and episode titles are written by people and feeds: they are cut to length, their mentions
are broken and their Markdown escaped so a name cannot ping anyone or break a link.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from bot.render.limits import EMBED_DESCRIPTION
from bot.render.text import defang_mentions, truncate
from bot.threads.models import ThreadActivity, TrackedThread
from bot.threads.weekly import WeeklyDigest, WeeklyPollResult
from bot.timeutil import discord_timestamp

COLOUR = discord.Colour(0xE8833A)
MAX_LISTED = 10
NAME_LIMIT = 80


def safe_name(text: str, limit: int = NAME_LIMIT) -> str:
    """A person- or feed-written name made safe inside a Markdown link."""
    text = truncate(" ".join(text.split()), limit) or "(untitled)"
    text = text.replace("[", "(").replace("]", ")")
    return discord.utils.escape_markdown(defang_mentions(text))


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def thread_line(thread: TrackedThread, *, messages: int | None = None) -> str:
    """`[name](link) · 42 messages · 7 people · last message <t:…:R>` with state marks and tags."""
    marks = ("🔒 " if thread.locked else "") + ("🗄️ " if thread.state == "archived" else "")
    parts = [f"{marks}[{safe_name(thread.name)}]({thread.url})"]
    if messages is not None:
        parts.append(f"{plural(messages, 'message')} this week")
    parts.append(plural(thread.message_count, "message"))
    parts.append(plural(thread.participant_count, "person").replace("persons", "people"))
    if thread.last_activity_at is not None:
        parts.append(f"last message {discord_timestamp(thread.last_activity_at, 'R')}")
    else:
        parts.append(f"opened {discord_timestamp(thread.created_at, 'R')}")
    if thread.tags:
        parts.append(" ".join(f"`{safe_name(tag, 20)}`" for tag in thread.tags[:5]))
    return " · ".join(parts)


def threads_embed(
    title: str, threads: Sequence[TrackedThread], *, empty: str, footer: str = ""
) -> discord.Embed:
    """A numbered list of at most `MAX_LISTED` threads."""
    lines = [f"**{n}.** {thread_line(thread)}" for n, thread in enumerate(threads[:MAX_LISTED], start=1)]
    embed = discord.Embed(title=title, description=_fit(lines) or empty, colour=COLOUR)
    if footer:
        embed.set_footer(text=footer)
    return embed


def _poll_line(poll: WeeklyPollResult) -> str:
    question = safe_name(poll.question, 120)
    head = f"[{question}]({poll.url})" if poll.url else f"**{question}**"
    total = poll.total_votes
    answers = sorted(poll.answers, key=lambda answer: answer[1], reverse=True)
    shares = ", ".join(
        f"{safe_name(text, 55)} {round(100 * votes / total) if total else 0}%" for text, votes in answers[:5]
    )
    return f"{head} ({plural(total, 'vote')}): {shares}" if answers else head


def weekly_embed(digest: WeeklyDigest) -> discord.Embed:
    """The weekly post: the week's episodes with their threads, the busiest threads, the poll results."""
    sections: list[str] = []
    if digest.episodes:
        lines = ["**This week's episodes**"]
        for entry in digest.episodes:
            episode = entry.episode
            title = safe_name(episode.title, 100)
            lines.append(f"• [{title}]({episode.url})" if episode.url else f"• **{title}**")
            lines.extend(f"  ↳ {_activity_line(activity)}" for activity in entry.threads)
            if not entry.threads:
                lines.append("  ↳ no discussion thread")
        sections.append("\n".join(lines))
    if digest.top:
        top = [f"**{n}.** {_activity_line(a)}" for n, a in enumerate(digest.top, start=1)]
        sections.append("\n".join(["**Most active discussions**", *top]))
    if digest.polls:
        sections.append("\n".join(["**Poll results**", *(f"• {_poll_line(poll)}" for poll in digest.polls)]))
    if not sections:
        sections.append("A quiet week: no episode threads and no tracked discussion had new messages.")
    embed = discord.Embed(
        title="This week's hot discussions",
        description=_fit(sections, separator="\n\n"),
        colour=COLOUR,
    )
    embed.set_footer(text=f"Week {digest.week}")
    embed.timestamp = digest.end
    embed.add_field(
        name="Period",
        value=f"{discord_timestamp(digest.start, 'D')} – {discord_timestamp(digest.end, 'D')}",
        inline=False,
    )
    return embed


def _activity_line(activity: ThreadActivity) -> str:
    thread = activity.thread
    people = plural(thread.participant_count, "person").replace("persons", "people")
    return (
        f"[{safe_name(thread.name)}]({thread.url}) · {plural(activity.messages, 'message')} this week · "
        f"{people}"
    )


def _fit(parts: Sequence[str], *, separator: str = "\n") -> str:
    """Join as many whole parts as fit in an embed description, marking a cut with "…"."""
    out = ""
    for part in parts:
        candidate = f"{out}{separator}{part}" if out else part
        if len(candidate) > EMBED_DESCRIPTION - 2:
            return out + separator + "…" if out else truncate(part, EMBED_DESCRIPTION)
        out = candidate
    return out


def next_post_text(slot: datetime) -> str:
    return f"{discord_timestamp(slot, 'F')} ({discord_timestamp(slot, 'R')})"
