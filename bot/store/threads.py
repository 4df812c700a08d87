"""Tracked discussion threads and their activity counters (issue 8)."""

from __future__ import annotations

from bot.store.base import Repo


class ThreadRepo(Repo):
    """Filled in by the capability that owns these tables."""
