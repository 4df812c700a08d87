"""Tracked discussion threads and their activity counters.

Tables (migration 0006): `tracked_parents`, `threads`, `thread_participants` (personal data: pruned with
the thread, see `prune`), `thread_activity` (messages per thread per UTC hour), `thread_weekly`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import aiosqlite

from bot.store.base import Repo
from bot.threads.models import (
    FlushResult,
    PruneResult,
    ThreadActivity,
    ThreadDelta,
    ThreadSource,
    ThreadStatus,
    TrackedParent,
    TrackedThread,
    WeeklyConfig,
)
from bot.timeutil import from_db, to_db, utcnow

_THREAD_COLUMNS = (
    "t.thread_id, t.guild_id, t.parent_id, t.item_id, t.name, t.source, t.state, t.locked, t.tags, "
    "t.message_count, t.participant_count, t.created_at, t.first_activity_at, t.last_activity_at, "
    "t.tracked_at"
)

# One flush: counters, participant pairs and hourly buckets, each only for threads still tracked.
_FLUSH_COUNTERS = (
    "UPDATE threads SET message_count = message_count + ?, "
    "first_activity_at = CASE WHEN first_activity_at IS NULL OR first_activity_at > ? THEN ? "
    "ELSE first_activity_at END, "
    "last_activity_at = CASE WHEN last_activity_at IS NULL OR last_activity_at < ? THEN ? "
    "ELSE last_activity_at END, updated_at = ? "
    "WHERE thread_id = ? AND state != 'deleted'"
)
_FLUSH_PARTICIPANTS = (
    "INSERT OR IGNORE INTO thread_participants (thread_id, user_id) "
    "SELECT ?, ? WHERE EXISTS (SELECT 1 FROM threads WHERE thread_id = ? AND state != 'deleted')"
)
_FLUSH_HOURS = (
    "INSERT INTO thread_activity (thread_id, hour, messages) "
    "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM threads WHERE thread_id = ? AND state != 'deleted') "
    "ON CONFLICT (thread_id, hour) DO UPDATE SET messages = thread_activity.messages + excluded.messages"
)
_FLUSH_PARTICIPANT_COUNT = (
    "UPDATE threads SET participant_count = pruned_participants + "
    "(SELECT count(*) FROM thread_participants p WHERE p.thread_id = threads.thread_id) WHERE thread_id = ?"
)


def _thread(row: aiosqlite.Row) -> TrackedThread:
    return TrackedThread(
        thread_id=row["thread_id"],
        guild_id=row["guild_id"],
        parent_id=row["parent_id"],
        item_id=row["item_id"],
        name=row["name"],
        source=row["source"],
        state=row["state"],
        locked=bool(row["locked"]),
        tags=tuple(json.loads(row["tags"])),
        message_count=row["message_count"],
        participant_count=row["participant_count"],
        created_at=_dt(row["created_at"]),
        first_activity_at=from_db(row["first_activity_at"]),
        last_activity_at=from_db(row["last_activity_at"]),
        tracked_at=_dt(row["tracked_at"]),
    )


def _dt(value: str) -> datetime:
    parsed = from_db(value)
    assert parsed is not None  # noqa: S101  (NOT NULL columns)
    return parsed


class ThreadRepo(Repo):
    # Tracking ----------------------------------------------------------------------------------------

    async def track(
        self,
        *,
        thread_id: int,
        guild_id: int,
        parent_id: int | None,
        name: str,
        created_at: datetime,
        source: ThreadSource,
        item_id: int | None = None,
        tags: Iterable[str] = (),
        archived: bool = False,
        locked: bool = False,
    ) -> bool:
        """Start tracking a thread (or refresh it if already tracked); True when it was new.

        Re-tracking keeps the counters; an episode link, once set, is only replaced by another episode link,
        and a thread tracked for an episode stays an episode thread.
        """
        now = to_db(utcnow())
        state = "archived" if archived else "active"
        async with self.db.transaction() as tx:
            existed = await tx.fetchone("SELECT 1 FROM threads WHERE thread_id = ?", (thread_id,))
            await tx.execute(
                "INSERT INTO threads (thread_id, guild_id, parent_id, item_id, name, source, state, locked, "
                "tags, created_at, tracked_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (thread_id) DO UPDATE SET parent_id = excluded.parent_id, "
                "item_id = coalesce(excluded.item_id, threads.item_id), name = excluded.name, "
                "source = CASE WHEN threads.source = 'episode' THEN threads.source ELSE excluded.source END, "
                "state = excluded.state, locked = excluded.locked, tags = excluded.tags, "
                "updated_at = excluded.updated_at",
                (
                    thread_id,
                    guild_id,
                    parent_id,
                    item_id,
                    name,
                    source,
                    state,
                    int(locked),
                    json.dumps(list(tags)),
                    to_db(created_at),
                    now,
                    now,
                ),
            )
        return existed is None

    async def untrack(self, guild_id: int, thread_id: int) -> bool:
        """Stop tracking one thread, forgetting its counters and participants; True if it was tracked."""
        return (
            await self.db.execute(
                "DELETE FROM threads WHERE guild_id = ? AND thread_id = ?", (guild_id, thread_id)
            )
            > 0
        )

    async def tracked_ids(self) -> dict[int, int]:
        """Every thread still counted (not deleted), as thread id → guild id."""
        rows = await self.db.fetchall("SELECT thread_id, guild_id FROM threads WHERE state != 'deleted'")
        return {row["thread_id"]: row["guild_id"] for row in rows}

    async def update_status(self, thread_id: int, status: ThreadStatus) -> bool:
        """Apply what Discord reports about a thread (name, archived, locked, tags); True if tracked."""
        sets: list[str] = []
        params: list[Any] = []
        if status.name is not None:
            sets.append("name = ?")
            params.append(status.name)
        if status.archived is not None:
            sets.append("state = ?")
            params.append("archived" if status.archived else "active")
        if status.locked is not None:
            sets.append("locked = ?")
            params.append(int(status.locked))
        if status.tags is not None:
            sets.append("tags = ?")
            params.append(json.dumps(list(status.tags)))
        if status.parent_id is not None:
            sets.append("parent_id = ?")
            params.append(status.parent_id)
        sets.append("updated_at = ?")
        params.extend([to_db(utcnow()), thread_id])
        sql = f"UPDATE threads SET {', '.join(sets)} WHERE thread_id = ? AND state != 'deleted'"  # noqa: S608
        return await self.db.execute(sql, params) > 0

    async def mark_deleted(self, thread_id: int) -> bool:
        """The thread is gone from Discord: hide it everywhere and drop its participants (personal data)."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE threads SET state = 'deleted', updated_at = ? "
                "WHERE thread_id = ? AND state != 'deleted'",
                (to_db(utcnow()), thread_id),
            )
            await tx.execute("DELETE FROM thread_participants WHERE thread_id = ?", (thread_id,))
        return changed > 0

    # Tracked channels and forums ---------------------------------------------------------------------

    async def track_parent(self, guild_id: int, channel_id: int, added_by: int | None) -> bool:
        """Track every new thread of a channel or forum; True when it was not tracked yet."""
        return (
            await self.db.execute(
                "INSERT INTO tracked_parents (guild_id, channel_id, added_by, added_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (guild_id, channel_id) DO NOTHING",
                (guild_id, channel_id, added_by, to_db(utcnow())),
            )
            > 0
        )

    async def untrack_parent(self, guild_id: int, channel_id: int) -> tuple[bool, list[int]]:
        """Stop tracking a channel and the threads tracked because of it (episode threads stay).

        Returns whether the channel was tracked and the ids of the threads no longer tracked.
        """
        async with self.db.transaction() as tx:
            removed = await tx.execute(
                "DELETE FROM tracked_parents WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
            )
            rows = await tx.fetchall(
                "SELECT thread_id FROM threads WHERE guild_id = ? AND parent_id = ? AND source = 'channel'",
                (guild_id, channel_id),
            )
            ids = [row["thread_id"] for row in rows]
            await tx.execute(
                "DELETE FROM threads WHERE guild_id = ? AND parent_id = ? AND source = 'channel'",
                (guild_id, channel_id),
            )
        return removed > 0, ids

    async def parents(self, guild_id: int | None = None) -> list[TrackedParent]:
        """The tracked channels of one guild, or of every guild."""
        sql = "SELECT guild_id, channel_id, added_by, added_at FROM tracked_parents"
        params: tuple[Any, ...] = ()
        if guild_id is not None:
            sql += " WHERE guild_id = ?"
            params = (guild_id,)
        rows = await self.db.fetchall(sql + " ORDER BY guild_id, added_at", params)
        return [
            TrackedParent(r["guild_id"], r["channel_id"], r["added_by"], _dt(r["added_at"])) for r in rows
        ]

    # Counting ----------------------------------------------------------------------------------------

    async def apply_flush(self, batch: Mapping[int, ThreadDelta]) -> FlushResult:
        """Write a batch of counted activity in ONE transaction; participants stay exact (unique pairs).

        Threads that are no longer tracked (untracked or deleted meanwhile) are skipped. Every row is
        written in one order (thread id, then user or hour), so two processes flushing the same threads at
        once wait for each other row by row instead of deadlocking (PostgreSQL would abort one of them);
        each counter is an increment of the stored value, so neither loses the other's update.
        """
        if not batch:
            return FlushResult()
        now = to_db(utcnow())
        counters: list[tuple[Any, ...]] = []
        pairs: list[tuple[int, int, int]] = []
        hours: list[tuple[Any, ...]] = []
        events = 0
        for thread_id, delta in sorted(batch.items()):
            first, last = to_db(delta.first_at), to_db(delta.last_at)
            counters.append((delta.messages, first, first, last, last, now, thread_id))
            pairs.extend((thread_id, user_id, thread_id) for user_id in sorted(delta.participants))
            hours.extend((thread_id, to_db(hour), n, thread_id) for hour, n in sorted(delta.hours.items()))
            events += delta.messages
        async with self.db.transaction() as tx:
            await tx.executemany(_FLUSH_COUNTERS, counters)
            await tx.executemany(_FLUSH_PARTICIPANTS, pairs)
            await tx.executemany(_FLUSH_HOURS, hours)
            await tx.executemany(_FLUSH_PARTICIPANT_COUNT, [(thread_id,) for thread_id in sorted(batch)])
        statements = len(counters) * 2 + len(pairs) + len(hours)
        return FlushResult(threads=len(batch), events=events, statements=statements, transactions=1)

    # Reading -----------------------------------------------------------------------------------------

    async def get(self, thread_id: int) -> TrackedThread | None:
        """One tracked thread (any state), or None."""
        row = await self.db.fetchone(
            f"SELECT {_THREAD_COLUMNS} FROM threads t WHERE t.thread_id = ?",  # noqa: S608
            (thread_id,),
        )
        return _thread(row) if row else None

    async def in_guild(self, guild_id: int, *, include_deleted: bool = False) -> list[TrackedThread]:
        """Every tracked thread of a guild (for reconciliation), oldest first."""
        where = "" if include_deleted else " AND t.state != 'deleted'"
        rows = await self.db.fetchall(
            f"SELECT {_THREAD_COLUMNS} FROM threads t WHERE t.guild_id = ?{where} ORDER BY t.thread_id",  # noqa: S608
            (guild_id,),
        )
        return [_thread(row) for row in rows]

    async def archived_least_checked(self, guild_id: int, limit: int) -> list[TrackedThread]:
        """The guild's archived threads, the one whose state was confirmed longest ago first.

        Every status update (a fetch during reconciliation included) moves a thread to the back.
        """
        rows = await self.db.fetchall(
            f"SELECT {_THREAD_COLUMNS} FROM threads t WHERE t.guild_id = ? AND t.state = 'archived' "  # noqa: S608
            "ORDER BY t.updated_at, t.thread_id LIMIT ?",
            (guild_id, limit),
        )
        return [_thread(row) for row in rows]

    async def recent(self, guild_id: int, limit: int = 10) -> list[TrackedThread]:
        """The guild's threads with the latest messages first (threads without messages last)."""
        rows = await self.db.fetchall(
            f"SELECT {_THREAD_COLUMNS} FROM threads t WHERE t.guild_id = ? AND t.state != 'deleted' "  # noqa: S608
            "ORDER BY t.last_activity_at IS NULL, t.last_activity_at DESC, t.created_at DESC LIMIT ?",
            (guild_id, limit),
        )
        return [_thread(row) for row in rows]

    async def activity_since(
        self, guild_id: int, since: datetime
    ) -> list[tuple[TrackedThread, datetime, int]]:
        """Hourly message buckets since `since` for the guild's live threads: (thread, hour, messages)."""
        rows = await self.db.fetchall(
            f"SELECT {_THREAD_COLUMNS}, a.hour, a.messages FROM thread_activity a "  # noqa: S608
            "JOIN threads t ON t.thread_id = a.thread_id "
            "WHERE t.guild_id = ? AND t.state != 'deleted' AND a.hour >= ? ORDER BY t.thread_id",
            (guild_id, to_db(since)),
        )
        return [(_thread(row), _dt(row["hour"]), row["messages"]) for row in rows]

    async def activity_between(
        self, guild_id: int, start: datetime, end: datetime, limit: int = 10
    ) -> list[ThreadActivity]:
        """The guild's threads by messages received in [start, end), busiest first."""
        rows = await self.db.fetchall(
            f"SELECT {_THREAD_COLUMNS}, sum(a.messages) AS window_messages FROM thread_activity a "  # noqa: S608
            "JOIN threads t ON t.thread_id = a.thread_id "
            "WHERE t.guild_id = ? AND t.state != 'deleted' AND a.hour >= ? AND a.hour < ? "
            "GROUP BY t.thread_id ORDER BY window_messages DESC, t.participant_count DESC LIMIT ?",
            (guild_id, to_db(start), to_db(end), limit),
        )
        return [ThreadActivity(_thread(row), row["window_messages"]) for row in rows]

    async def threads_for_item(self, guild_id: int, item_id: int) -> list[TrackedThread]:
        """The guild's threads about one episode: its announcement thread first, then the busiest."""
        rows = await self.db.fetchall(
            f"SELECT {_THREAD_COLUMNS} FROM threads t "  # noqa: S608
            "WHERE t.guild_id = ? AND t.item_id = ? AND t.state != 'deleted' "
            "ORDER BY t.source != 'episode', t.message_count DESC, t.created_at",
            (guild_id, item_id),
        )
        return [_thread(row) for row in rows]

    async def thread_for_item(self, guild_id: int, item_id: int) -> TrackedThread | None:
        """The episode's discussion thread in this guild (for `/episode`), or None."""
        found = await self.threads_for_item(guild_id, item_id)
        return found[0] if found else None

    async def episode_threads_created_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> list[TrackedThread]:
        """Episode threads created in [start, end), oldest first (the week's episodes without a feed)."""
        rows = await self.db.fetchall(
            f"SELECT {_THREAD_COLUMNS} FROM threads t WHERE t.guild_id = ? AND t.source = 'episode' "  # noqa: S608
            "AND t.item_id IS NOT NULL AND t.state != 'deleted' AND t.created_at >= ? AND t.created_at < ? "
            "ORDER BY t.created_at",
            (guild_id, to_db(start), to_db(end)),
        )
        return [_thread(row) for row in rows]

    async def episode_choices(self, guild_id: int, query: str, limit: int = 25) -> list[tuple[int, str]]:
        """Episodes with a tracked thread in this guild whose thread name contains `query`, newest first."""
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self.db.fetchall(
            "SELECT item_id, name FROM threads "
            "WHERE guild_id = ? AND item_id IS NOT NULL AND state != 'deleted' "
            "AND name LIKE ? ESCAPE '\\' ORDER BY source != 'episode', created_at DESC LIMIT ?",
            (guild_id, pattern, limit * 2),
        )
        seen: dict[int, str] = {}
        for row in rows:
            seen.setdefault(row["item_id"], row["name"])
        return list(seen.items())[:limit]

    # Weekly post -------------------------------------------------------------------------------------

    async def set_weekly(
        self, guild_id: int, *, channel_id: int, weekday: int, hour: int, configured_by: int | None
    ) -> None:
        """Set when and where the weekly post goes; the weeks already posted stay recorded."""
        await self.db.execute(
            "INSERT INTO thread_weekly (guild_id, channel_id, weekday, hour, configured_by, configured_at) "
            "VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, "
            "weekday = excluded.weekday, hour = excluded.hour, configured_by = excluded.configured_by, "
            "configured_at = excluded.configured_at",
            (guild_id, channel_id, weekday, hour, configured_by, to_db(utcnow())),
        )

    async def clear_weekly(self, guild_id: int) -> bool:
        """Turn the weekly post off; True if it was on."""
        return await self.db.execute("DELETE FROM thread_weekly WHERE guild_id = ?", (guild_id,)) > 0

    async def weekly(self, guild_id: int | None = None) -> list[WeeklyConfig]:
        """The weekly-post settings of one guild, or of every guild."""
        sql = (
            "SELECT guild_id, channel_id, weekday, hour, configured_by, configured_at, last_week, "
            "last_message_id, last_posted_at FROM thread_weekly"
        )
        params: tuple[Any, ...] = ()
        if guild_id is not None:
            sql += " WHERE guild_id = ?"
            params = (guild_id,)
        rows = await self.db.fetchall(sql + " ORDER BY guild_id", params)
        return [
            WeeklyConfig(
                guild_id=r["guild_id"],
                channel_id=r["channel_id"],
                weekday=r["weekday"],
                hour=r["hour"],
                configured_by=r["configured_by"],
                configured_at=_dt(r["configured_at"]),
                last_week=r["last_week"],
                last_message_id=r["last_message_id"],
                last_posted_at=from_db(r["last_posted_at"]),
            )
            for r in rows
        ]

    async def mark_weekly_posted(self, guild_id: int, week: str, message_id: int, at: datetime) -> None:
        """Record that the post of `week` (e.g. "2026-W48") went out, so it is never posted twice."""
        await self.db.execute(
            "UPDATE thread_weekly SET last_week = ?, last_message_id = ?, last_posted_at = ? "
            "WHERE guild_id = ?",
            (week, message_id, to_db(at), guild_id),
        )

    # Retention ---------------------------------------------------------------------------------------

    async def prune(self, *, activity_before: datetime, dormant_before: datetime) -> PruneResult:
        """Forget what is no longer needed.

        - hourly buckets older than `activity_before`;
        - threads deleted on Discord before `activity_before` (they are no longer shown anyway);
        - participant pairs of threads with no message since `dormant_before` (their count is kept).
        """
        async with self.db.transaction() as tx:
            activity = await tx.execute(
                "DELETE FROM thread_activity WHERE hour < ?", (to_db(activity_before),)
            )
            deleted = await tx.execute(
                "DELETE FROM threads WHERE state = 'deleted' AND updated_at < ?", (to_db(activity_before),)
            )
            dormant = "SELECT thread_id FROM threads WHERE coalesce(last_activity_at, created_at) < ?"
            await tx.execute(
                "UPDATE threads SET pruned_participants = participant_count "  # noqa: S608
                f"WHERE thread_id IN ({dormant}) AND pruned_participants != participant_count",
                (to_db(dormant_before),),
            )
            pruned = await tx.execute(
                f"DELETE FROM thread_participants WHERE thread_id IN ({dormant})",  # noqa: S608
                (to_db(dormant_before),),
            )
        return PruneResult(deleted_threads=deleted, pruned_participants=pruned, activity_rows=activity)
