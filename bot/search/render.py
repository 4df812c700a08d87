"""Search results as Discord text: snippets with the matched words in bold, within embed limits."""

from __future__ import annotations

import re

import discord

from bot.feeds.boilerplate import clean_link
from bot.render.limits import CHOICE_NAME, EMBED_FIELD_VALUE
from bot.render.text import defang_mentions, truncate
from bot.search.service import SearchPage
from bot.search.titles import TitleChoice
from bot.store.search import HIT_END, HIT_START, SearchHit
from bot.timeutil import discord_timestamp

EMBED_COLOUR = discord.Colour(0x5B5BD6)
_HIT = re.compile(re.escape(HIT_START) + "(.*?)" + re.escape(HIT_END), re.S)
_SPACE = re.compile(r"\s+")

_SOURCES = (
    ("digest_snippet", "Digest"),
    ("notes_snippet", "Show notes"),
    ("transcript_snippet", "Transcript"),
)


def highlight(snippet: str, limit: int = 300) -> str:
    """An FTS5 snippet as Markdown: matched words in bold, everything else escaped, mentions defanged."""
    snippet = _SPACE.sub(" ", snippet).strip()
    parts: list[str] = []
    position = 0
    for match in _HIT.finditer(snippet):
        parts.append(discord.utils.escape_markdown(snippet[position : match.start()]))
        word = discord.utils.escape_markdown(match.group(1))
        parts.append(f"**{word}**" if word.strip() else word)
        position = match.end()
    parts.append(discord.utils.escape_markdown(snippet[position:]))
    text = "".join(parts).replace(HIT_START, "").replace(HIT_END, "")
    if len(text) > limit:
        # Cut the plain text instead of breaking a bold pair in half.
        plain = discord.utils.escape_markdown(snippet.replace(HIT_START, "").replace(HIT_END, ""))
        text = truncate(plain, limit)
    return defang_mentions(text)


def has_hit(snippet: str) -> bool:
    return HIT_START in snippet


def hit_field_value(hit: SearchHit) -> str:
    """The lines shown under one result: where it matched (with the words in bold), date and link."""
    lines = []
    for attribute, label in _SOURCES:
        snippet = getattr(hit, attribute)
        if has_hit(snippet):
            lines.append(f"*{label}:* {highlight(snippet, 280)}")
        if len(lines) == 2:
            break
    meta = []
    if hit.published_at is not None:
        meta.append(discord_timestamp(hit.published_at, "D"))
    if hit.link:
        meta.append(f"[Open]({clean_link(hit.link)})")
    meta.append(f"`/episode {hit.item_id}`")
    lines.append(" · ".join(meta))
    return truncate("\n".join(lines), EMBED_FIELD_VALUE)


def search_embed(page: SearchPage) -> discord.Embed:
    """The embed of one results page."""
    understood = discord.utils.escape_markdown(truncate(page.query.describe(), 200))
    if not page.hits:
        return discord.Embed(
            title="No results",
            description=(
                f"Nothing in the episodes and issues followed here matches **{understood}**.\n"
                "Try fewer or shorter words, or a word ending in `*` for any ending (`agent*`)."
            ),
            colour=EMBED_COLOUR,
        )
    embed = discord.Embed(
        title=truncate(f"Search: {page.query.describe()}", 256),
        description=f"{page.total} result{'s' if page.total != 1 else ''}, best first.",
        colour=EMBED_COLOUR,
    )
    start = page.page * page.page_size
    for number, hit in enumerate(page.hits, start=start + 1):
        title = highlight(hit.title_snippet, 200) if has_hit(hit.title_snippet) else hit.title
        embed.add_field(
            name=truncate(f"{number}. {defang_mentions(title)}", 256),
            value=hit_field_value(hit),
            inline=False,
        )
    embed.set_footer(text=f"Page {page.page + 1} of {page.pages}")
    return embed


def choice_name(choice: TitleChoice) -> str:
    """An autocomplete label: the title, then the date, within 100 characters."""
    suffix = f" · {choice.published_at:%Y-%m-%d}" if choice.published_at else ""
    return truncate(_SPACE.sub(" ", choice.title), CHOICE_NAME - len(suffix)) + suffix
