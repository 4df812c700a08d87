"""Leases: one holder at a time for work that must happen once across the processes sharing a database.

A lease is a row: its holder, until when it holds it, and a term that rises with every change of holder
(a fencing token). Taking or renewing it is ONE conditional upsert, so two processes asking at once never
both win: on PostgreSQL the losing statement waits on the row and then sees the winner's holder; on SQLite
writes are serialised anyway. Expiry is judged by the `now` the caller passes (the processes' clocks must
agree to well within the lease's duration, as NTP-synchronised clocks do).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store.base import Repo
from bot.timeutil import from_db, to_db

_ACQUIRE = (
    "INSERT INTO leases (name, holder, term, acquired_at, renewed_at, expires_at) VALUES (?, ?, 1, ?, ?, ?) "
    "ON CONFLICT (name) DO UPDATE SET "
    "term = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > ? THEN leases.term "
    "ELSE leases.term + 1 END, "
    "acquired_at = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > ? "
    "THEN leases.acquired_at ELSE excluded.acquired_at END, "
    "holder = excluded.holder, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at "
    "WHERE leases.holder = excluded.holder OR leases.expires_at <= ?"
)


@dataclass(frozen=True, slots=True)
class Lease:
    name: str
    holder: str
    term: int
    acquired_at: datetime
    expires_at: datetime


class LeaseRepo(Repo):
    async def acquire(self, name: str, holder: str, *, now: datetime, duration: timedelta) -> Lease | None:
        """Take the lease `name` for `holder`, or renew it if `holder` has it; None when another holder's
        lease has not expired at `now`. A holder whose lease expired gets it back under a new term."""
        stamp = to_db(now)
        changed = await self.db.execute(
            _ACQUIRE, (name, holder, stamp, stamp, to_db(now + duration), stamp, stamp, stamp)
        )
        if not changed:
            return None
        lease = await self.current(name, now=now)
        return lease if lease is not None and lease.holder == holder else None

    async def release(self, name: str, holder: str) -> bool:
        """Give the lease up at once (a clean shutdown), so another process need not wait for it to expire.
        False when `holder` does not hold it."""
        return bool(await self.db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder)))

    async def current(self, name: str, *, now: datetime) -> Lease | None:
        """The lease's holder at `now`, or None when nobody holds it (never taken, released or expired)."""
        row = await self.db.fetchone(
            "SELECT name, holder, term, acquired_at, expires_at FROM leases "
            "WHERE name = ? AND expires_at > ?",
            (name, to_db(now)),
        )
        if row is None:
            return None
        acquired, expires = from_db(row["acquired_at"]), from_db(row["expires_at"])
        assert acquired is not None and expires is not None  # noqa: S101 (NOT NULL columns)
        return Lease(row["name"], row["holder"], int(row["term"]), acquired, expires)

    async def forget_all(self) -> int:
        """Drop every lease: only for a database one process can use (SQLite under its run lock), where
        any lease left behind belongs to a process that died. Returns how many were dropped."""
        return await self.db.execute("DELETE FROM leases", ())
