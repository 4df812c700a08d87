"""A digest as Discord sees it: an embed within the limits, a one-line summary, and plain text.

All text is model or feed output: it is defanged (no pings even if a message forgets `allowed_mentions`)
and cut to Discord's limits with a visible "…".
"""

from __future__ import annotations

import discord

from bot.digest.models import Digest, DigestItem
from bot.render.limits import EMBED_TOTAL
from bot.render.text import defang_mentions, truncate

EMBED_COLOUR = discord.Colour(0x2B9C6B)
LINE_LIMIT = 300
SOURCE_LABEL = {
    "transcript": "the transcript",
    "show_notes": "the show notes",
    "newsletter": "the newsletter issue",
    "file": "a local file",
    "title": "the title only",
}


def _safe(text: str, limit: int) -> str:
    return truncate(defang_mentions(" ".join(text.split())), limit)


def _footer(digest: Digest) -> str:
    if digest.backend == "llm":
        made = f"Summarized by {digest.model} from {SOURCE_LABEL.get(digest.source, digest.source)}"
        if digest.chunks > 1:
            made += f" in {digest.chunks} parts"
    else:
        made = f"Extractive digest (sentences quoted from {SOURCE_LABEL.get(digest.source, digest.source)})"
    if digest.fallback_reason:
        made += " · the LLM was not used: " + digest.fallback_reason
    return _safe(made, 2048)


def render_digest_line(digest: Digest) -> str:
    """The announcement's one-line summary: the TL;DR, defanged, at most 300 characters."""
    return _safe(digest.tldr, LINE_LIMIT)


def render_digest_embed(digest: Digest, item: DigestItem | None = None) -> discord.Embed:
    """The digest as one embed: TL;DR, key points, quote, entities, topics, angle; ≤ 6,000 characters."""
    title = _safe(f"Digest: {item.title}" if item is not None and item.title else "Digest", 256)
    url = (
        item.link
        if item is not None and item.link and item.link.startswith(("http://", "https://"))
        else None
    )
    points = "\n".join(f"• {_safe(point, 400)}" for point in digest.key_points)
    description = _safe(digest.tldr, 600) + "\n\n" + points
    embed = discord.Embed(title=title, url=url, description=truncate(description, 4096), colour=EMBED_COLOUR)
    if digest.quote:
        quote = digest.quote.strip('“”" ')
        embed.add_field(name="Quote", value=_safe(f"“{quote}”", 1024), inline=False)
    entity_lines = []
    for label, names in (
        ("Companies", digest.entities.companies),
        ("Models", digest.entities.models),
        ("People", digest.entities.people),
    ):
        if names:
            entity_lines.append(f"**{label}:** " + ", ".join(_safe(n, 60) for n in names))
    if entity_lines:
        embed.add_field(name="Who and what", value=truncate("\n".join(entity_lines), 1024), inline=False)
    if digest.topics:
        embed.add_field(name="Topics", value=_safe(", ".join(digest.topics), 1024), inline=False)
    if digest.angle:
        embed.add_field(name="Open vs closed", value=_safe(digest.angle, 1024), inline=False)
    embed.set_footer(text=_footer(digest))
    _fit(embed)
    return embed


def _fit(embed: discord.Embed) -> None:
    """Drop fields from the end, then shorten the description, until the embed is within 6,000."""
    while len(embed) > EMBED_TOTAL and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    if len(embed) > EMBED_TOTAL and embed.description:
        excess = len(embed) - EMBED_TOTAL
        embed.description = truncate(embed.description, max(1, len(embed.description) - excess))


def format_digest_text(digest: Digest, title: str | None = None) -> str:
    """The digest as plain text (CLI and the offline preview)."""
    lines = []
    if title:
        lines += [title, "=" * min(len(title), 80)]
    lines += [f"TL;DR: {digest.tldr}", "", "Key points:"]
    lines += [f"  - {point}" for point in digest.key_points]
    if digest.quote:
        lines += ["", f"Quote: “{digest.quote}”"]
    for label, names in (
        ("Companies", digest.entities.companies),
        ("Models", digest.entities.models),
        ("People", digest.entities.people),
    ):
        if names:
            lines.append(f"{label}: {', '.join(names)}")
    if digest.topics:
        lines.append(f"Topics: {', '.join(digest.topics)}")
    lines += ["", f"Open vs closed: {digest.angle}"]
    if digest.poll.skip_reason:
        lines.append(f"Poll: none ({digest.poll.skip_reason})")
    else:
        lines.append(f"Poll: {digest.poll.question}")
        lines += [f"  {i + 1}. {answer}" for i, answer in enumerate(digest.poll.answers)]
    lines += ["", _footer(digest) + f" · {digest.tokens_in} tokens in, {digest.tokens_out} out"]
    return "\n".join(lines)
