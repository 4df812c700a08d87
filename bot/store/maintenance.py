"""Database upkeep that no single capability owns: WAL checkpoints, retention of old rows, file statistics.

Used only by `bot.maintenance.Maintenance`. Retention never touches an item that is still in its feed (its
id is what stops a repost), nor anything younger than the cut-off the caller passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.base import Repo
from bot.timeutil import to_db


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The result of `PRAGMA wal_checkpoint`: busy (1 when a reader blocked it), WAL frames, frames copied."""

    busy: int
    log_frames: int
    checkpointed: int


@dataclass(frozen=True, slots=True)
class FileStats:
    """The size of the database in pages, and how many of them are free for reuse."""

    page_size: int
    page_count: int
    freelist_count: int

    @property
    def used_bytes(self) -> int:
        return (self.page_count - self.freelist_count) * self.page_size


class MaintenanceRepo(Repo):
    async def checkpoint(self) -> Checkpoint:
        """Copy the WAL into the database and truncate the WAL file to zero bytes (when no reader blocks).

        On PostgreSQL the server checkpoints on its own schedule: nothing to do, nothing busy."""
        if self.postgresql:
            return Checkpoint(0, 0, 0)
        async with self.db._write_lock:  # no write transaction of ours may be open meanwhile
            row = await self.db.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
        if row is None:
            return Checkpoint(1, -1, -1)
        return Checkpoint(int(row[0]), int(row[1]), int(row[2]))

    async def integrity_check(self) -> list[str]:
        """SQLite's own consistency check: `["ok"]` when the file is sound, else the problems found.

        PostgreSQL checks its pages as it reads them (and the operator's tools, such as amcheck, go
        further): `["ok"]` once the server answers."""
        if self.postgresql:
            return ["ok"] if await self.db.fetchval("SELECT 1") == 1 else ["the server did not answer"]
        return [str(row[0]) for row in await self.db.fetchall("PRAGMA integrity_check")]

    async def file_stats(self) -> FileStats:
        """Page size, page count and free pages of the main database file (on PostgreSQL: the whole
        database's size in blocks; free space inside tables is the server's to reuse)."""
        if self.postgresql:
            row = await self.db.fetchone(
                "SELECT CAST(current_setting('block_size') AS BIGINT), pg_database_size(current_database())"
            )
            block, total = (int(row[0]), int(row[1])) if row else (8192, 0)
            return FileStats(block, total // block, 0)
        size = await self.db.fetchval("PRAGMA page_size")
        count = await self.db.fetchval("PRAGMA page_count")
        free = await self.db.fetchval("PRAGMA freelist_count")
        return FileStats(int(size), int(count), int(free))

    async def prune_items_gone_from_feed(self, before: datetime) -> int:
        """Delete items that left their feed before `before` (never one still in its feed).

        Their deliveries go with them (ON DELETE CASCADE); polls keep their results (item_id SET NULL).
        """
        return await self.db.execute(
            "DELETE FROM items WHERE still_in_feed = 0 AND COALESCE(last_seen_in_feed_at, first_seen_at) < ?",
            (to_db(before),),
        )

    async def prune_orphan_digests(self, before: datetime) -> int:
        """Delete digests and transcripts made before `before` whose item is no longer stored (pruned, or
        its feed removed), and those of the CLI's files, which have no item; returns the rows deleted.

        They are keyed by the item's `digest_key`, not a foreign key, so nothing cascades to them.
        """
        async with self.db.transaction() as tx:
            digests = await tx.execute(
                "DELETE FROM digests WHERE created_at < ? "
                "AND NOT EXISTS (SELECT 1 FROM items i WHERE i.digest_key = digests.episode_key)",
                (to_db(before),),
            )
            transcripts = await tx.execute(
                "DELETE FROM search_transcripts WHERE updated_at < ? "
                "AND NOT EXISTS (SELECT 1 FROM items i WHERE i.digest_key = search_transcripts.episode_key)",
                (to_db(before),),
            )
        return digests + transcripts

    async def prune_llm_usage(self, before: datetime) -> int:
        """Delete the daily LLM spend counters of days before `before` (the budget looks at recent days)."""
        return await self.db.execute(
            "DELETE FROM llm_usage_daily WHERE day < ?", (before.date().isoformat(),)
        )

    async def optimize(self) -> None:
        """Let the engine refresh the statistics its query planner uses (cheap; run after large deletes)."""
        await self.db.execute("ANALYZE" if self.postgresql else "PRAGMA optimize")
