"""Which guild follows which feed where, and the announcement outbox (issue 5)."""

from __future__ import annotations

from bot.store.base import Repo


class AnnouncementRepo(Repo):
    """Filled in by the capability that owns these tables."""
