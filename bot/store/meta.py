"""Small key/value facts the bot remembers about itself (for example the hash of the synced commands)."""

from __future__ import annotations

from bot.store.base import Repo
from bot.timeutil import to_db, utcnow


class MetaRepo(Repo):
    async def get(self, key: str) -> str | None:
        """The stored value of `key`, or None."""
        value = await self.db.fetchval("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def set(self, key: str, value: str) -> None:
        """Store `value` under `key`, replacing any earlier value."""
        await self.db.execute(
            "INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (key, value, to_db(utcnow())),
        )
