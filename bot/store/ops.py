"""What the operators' HTTP surface asks the database: is it reachable, how deep is the outbox."""

from __future__ import annotations

from bot.store.base import Repo


class OpsRepo(Repo):
    """Cheap, read-only queries for `/readyz` and `/metrics` (no guild-private data leaves here)."""

    async def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        return bool(await self.db.fetchval("SELECT 1") == 1)

    async def outbox_depth(self) -> dict[str, int]:
        """Work waiting in the outbox: announcements not yet sent, sent ones with follow-ups left (thread,
        digest, poll), and new items not yet fanned out to the servers."""
        rows = await self.db.fetchall(
            "SELECT CASE WHEN state = 'pending' THEN 'send' ELSE 'followup' END AS stage, count(*) AS n "
            "FROM deliveries WHERE state IN ('pending', 'sent', 'thread_created') GROUP BY stage"
        )
        depth = {"send": 0, "followup": 0}
        depth.update({row["stage"]: int(row["n"]) for row in rows})
        depth["dispatch"] = int(
            await self.db.fetchval(
                "SELECT count(*) FROM items JOIN feeds ON feeds.id = items.feed_id "
                "WHERE items.status = 'new' AND items.dispatched_at IS NULL AND feeds.active = 1"
            )
        )
        return depth

    async def feed_health(self) -> dict[str, int]:
        """How many active feeds are healthy ('ok') and how many are failing."""
        rows = await self.db.fetchall(
            "SELECT status, count(*) AS n FROM feeds WHERE active = 1 GROUP BY status"
        )
        health = {"ok": 0, "failing": 0}
        health.update({row["status"]: int(row["n"]) for row in rows})
        return health
