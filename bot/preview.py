"""The offline preview (filled in by the feeds capability, issue 4)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bot.settings import Settings


async def preview_command(settings: Settings, sources: Sequence[str], *, as_json: bool, limit: int) -> int:
    print("error: the feed preview is not built yet", file=sys.stderr)
    return 3


async def offline_run(settings: Settings) -> int:
    return await preview_command(settings, [], as_json=False, limit=3)
