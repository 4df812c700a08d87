"""Leases: one holder at a time for work that must happen once across the processes sharing a database.

A lease is a row: its holder, until when it holds it, and a term that rises with every change of holder
(a fencing token). Taking or renewing it is ONE conditional upsert, so two processes asking at once never
both win: on PostgreSQL the losing statement waits on the row and then sees the winner's holder; on SQLite
writes are serialised anyway. Expiry is judged by the `now` the caller passes (the processes' clocks must
agree to well within the lease's duration, as NTP-synchronised clocks do).

The term fences the holder's writes: a write made on the strength of a lease checks, in its own transaction,
that the lease still has that holder and term (`check_held`), so a holder that was paused past its lease
and replaced cannot commit after its successor took over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.store.base import Repo
from bot.timeutil import from_db, to_db

if TYPE_CHECKING:
    from bot.store.db import Transaction

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


class LeaseLost(Exception):
    """The lease a write depended on has changed hands (or was released): the write was not committed."""

    def __init__(self, lease: Lease) -> None:
        super().__init__(f"the {lease.name} lease (term {lease.term}) is no longer held by {lease.holder}")
        self.lease = lease


async def check_held(tx: Transaction, lease: Lease) -> None:
    """In a transaction about to write on the strength of `lease`: raise `LeaseLost` (so the transaction
    rolls back) unless the lease still has the same holder and term.

    On PostgreSQL the lease row stays locked (`FOR SHARE`) until the transaction ends, so another process's
    `acquire` waits for this commit rather than slipping in between the check and the write; a lease that ran
    out but was not taken yet still fences correctly. On SQLite writes are serialised anyway.
    """
    lock = " FOR SHARE" if tx.dialect == "postgresql" else ""
    row = await tx.fetchone(
        f"SELECT 1 FROM leases WHERE name = ? AND holder = ? AND term = ?{lock}",  # noqa: S608 (fixed clause)
        (lease.name, lease.holder, lease.term),
    )
    if row is None:
        raise LeaseLost(lease)


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
