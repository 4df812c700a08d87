"""The embed `/latest` and `/episode` show: the item, its digest line, its links and its thread."""

from __future__ import annotations

import discord

from bot.feeds.boilerplate import clean_link, clean_notes
from bot.feeds.models import episode_label
from bot.render.text import defang_mentions, truncate
from bot.search.models import EpisodeCard
from bot.timeutil import discord_timestamp

EMBED_COLOUR = discord.Colour(0x5B5BD6)
_KINDS = {"podcast": "Episode", "newsletter": "Newsletter issue", "feed": "Post"}


def duration_text(seconds: int | None) -> str | None:
    """`1 h 04 min` / `42 min`, or None when unknown."""
    if not seconds or seconds <= 0:
        return None
    hours, rest = divmod(int(seconds), 3600)
    minutes = max(1, rest // 60) if not hours else rest // 60
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def message_link(guild_id: int, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def _safe(text: str, limit: int) -> str:
    return defang_mentions(truncate(" ".join(text.split()), limit))


def card_embed(
    card: EpisodeCard, *, guild_id: int, thread_id: int | None = None, thread_messages: int | None = None
) -> discord.Embed:
    """The embed of one episode or issue as this guild sees it."""
    kind = _KINDS.get(card.feed_kind, "Post")
    line = card.tldr or card.summary_line or clean_notes(card.summary_text)
    link = clean_link(card.link) if card.link else None
    embed = discord.Embed(
        title=truncate(card.title, 256),
        url=link,
        description=_safe(line, 600) if line else "*No digest yet for this one.*",
        colour=EMBED_COLOUR,
    )
    embed.set_author(name=truncate(f"{kind} · {card.feed_title}", 256))
    if card.published_at is not None:
        when = f"{discord_timestamp(card.published_at, 'D')} ({discord_timestamp(card.published_at, 'R')})"
        embed.add_field(name="Published", value=when)
    duration = duration_text(card.duration_seconds)
    if duration:
        embed.add_field(name="Length", value=duration)
    label = episode_label(card.season, card.episode_number, card.episode_display)
    if label:
        embed.add_field(name="Episode", value=defang_mentions(truncate(label, 256)))
    if card.tldr and card.key_points:
        points = "\n".join(f"• {_safe(point, 200)}" for point in card.key_points[:4])
        embed.add_field(name="Key points", value=truncate(points, 1024), inline=False)
    links = []
    if link:
        links.append(f"[{'Listen' if card.feed_kind == 'podcast' else 'Read'}]({link})")
    for number, url in enumerate(card.transcript_urls[:2], start=1):
        links.append(f"[Transcript{f' {number}' if len(card.transcript_urls) > 1 else ''}]({url})")
    if card.channel_id and card.message_id:
        links.append(f"[Announcement]({message_link(guild_id, card.channel_id, card.message_id)})")
    if links:
        embed.add_field(name="Links", value=truncate(" · ".join(links), 1024), inline=False)
    thread = thread_id or card.thread_id
    if thread:
        activity = f" · {thread_messages} messages" if thread_messages else ""
        embed.add_field(name="Discussion", value=f"<#{thread}>{activity}", inline=False)
    if card.image_url:
        embed.set_thumbnail(url=card.image_url)
    embed.set_footer(text=f"/episode {card.item_id}")
    return embed
