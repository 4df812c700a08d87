"""WebSub subscriptions: one row per feed that declares a hub, with its secret, state and lease.

The poller records what a feed declares (`record_hub`, `mark_undeclared`); the subscriber service moves a
row through its states (`mark_requested`, `activate`, `deactivate`, `mark_failed`) and the callback reads
it by the random token of its URL (`get_by_token`). `push_active` is what the poll schedule asks.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from bot.store.base import Repo
from bot.timeutil import from_db, to_db

if TYPE_CHECKING:
    import aiosqlite

SubState = Literal["new", "pending", "active", "unsubscribing", "inactive"]
TOKEN_BYTES = 24
SECRET_BYTES = 32


@dataclass(frozen=True, slots=True)
class WebSubSubscription:
    """A row of `websub_subscriptions`, with the facts about its feed that decide whether it is wanted."""

    id: int
    feed_id: int
    hub: str
    topic: str
    callback_token: str
    secret: str
    declared: bool
    state: SubState
    requested_at: datetime | None
    lease_seconds: int | None
    lease_expires_at: datetime | None
    last_notification_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    next_attempt_at: datetime | None
    feed_active: bool = True
    followers: int = 0

    def __repr__(self) -> str:  # the secret never reaches a log line
        return f"WebSubSubscription(id={self.id}, feed_id={self.feed_id}, state={self.state!r})"


def _from_row(row: aiosqlite.Row) -> WebSubSubscription:
    keys = row.keys()
    return WebSubSubscription(
        id=row["id"], feed_id=row["feed_id"], hub=row["hub"], topic=row["topic"],
        callback_token=row["callback_token"], secret=row["secret"], declared=bool(row["declared"]),
        state=row["state"], requested_at=from_db(row["requested_at"]), lease_seconds=row["lease_seconds"],
        lease_expires_at=from_db(row["lease_expires_at"]),
        last_notification_at=from_db(row["last_notification_at"]), last_error=row["last_error"],
        last_error_at=from_db(row["last_error_at"]), failures=row["failures"],
        next_attempt_at=from_db(row["next_attempt_at"]),
        feed_active=bool(row["feed_active"]) if "feed_active" in keys else True,
        followers=int(row["followers"]) if "followers" in keys else 0,
    )  # fmt: skip


_WITH_DEMAND = (
    "SELECT w.*, f.active AS feed_active, "
    "(SELECT count(*) FROM subscriptions s WHERE s.feed_id = w.feed_id) AS followers "
    "FROM websub_subscriptions w JOIN feeds f ON f.id = w.feed_id"
)


class WebSubRepo(Repo):
    """The subscriptions' SQL. Tokens and secrets are made here, with `secrets`, when a hub is recorded."""

    async def record_hub(self, feed_id: int, hub: str, topic: str, now: datetime) -> None:
        """Remember that a feed declares `hub` for `topic`.

        A new or changed hub/topic gets a fresh callback token and secret and starts over ('new'); the
        old hub's lease simply lapses, and its notifications no longer find a subscription.
        """
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT hub, topic, declared, state FROM websub_subscriptions WHERE feed_id = ?", (feed_id,)
            )
            if row is None:
                await tx.insert(
                    "INSERT INTO websub_subscriptions "
                    "(feed_id, hub, topic, callback_token, secret, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (feed_id, hub, topic, _token(), _secret(), to_db(now)),
                )
            elif (row["hub"], row["topic"]) != (hub, topic):
                await tx.execute(
                    "UPDATE websub_subscriptions SET hub = ?, topic = ?, callback_token = ?, secret = ?, "
                    "declared = 1, state = 'new', requested_at = NULL, lease_seconds = NULL, "
                    "lease_expires_at = NULL, last_error = NULL, last_error_at = NULL, failures = 0, "
                    "next_attempt_at = NULL WHERE feed_id = ?",
                    (hub, topic, _token(), _secret(), feed_id),
                )
            elif not row["declared"]:
                await tx.execute(
                    "UPDATE websub_subscriptions SET declared = 1, state = CASE WHEN state = 'inactive' "
                    "THEN 'new' ELSE state END WHERE feed_id = ?",
                    (feed_id,),
                )

    async def mark_undeclared(self, feed_id: int) -> None:
        """The feed no longer names a hub: the service unsubscribes."""
        await self.db.execute(
            "UPDATE websub_subscriptions SET declared = 0 WHERE feed_id = ? AND declared = 1", (feed_id,)
        )

    async def get(self, feed_id: int) -> WebSubSubscription | None:
        row = await self.db.fetchone(f"{_WITH_DEMAND} WHERE w.feed_id = ?", (feed_id,))
        return _from_row(row) if row else None

    async def get_by_token(self, token: str) -> WebSubSubscription | None:
        """The subscription whose callback URL ends with `token`, or None."""
        row = await self.db.fetchone(f"{_WITH_DEMAND} WHERE w.callback_token = ?", (token,))
        return _from_row(row) if row else None

    async def list_all(self) -> list[WebSubSubscription]:
        """Every subscription with whether its feed is active and how many servers follow it."""
        rows = await self.db.fetchall(f"{_WITH_DEMAND} ORDER BY w.id")
        return [_from_row(row) for row in rows]

    async def mark_requested(self, sub_id: int, state: SubState, now: datetime) -> None:
        """A (un)subscription request was accepted by the hub; the verification is awaited."""
        await self.db.execute(
            "UPDATE websub_subscriptions SET state = ?, requested_at = ?, next_attempt_at = NULL "
            "WHERE id = ?",
            (state, to_db(now), sub_id),
        )

    async def mark_failed(
        self, sub_id: int, error: str, now: datetime, retry_at: datetime, *, state: SubState | None = None
    ) -> None:
        """A request failed (or the hub denied it): remember why and when to try again."""
        await self.db.execute(
            "UPDATE websub_subscriptions SET last_error = ?, last_error_at = ?, failures = failures + 1, "
            "next_attempt_at = ?, state = COALESCE(?, state) WHERE id = ?",
            (error[:500], to_db(now), to_db(retry_at), state, sub_id),
        )

    async def activate(self, sub_id: int, lease_seconds: int, now: datetime) -> None:
        """The hub verified a subscription: active until the lease runs out; past errors are cleared."""
        expires = now + timedelta(seconds=lease_seconds)
        await self.db.execute(
            "UPDATE websub_subscriptions SET state = 'active', lease_seconds = ?, lease_expires_at = ?, "
            "last_error = NULL, last_error_at = NULL, failures = 0, next_attempt_at = NULL WHERE id = ?",
            (lease_seconds, to_db(expires), sub_id),
        )

    async def deactivate(self, sub_id: int) -> None:
        """Unsubscribed (verified by the hub) or given up: no lease."""
        await self.db.execute(
            "UPDATE websub_subscriptions SET state = 'inactive', lease_expires_at = NULL, "
            "next_attempt_at = NULL WHERE id = ?",
            (sub_id,),
        )

    async def record_notification(self, sub_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE websub_subscriptions SET last_notification_at = ? WHERE id = ?", (to_db(now), sub_id)
        )

    async def push_active(self, feed_id: int, now: datetime, error_grace: timedelta) -> bool:
        """Whether push is healthy for a feed: active, lease unexpired, no error within `error_grace`."""
        value = await self.db.fetchval(
            "SELECT count(*) FROM websub_subscriptions WHERE feed_id = ? AND state = 'active' "
            "AND lease_expires_at > ? AND (last_error_at IS NULL OR last_error_at < ?)",
            (feed_id, to_db(now), to_db(now - error_grace)),
        )
        return bool(value)

    async def count_by_state(self) -> dict[str, int]:
        """How many subscriptions are in each state (for the metrics)."""
        rows = await self.db.fetchall("SELECT state, count(*) AS n FROM websub_subscriptions GROUP BY state")
        return {row["state"]: int(row["n"]) for row in rows}


def _token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)
