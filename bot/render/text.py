"""Text helpers for Discord's limits: cut on a word with an ellipsis, neutralise mentions."""

from __future__ import annotations

import re

ELLIPSIS = "…"
_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")
_ZWSP = "\u200b"


def truncate(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a word boundary with "…" when it had to be cut."""
    if limit <= 0:
        return ""
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit == 1:
        return ELLIPSIS
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + ELLIPSIS


def defang_mentions(text: str) -> str:
    """Break @everyone/@here and user/role/channel mentions so they render as text and ping nobody.

    Messages are also sent with mentions disabled; this keeps the text from even looking like a ping.
    """
    return _MENTION.sub(lambda m: m.group(0)[0] + _ZWSP + m.group(0)[1:], text)
