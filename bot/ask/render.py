"""An answer as Discord sees it (one embed) and as the command line prints it (text or JSON).

Everything shown comes from feeds, transcripts or a model, so it is escaped (no Markdown of its own),
mentions are broken, and links are only ever the archive's own http(s) URLs.
"""

from __future__ import annotations

import discord

from bot.ask.models import Answer, Citation
from bot.render.text import defang_mentions, truncate
from bot.timeutil import discord_timestamp

EMBED_COLOUR = discord.Colour(0x5B5BD6)
DESCRIPTION_LIMIT = 3500
FIELD_VALUE_LIMIT = 1024
MAX_SOURCES = 6
NOT_SUPPORTED = "**The archive does not support an answer to that question.**"


def _safe(text: str) -> str:
    return defang_mentions(discord.utils.escape_markdown(" ".join(text.split())))


def _link(url: str | None) -> str | None:
    """A URL usable inside a Markdown link, or None (only http(s); parentheses and spaces escaped)."""
    if not url or not url.startswith(("https://", "http://")) or len(url) > 1000:
        return None
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _marker(citation: Citation) -> str:
    url = _link(citation.url)
    return f"[\\[{citation.n}\\]]({url})" if url else f"\\[{citation.n}\\]"


def _source_value(citation: Citation) -> str:
    parts = []
    if citation.published is not None:
        parts.append(discord_timestamp(citation.published, "D"))
    if citation.at:
        moment = _link(citation.moment_link)
        parts.append(f"[{citation.at}]({moment})" if moment else citation.at)
    episode = _link(citation.link)
    if episode:
        parts.append(f"[{'Episode' if citation.kind == 'podcast' else 'Open'}]({episode})")
    if citation.source != "transcript":
        parts.append("show notes" if citation.source == "notes" else "digest")
    quote = truncate(_safe(citation.quote), FIELD_VALUE_LIMIT - 200)
    return truncate(" · ".join(parts) + f"\n> “{quote}”", FIELD_VALUE_LIMIT)


def answer_embed(answer: Answer, *, model: str | None = None) -> discord.Embed:
    """The embed of an answer: the cited sentences, then a Sources field per citation."""
    by_number = {citation.n: citation for citation in answer.citations}
    if answer.supported:
        lines = []
        for sentence in answer.sentences:
            markers = "".join(_marker(by_number[n]) for n in sentence.cites if n in by_number)
            lines.append(f"{_safe(sentence.text)} {markers}".strip())
        description = "\n".join(lines)
    elif answer.citations:
        description = f"{NOT_SUPPORTED}\nThe closest passages in the archive:"
    else:
        description = f"{NOT_SUPPORTED}\nNothing in the archive comes close; try other words or `/search`."
    embed = discord.Embed(
        title=truncate(f"Q: {' '.join(answer.question.split())}", 256),
        description=truncate(description, DESCRIPTION_LIMIT),
        colour=EMBED_COLOUR,
    )
    for citation in answer.citations[:MAX_SOURCES]:
        embed.add_field(
            name=truncate(f"[{citation.n}] {defang_mentions(citation.title)}", 256),
            value=_source_value(citation),
            inline=False,
        )
    embed.set_footer(text=footer(answer, model=model))
    return embed


def footer(answer: Answer, *, model: str | None = None) -> str:
    searched = f"Searched {answer.searched:,} episodes and issues"
    if answer.backend == "llm":
        how = f"answered by {model or 'the LLM'} from the passages cited"
    else:
        how = "quoted from the archive (offline answer)"
    text = f"{searched} · {how}"
    if answer.earliest:
        text += " · earliest first"
    if answer.fallback_reason:
        text += f" · LLM not used: {answer.fallback_reason}"
    if answer.cached:
        text += " · from the cache"
    return truncate(text, 2048)


def answer_text(answer: Answer) -> str:
    """The answer for a terminal: the sentences with [n], then the sources with date, moment and quote."""
    lines = [answer.text if answer.supported else "The archive does not support an answer to that question."]
    if answer.citations:
        lines.append("")
        lines.append("Sources:" if answer.supported else "Closest passages:")
    for citation in answer.citations:
        when = f" ({citation.published:%Y-%m-%d})" if citation.published else ""
        at = f" {citation.at}" if citation.at else ""
        url = f" {citation.url}" if citation.url else ""
        lines.append(f"[{citation.n}] {citation.title}{when}{at}{url}")
        lines.append(f"    “{citation.quote}”")
    if answer.fallback_reason:
        lines.append("")
        lines.append(f"(offline answer: {answer.fallback_reason})")
    return "\n".join(lines)
