"""Episode digests: a short read of every episode and newsletter issue.

The public surface, for the other capabilities:

- `DigestService` (`bot.digest.service`): `ensure_digest(item)`, the cache, the budget, the fallback.
- `render_digest_embed`, `render_digest_line`, `format_digest_text` (`bot.digest.render`).
- `summarize_offline(text, title)` and `preview_text(title, text)`: the offline summarizer, synchronous.
- `Digest`, `PollSuggestion`, `EpisodeInput` (`bot.digest.models`).
"""

from __future__ import annotations

from bot.digest.models import Digest, EpisodeInput, PollSuggestion
from bot.digest.offline import summarize_offline
from bot.digest.render import format_digest_text, render_digest_embed, render_digest_line

__all__ = [
    "Digest",
    "EpisodeInput",
    "PollSuggestion",
    "format_digest_text",
    "preview_text",
    "render_digest_embed",
    "render_digest_line",
    "summarize_offline",
]


def preview_text(title: str, text: str, *, newsletter: bool = False) -> str:
    """The offline digest of an item as plain text (for `python -m bot run` without a Discord token)."""
    digest = summarize_offline(text or title, title, source="newsletter" if newsletter else "show_notes")
    return format_digest_text(digest)
