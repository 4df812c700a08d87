"""Community polls, their answers and votes (issue 7)."""

from __future__ import annotations

from bot.store.base import Repo


class PollRepo(Repo):
    """Filled in by the capability that owns these tables."""
