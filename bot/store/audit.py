"""The moderators' audit log and full-text search (issue 9)."""

from __future__ import annotations

from bot.store.base import Repo


class AuditRepo(Repo):
    """Filled in by the capability that owns these tables."""
