"""`python -m bot digest` (filled in by the digests capability, issue 6)."""

from __future__ import annotations

import sys

from bot.settings import Settings


async def digest_command(settings: Settings, source: str, *, as_json: bool, backend: str) -> int:
    print("error: digests are not built yet", file=sys.stderr)
    return 3
