"""The base of every repository: a handle on the shared `Database`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.store.db import Database


class Repo:
    """One repository per domain; each owns the SQL of its tables and returns dataclasses, not rows."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @property
    def postgresql(self) -> bool:
        """Whether the store runs on PostgreSQL (for the few statements whose dialects differ)."""
        return self.db.dialect == "postgresql"
