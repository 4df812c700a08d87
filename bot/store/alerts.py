"""The moderator-alert outbox (migration 0010): alerts recorded before they are sent, retried until sent.

Rows are `pending` (not yet delivered; `next_attempt_at` says when to try again), `sent` (delivered to the
mod-log channel or the owner's DMs) or `failed` (refused for good; the error is kept for `/admin status`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from bot.store.base import Repo
from bot.timeutil import from_db, to_db, utcnow

if TYPE_CHECKING:
    import aiosqlite

AlertState = Literal["pending", "sent", "failed"]
ERROR_LIMIT = 500
#: How long a claimed attempt keeps an alert from other processes (a crash mid-send: tried again after).
ATTEMPT_HOLD = timedelta(minutes=2)
_COLUMNS = (
    "id, guild_id, text, nonce, state, attempts, next_attempt_at, last_error, delivered_to, message_id, "
    "created_at, done_at"
)


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    guild_id: int
    text: str
    nonce: str
    state: AlertState
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    delivered_to: str | None
    message_id: int | None
    created_at: datetime
    done_at: datetime | None


def _alert(row: aiosqlite.Row) -> Alert:
    return Alert(
        id=row["id"],
        guild_id=row["guild_id"],
        text=row["text"],
        nonce=row["nonce"],
        state=row["state"],
        attempts=row["attempts"],
        next_attempt_at=from_db(row["next_attempt_at"]),
        last_error=row["last_error"],
        delivered_to=row["delivered_to"],
        message_id=row["message_id"],
        created_at=from_db(row["created_at"]) or utcnow(),
        done_at=from_db(row["done_at"]),
    )


def alert_nonce(guild_id: int, text: str, created_at: datetime) -> str:
    """A deterministic send nonce (25 characters), so a retried send returns the message already made."""
    return hashlib.sha256(f"alert:{guild_id}:{to_db(created_at)}:{text}".encode()).hexdigest()[:25]


class AlertRepo(Repo):
    """One method per query over `alerts`."""

    async def add(self, guild_id: int, text: str) -> Alert:
        """Record an alert to deliver (before any attempt to send it)."""
        now = utcnow()
        alert_id = await self.db.insert(
            "INSERT INTO alerts (guild_id, text, nonce, created_at) VALUES (?, ?, ?, ?)",
            (guild_id, text, alert_nonce(guild_id, text, now), to_db(now)),
        )
        found = await self.get(alert_id)
        assert found is not None  # noqa: S101 (just inserted)
        return found

    async def get(self, alert_id: int) -> Alert | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM alerts WHERE id = ?", (alert_id,))  # noqa: S608
        return _alert(row) if row else None

    async def due(
        self, now: datetime, limit: int = 20, *, guilds: tuple[str, tuple[Any, ...]] = ("1 = 1", ())
    ) -> list[Alert]:
        """Pending alerts whose retry time has come, oldest first; `guilds` is an SQL condition on
        `guild_id` and its parameters (`Topology.guild_filter`: the guilds this process owns)."""
        condition, params = guilds
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM alerts WHERE state = 'pending' "  # noqa: S608
            f"AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND {condition} ORDER BY id LIMIT ?",
            (to_db(now), *params, limit),
        )
        return [_alert(row) for row in rows]

    async def begin_attempt(
        self, alert_id: int, *, now: datetime | None = None, hold: timedelta = ATTEMPT_HOLD
    ) -> bool:
        """Claim one attempt at a pending alert whose time has come: False when another process (or task)
        claimed it first or it is no longer pending. The claim pushes its retry time `hold` ahead, so an
        attempt cut short by a crash is tried again then (the nonce makes a repeated send return the
        first message)."""
        now = now or utcnow()
        return bool(
            await self.db.execute(
                "UPDATE alerts SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ? "
                "AND state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
                (to_db(now + hold), alert_id, to_db(now)),
            )
        )

    async def record_sent(self, alert_id: int, where: str, message_id: int | None) -> None:
        await self.db.execute(
            "UPDATE alerts SET state = 'sent', delivered_to = ?, message_id = ?, next_attempt_at = NULL, "
            "done_at = ? WHERE id = ?",
            (where, message_id, to_db(utcnow()), alert_id),
        )

    async def record_retry(self, alert_id: int, error: str, retry_at: datetime) -> None:
        """A transient failure: try again at `retry_at`."""
        await self.db.execute(
            "UPDATE alerts SET last_error = ?, next_attempt_at = ? WHERE id = ? AND state = 'pending'",
            (error[:ERROR_LIMIT], to_db(retry_at), alert_id),
        )

    async def record_failed(self, alert_id: int, error: str) -> None:
        """Refused for good (or out of attempts): kept with its error, for moderators to see."""
        await self.db.execute(
            "UPDATE alerts SET state = 'failed', last_error = ?, next_attempt_at = NULL, done_at = ? "
            "WHERE id = ?",
            (error[:ERROR_LIMIT], to_db(utcnow()), alert_id),
        )

    async def undelivered(self, guild_id: int, limit: int = 5) -> list[Alert]:
        """The guild's alerts not delivered yet or refused for good, newest first (for `/admin status`)."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM alerts WHERE guild_id = ? AND state != 'sent' "  # noqa: S608
            "ORDER BY id DESC LIMIT ?",
            (guild_id, limit),
        )
        return [_alert(row) for row in rows]

    async def prune(self, before: datetime) -> int:
        """Forget delivered or failed alerts finished before `before` (retention)."""
        return await self.db.execute(
            "DELETE FROM alerts WHERE state != 'pending' AND done_at < ?", (to_db(before),)
        )
