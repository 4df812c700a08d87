"""Digests, their cache keys, and LLM token use (issue 6)."""

from __future__ import annotations

from bot.store.base import Repo


class DigestRepo(Repo):
    """Filled in by the capability that owns these tables."""
