"""The moderators' audit log: who ran which admin command, when, with what, and how it ended.

Full-text search lives beside it in `bot.store.search`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.audit_entries import OUTCOMES, AuditEntry, NewAuditEntry, Outcome, RefusalSummary
from bot.store.base import Repo
from bot.timeutil import from_db, to_db, utcnow

_COLUMNS = "id, guild_id, user_id, user_name, command, arguments, outcome, detail, channel_id, created_at"


def _entry(row: sqlite3.Row) -> AuditEntry:
    created = from_db(row["created_at"]) or utcnow()
    return AuditEntry(
        id=row["id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        user_name=row["user_name"],
        command=row["command"],
        arguments=json.loads(row["arguments"]),
        outcome=row["outcome"],
        detail=row["detail"],
        channel_id=row["channel_id"],
        created_at=created,
    )


def _filters(
    guild_id: int,
    user_id: int | None,
    command: str | None,
    outcomes: Sequence[Outcome] | None = None,
) -> tuple[str, list[object]]:
    where = ["guild_id = ?"]
    params: list[object] = [guild_id]
    if user_id is not None:
        where.append("user_id = ?")
        params.append(user_id)
    if command:
        # "feed" finds "admin feed add" and "admin feed remove"; matched on whole words at the start.
        where.append("(command = ? OR command LIKE ? ESCAPE '\\')")
        escaped = command.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.extend([command, escaped + " %"])
    if outcomes is not None:
        wanted = [outcome for outcome in OUTCOMES if outcome in outcomes]
        where.append(f"outcome IN ({', '.join('?' for _ in wanted) or 'NULL'})")
        params.extend(wanted)
    return " AND ".join(where), params


class AuditRepo(Repo):
    """Append-only log of moderator actions, per guild."""

    async def record(self, entry: NewAuditEntry) -> int:
        """Store one action; returns its id."""
        return await self.db.insert(
            "INSERT INTO audit_log (guild_id, user_id, user_name, command, arguments, outcome, detail, "
            "channel_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.guild_id,
                entry.user_id,
                entry.user_name,
                entry.command,
                json.dumps(entry.arguments, ensure_ascii=False, sort_keys=True),
                entry.outcome,
                entry.detail,
                entry.channel_id,
                to_db(entry.created_at),
            ),
        )

    async def recent(
        self,
        guild_id: int,
        *,
        limit: int = 10,
        offset: int = 0,
        user_id: int | None = None,
        command: str | None = None,
        outcomes: Sequence[Outcome] | None = None,
    ) -> list[AuditEntry]:
        """The guild's entries, newest first, optionally only one person's, one command's, or those that
        ended in one of `outcomes`."""
        where, params = _filters(guild_id, user_id, command, outcomes)
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM audit_log WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",  # noqa: S608
            (*params, limit, offset),
        )
        return [_entry(row) for row in rows]

    async def count(
        self,
        guild_id: int,
        *,
        user_id: int | None = None,
        command: str | None = None,
        outcomes: Sequence[Outcome] | None = None,
    ) -> int:
        """How many entries `recent` can page through with the same filters."""
        where, params = _filters(guild_id, user_id, command, outcomes)
        return int(await self.db.fetchval(f"SELECT count(*) FROM audit_log WHERE {where}", params) or 0)  # noqa: S608

    async def refusals(
        self, guild_id: int, *, user_id: int | None = None, command: str | None = None
    ) -> RefusalSummary:
        """The refused attempts matching the filters, collapsed into one summary."""
        where, params = _filters(guild_id, user_id, command, ("refused",))
        row = await self.db.fetchone(
            f"SELECT count(*), count(DISTINCT user_id), max(created_at) FROM audit_log WHERE {where}",  # noqa: S608
            params,
        )
        if row is None:
            return RefusalSummary(0, 0, None)
        return RefusalSummary(int(row[0]), int(row[1]), from_db(row[2]))

    async def commands(self, guild_id: int, prefix: str = "", *, limit: int = 25) -> list[str]:
        """Distinct command names recorded in the guild that start with `prefix` (for autocomplete)."""
        escaped = prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = await self.db.fetchall(
            "SELECT command, max(id) AS latest FROM audit_log WHERE guild_id = ? "
            "AND command LIKE ? ESCAPE '\\' GROUP BY command ORDER BY latest DESC LIMIT ?",
            (guild_id, f"%{escaped}%", limit),
        )
        return [row["command"] for row in rows]

    async def prune(self, before: datetime) -> int:
        """Delete entries older than `before` (retention); returns how many went."""
        return await self.db.execute("DELETE FROM audit_log WHERE created_at < ?", (to_db(before),))
