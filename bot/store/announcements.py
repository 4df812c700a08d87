"""Which guild follows which feed where, and the announcement outbox.

Tables `subscriptions` and `deliveries` (migration 0003). A delivery row is written before anything is
sent (the intent), updated with the message id after, and carries the state of every later step.

Several processes may share the outbox (docs/scaling.md): each takes only the deliveries of the guilds it
owns, and claims them (`claimed_by`, `claimed_at`) in the statement that reads them, so two processes never
get the same one. A claim holds while its process is live (a `processes` heartbeat younger than the
liveness window); a dead process's claims are taken over. The transaction creating deliveries signals
`DELIVERIES_CHANNEL`, which wakes every process's delivery loop at once (on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Unpack

from bot.announce.models import (
    ChannelKind,
    Delivery,
    DeliveryState,
    DigestState,
    PollState,
    Subscription,
    SubscriptionSettings,
    announcement_nonce,
)
from bot.fleet import Topology
from bot.store.base import Repo
from bot.store.feeds import feed_from_row, item_from_row
from bot.timeutil import from_db, to_db, utcnow

if TYPE_CHECKING:
    import aiosqlite

    from bot.feeds.models import Feed, StoredItem
    from bot.store.db import Transaction

_SUBSCRIPTION_COLUMNS = (
    "id, guild_id, feed_id, channel_id, channel_kind, ping_role_id, threads_enabled, auto_archive_minutes, "
    "daily_cap, forum_tag_id, paused, pause_reason, paused_by, paused_at, created_at, updated_at"
)
_DELIVERY_COLUMNS = (
    "id, guild_id, feed_id, item_id, channel_id, nonce, state, backfill, attempts, in_doubt, last_error, "
    "last_attempt_at, next_attempt_at, message_id, thread_id, announced_revision, summary_line, sent_at, "
    "tracked_at, digest_state, digest_message_id, step_attempts, poll_state, created_at, done_at"
)
_SELECT_SUBSCRIPTIONS = f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions"  # noqa: S608 (constants)
_SELECT_DELIVERIES = f"SELECT {_DELIVERY_COLUMNS} FROM deliveries"  # noqa: S608 (constants)
_SELECT_D = "SELECT {} FROM deliveries d".format(  # noqa: S608 (constants)
    ", ".join("d." + column.strip() for column in _DELIVERY_COLUMNS.split(","))
)
#: Settings a moderator may change on a subscription (column names, checked before building SQL).
SETTABLE = frozenset(SubscriptionSettings.__annotations__)
ERROR_LIMIT = 500
#: Signalled by every transaction that creates deliveries or makes waiting ones due (`Transaction.notify`).
DELIVERIES_CHANNEL = "aidb_deliveries"
_JOIN_SUBSCRIPTION = " JOIN subscriptions s ON s.guild_id = d.guild_id AND s.feed_id = d.feed_id"
_DUE_SENDS = "d.state = 'pending' AND s.paused = 0 AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?)"
_DUE_FOLLOWUPS = (
    "d.state IN ('sent', 'thread_created') AND s.paused = 0"
    " AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?)"
)


@dataclass(frozen=True, slots=True)
class Claimant:
    """The process taking deliveries: its id (`ProcessIdentity.id`), the guilds it owns, and how long a
    process stays live after its last heartbeat (its claims hold that long; `LEADER_LEASE_SECONDS`)."""

    process_id: str
    topology: Topology = field(default_factory=Topology)
    window: timedelta = timedelta(seconds=30)

    def condition(self, now: datetime) -> tuple[str, tuple[Any, ...]]:
        """SQL (over `deliveries d`) true for the deliveries this process may take at `now`: of a guild it
        owns, and unclaimed, claimed by itself, or claimed by a process that is no longer live."""
        owned, params = self.topology.guild_filter("d.guild_id")
        return (
            f" AND {owned} AND (d.claimed_by IS NULL OR d.claimed_by = ? OR NOT EXISTS"  # noqa: S608 (fixed)
            " (SELECT 1 FROM processes p WHERE p.id = d.claimed_by AND p.heartbeat_at > ?))",
            (*params, self.process_id, to_db(now - self.window)),
        )


def _subscription(row: aiosqlite.Row) -> Subscription:
    return Subscription(
        id=row["id"],
        guild_id=row["guild_id"],
        feed_id=row["feed_id"],
        channel_id=row["channel_id"],
        channel_kind=ChannelKind(row["channel_kind"]),
        ping_role_id=row["ping_role_id"],
        threads_enabled=bool(row["threads_enabled"]),
        auto_archive_minutes=row["auto_archive_minutes"],
        daily_cap=row["daily_cap"],
        forum_tag_id=row["forum_tag_id"],
        paused=bool(row["paused"]),
        pause_reason=row["pause_reason"],
        paused_by=row["paused_by"],
        paused_at=from_db(row["paused_at"]),
        created_at=from_db(row["created_at"]),  # type: ignore[arg-type]
        updated_at=from_db(row["updated_at"]),  # type: ignore[arg-type]
    )


def _delivery(row: aiosqlite.Row) -> Delivery:
    return Delivery(
        id=row["id"],
        guild_id=row["guild_id"],
        feed_id=row["feed_id"],
        item_id=row["item_id"],
        channel_id=row["channel_id"],
        nonce=row["nonce"],
        state=DeliveryState(row["state"]),
        backfill=bool(row["backfill"]),
        attempts=row["attempts"],
        in_doubt=bool(row["in_doubt"]),
        last_error=row["last_error"],
        last_attempt_at=from_db(row["last_attempt_at"]),
        next_attempt_at=from_db(row["next_attempt_at"]),
        message_id=row["message_id"],
        thread_id=row["thread_id"],
        announced_revision=row["announced_revision"],
        summary_line=row["summary_line"],
        sent_at=from_db(row["sent_at"]),
        tracked_at=from_db(row["tracked_at"]),
        digest_state=DigestState(row["digest_state"]),
        digest_message_id=row["digest_message_id"],
        step_attempts=row["step_attempts"],
        poll_state=PollState(row["poll_state"]),
        created_at=from_db(row["created_at"]),  # type: ignore[arg-type]
        done_at=from_db(row["done_at"]),
    )


def _day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


class AnnouncementRepo(Repo):
    """Subscriptions and the outbox. Every method is one query (or one transaction) over these tables."""

    # Subscriptions ---------------------------------------------------------------------------------

    async def subscribe(
        self, guild_id: int, feed_id: int, channel_id: int, channel_kind: ChannelKind
    ) -> Subscription:
        """Follow `feed_id` in `channel_id` (or move an existing subscription there, keeping its settings).

        Announcements not yet sent follow the subscription to the new channel.
        """
        now = to_db(utcnow())
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO subscriptions (guild_id, feed_id, channel_id, channel_kind, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, feed_id) DO UPDATE SET"
                " channel_id = excluded.channel_id, channel_kind = excluded.channel_kind,"
                " updated_at = excluded.updated_at",
                (guild_id, feed_id, channel_id, channel_kind.value, now, now),
            )
            await tx.execute(
                "UPDATE deliveries SET channel_id = ?, in_doubt = 0 WHERE guild_id = ? AND feed_id = ?"
                " AND state = 'pending'",
                (channel_id, guild_id, feed_id),
            )
            row = await tx.fetchone(
                _SELECT_SUBSCRIPTIONS + " WHERE guild_id = ? AND feed_id = ?",
                (guild_id, feed_id),
            )
        assert row is not None  # noqa: S101 (just written in this transaction)
        return _subscription(row)

    async def get_subscription(self, guild_id: int, feed_id: int) -> Subscription | None:
        """This guild's subscription to a feed, if it follows it."""
        row = await self.db.fetchone(
            _SELECT_SUBSCRIPTIONS + " WHERE guild_id = ? AND feed_id = ?",
            (guild_id, feed_id),
        )
        return _subscription(row) if row else None

    async def list_subscriptions(self, guild_id: int) -> list[Subscription]:
        """Every feed this guild follows, oldest subscription first."""
        rows = await self.db.fetchall(
            _SELECT_SUBSCRIPTIONS + " WHERE guild_id = ? ORDER BY id",
            (guild_id,),
        )
        return [_subscription(row) for row in rows]

    async def subscriptions_for_feed(
        self, feed_id: int, *, tx: Transaction | None = None
    ) -> list[Subscription]:
        """Every guild following a feed (paused ones included: their announcements wait for them)."""
        sql = _SELECT_SUBSCRIPTIONS + " WHERE feed_id = ? ORDER BY id"
        rows = await (tx.fetchall(sql, (feed_id,)) if tx else self.db.fetchall(sql, (feed_id,)))
        return [_subscription(row) for row in rows]

    async def count_subscribers(self, feed_id: int) -> int:
        """How many guilds follow a feed."""
        return int(await self.db.fetchval("SELECT count(*) FROM subscriptions WHERE feed_id = ?", (feed_id,)))

    async def unsubscribe(self, guild_id: int, feed_id: int) -> bool:
        """Stop following a feed; unsent announcements are cancelled. Returns whether it was followed."""
        async with self.db.transaction() as tx:
            removed = await tx.execute(
                "DELETE FROM subscriptions WHERE guild_id = ? AND feed_id = ?", (guild_id, feed_id)
            )
            await tx.execute(
                "UPDATE deliveries SET state = 'cancelled', in_doubt = 0, last_error = 'unfollowed'"
                " WHERE guild_id = ? AND feed_id = ? AND state = 'pending'",
                (guild_id, feed_id),
            )
        return removed > 0

    async def update_subscription(
        self, guild_id: int, feed_id: int, **values: Unpack[SubscriptionSettings]
    ) -> Subscription | None:
        """Change settings (`ping_role_id`, `threads_enabled`, `auto_archive_minutes`, `daily_cap`,
        `forum_tag_id`) of a subscription; None when the guild does not follow the feed."""
        unknown = set(values) - SETTABLE
        if unknown:
            raise ValueError(f"not a subscription setting: {sorted(unknown)}")
        if values:
            assignments = ", ".join(f"{name} = ?" for name in values)
            params = [int(v) if isinstance(v, bool) else v for v in values.values()]
            await self.db.execute(
                f"UPDATE subscriptions SET {assignments}, updated_at = ? WHERE guild_id = ? AND feed_id = ?",  # noqa: S608 (names checked above)
                (*params, to_db(utcnow()), guild_id, feed_id),
            )
        return await self.get_subscription(guild_id, feed_id)

    async def pause(self, guild_id: int, feed_id: int, reason: str, *, by: str) -> bool:
        """Pause delivery for a subscription. Returns True only when it was not paused before (alert once)."""
        changed = await self.db.execute(
            "UPDATE subscriptions SET paused = 1, pause_reason = ?, paused_by = ?, paused_at = ?,"
            " updated_at = ? WHERE guild_id = ? AND feed_id = ? AND paused = 0",
            (reason[:ERROR_LIMIT], by, to_db(utcnow()), to_db(utcnow()), guild_id, feed_id),
        )
        return changed > 0

    async def resume(self, guild_id: int, feed_id: int) -> int | None:
        """Resume a subscription; every waiting announcement is due now. Returns how many wait (None: not
        followed)."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE subscriptions SET paused = 0, pause_reason = NULL, paused_by = NULL,"
                " paused_at = NULL, updated_at = ? WHERE guild_id = ? AND feed_id = ?",
                (to_db(utcnow()), guild_id, feed_id),
            )
            if not changed:
                return None
            await tx.execute(
                "UPDATE deliveries SET next_attempt_at = NULL, attempts = 0"
                " WHERE guild_id = ? AND feed_id = ? AND state IN ('pending', 'sent', 'thread_created')",
                (guild_id, feed_id),
            )
            await tx.notify(DELIVERIES_CHANNEL)
            row = await tx.fetchone(
                "SELECT count(*) FROM deliveries WHERE guild_id = ? AND feed_id = ? AND state = 'pending'",
                (guild_id, feed_id),
            )
        return int(row[0]) if row else 0

    async def feed_for_guild(self, guild_id: int, key: int | str, *, builtin_ok: bool = False) -> Feed | None:
        """The feed with this id (an int) or URL (a str) if `guild_id` may act on it: it follows it, or
        (`builtin_ok`) it is a built-in feed. None otherwise.

        One query whatever the answer, so a feed only another guild follows is indistinguishable, in
        result and in work done, from a feed that does not exist.
        """
        column = "f.id" if isinstance(key, int) else "f.url"
        row = await self.db.fetchone(
            "SELECT f.* FROM feeds f LEFT JOIN subscriptions s ON s.feed_id = f.id AND s.guild_id = ?"  # noqa: S608 (fixed column)
            f" WHERE {column} = ? AND (s.id IS NOT NULL OR (? = 1 AND f.name IS NOT NULL))",
            (guild_id, key, int(builtin_ok)),
        )
        return feed_from_row(row) if row else None

    async def visible_feeds(self, guild_id: int | None) -> list[tuple[Feed, bool]]:
        """The feeds a guild may name: those it follows (oldest subscription first, `True`), then the
        built-in feeds it does not follow (`False`). One query; no guild (a DM) sees the built-ins only."""
        rows = await self.db.fetchall(
            "SELECT f.*, s.id AS subscription_id FROM feeds f"
            " LEFT JOIN subscriptions s ON s.feed_id = f.id AND s.guild_id = ?"
            " WHERE s.id IS NOT NULL OR f.name IS NOT NULL"
            " ORDER BY s.id IS NULL, s.id, f.id",
            (guild_id,),
        )
        return [(feed_from_row(row), row["subscription_id"] is not None) for row in rows]

    async def find_visible_items(
        self, guild_id: int | None, text: str, *, limit: int = 25
    ) -> list[StoredItem]:
        """Items of the feeds a guild may name (followed, or built-in) whose title contains `text`
        (case-insensitive) or whose key is `text`, newest first. One query."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self.db.fetchall(
            "SELECT i.* FROM items i JOIN feeds f ON f.id = i.feed_id"
            " LEFT JOIN subscriptions s ON s.feed_id = f.id AND s.guild_id = ?"
            " WHERE (s.id IS NOT NULL OR f.name IS NOT NULL) AND (i.title LIKE ? ESCAPE '\\' OR i.key = ?)"
            " ORDER BY COALESCE(i.published_at, i.first_seen_at) DESC, i.id DESC LIMIT ?",
            (guild_id, pattern, text, limit),
        )
        return [item_from_row(row) for row in rows]

    async def followed_titles(self, guild_id: int | None) -> list[str]:
        """Titles (or names, or URLs) of the feeds this guild follows, for /about."""
        if guild_id is None:
            return []
        rows = await self.db.fetchall(
            "SELECT coalesce(f.title, f.name, f.url) FROM subscriptions s JOIN feeds f ON f.id = s.feed_id"
            " WHERE s.guild_id = ? ORDER BY s.id",
            (guild_id,),
        )
        return [str(row[0]) for row in rows]

    # The outbox: dispatch ---------------------------------------------------------------------------

    async def create_deliveries(
        self,
        tx: Transaction,
        *,
        item_id: int,
        feed_id: int,
        subscriptions: Sequence[Subscription],
        backfill: bool = False,
    ) -> int:
        """Record the intent to announce an item in each subscribed guild (once: UNIQUE(guild, item)).

        Over a guild's daily cap for the feed the delivery is recorded as `capped` (never sent; `why`
        says so). Backfills ignore the cap. Returns how many deliveries were created.
        """
        now = utcnow()
        created = 0
        for sub in subscriptions:
            state = DeliveryState.PENDING
            if not backfill:
                today = await tx.fetchone(
                    "SELECT count(*) FROM deliveries WHERE guild_id = ? AND feed_id = ? AND created_at >= ?"
                    " AND state NOT IN ('capped', 'cancelled') AND backfill = 0",
                    (sub.guild_id, feed_id, to_db(_day_start(now))),
                )
                if today is not None and today[0] >= sub.effective_daily_cap:
                    state = DeliveryState.CAPPED
            created += await tx.execute(
                "INSERT INTO deliveries (guild_id, feed_id, item_id, channel_id, nonce, state, backfill,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, item_id) DO NOTHING",
                (
                    sub.guild_id,
                    feed_id,
                    item_id,
                    sub.channel_id,
                    announcement_nonce(sub.guild_id, item_id),
                    state.value,
                    int(backfill),
                    to_db(now),
                ),
            )
        if created:
            await tx.notify(DELIVERIES_CHANNEL)  # delivered at commit: every process's loop wakes
        return created

    # The outbox: reading ----------------------------------------------------------------------------

    async def get_delivery(self, delivery_id: int) -> Delivery | None:
        row = await self.db.fetchone(
            _SELECT_DELIVERIES + " WHERE id = ?",
            (delivery_id,),
        )
        return _delivery(row) if row else None

    async def delivery_for(self, guild_id: int, item_id: int) -> Delivery | None:
        """The delivery of an item in a guild, if one was ever recorded."""
        row = await self.db.fetchone(
            _SELECT_DELIVERIES + " WHERE guild_id = ? AND item_id = ?",
            (guild_id, item_id),
        )
        return _delivery(row) if row else None

    async def deliveries_of_item(self, item_id: int) -> list[Delivery]:
        rows = await self.db.fetchall(
            _SELECT_DELIVERIES + " WHERE item_id = ? ORDER BY id",
            (item_id,),
        )
        return [_delivery(row) for row in rows]

    async def due_sends(
        self,
        now: datetime,
        limit: int = 50,
        *,
        exclude_guilds: Iterable[int] = (),
        claimant: Claimant | None = None,
    ) -> list[Delivery]:
        """Pending deliveries whose subscription is not paused and whose retry time has come, oldest item
        first.

        `exclude_guilds`: guilds whose sends are in progress (the fan-out serves them; they wait their turn).
        `claimant`: only the deliveries it may take (see `Claimant.condition`), claimed for it by this same
        statement; without one, every due delivery is read and none is claimed.
        """
        excluded = sorted(set(exclude_guilds))
        skip = f" AND d.guild_id NOT IN ({', '.join('?' * len(excluded))})" if excluded else ""
        where, params = _DUE_SENDS + skip, (to_db(now), *excluded)
        if claimant is not None:
            claimed = await self._claim(claimant, now, where, params, "d.item_id, d.id", limit)
            return sorted(claimed, key=lambda d: (d.item_id, d.id))
        rows = await self.db.fetchall(
            _SELECT_D + _JOIN_SUBSCRIPTION + " WHERE " + where + " ORDER BY d.item_id, d.id LIMIT ?",
            (*params, limit),
        )
        return [_delivery(row) for row in rows]

    async def due_followups(
        self, now: datetime, limit: int = 50, *, claimant: Claimant | None = None
    ) -> list[Delivery]:
        """Sent deliveries whose thread, digest or poll step is due (paused subscriptions wait), oldest
        first; with a `claimant`, only those it may take, claimed for it (as `due_sends`)."""
        if claimant is not None:
            claimed = await self._claim(claimant, now, _DUE_FOLLOWUPS, (to_db(now),), "d.id", limit)
            return sorted(claimed, key=lambda d: d.id)
        rows = await self.db.fetchall(
            _SELECT_D + _JOIN_SUBSCRIPTION + " WHERE " + _DUE_FOLLOWUPS + " ORDER BY d.id LIMIT ?",
            (to_db(now), limit),
        )
        return [_delivery(row) for row in rows]

    async def _claim(
        self,
        claimant: Claimant,
        now: datetime,
        where: str,
        params: Sequence[Any],
        order: str,
        limit: int,
    ) -> list[Delivery]:
        """Claim for `claimant` (in one statement) up to `limit` deliveries matching `where` that it may take,
        the first in `order`; returns them (in no particular order).

        On PostgreSQL the candidates are locked with `FOR UPDATE OF d SKIP LOCKED`: a process claiming at
        the same moment skips them instead of waiting, and a row claimed meanwhile is checked again (and
        left out) once its lock is free. SQLite serialises writes, so it needs no lock clause. A process's
        own claim is renewed without moving `claimed_at` (when it first took the delivery).
        """
        may_take, claim_params = claimant.condition(now)
        lock = " FOR UPDATE OF d SKIP LOCKED" if self.postgresql else ""
        sql = (
            "UPDATE deliveries SET claimed_at = CASE WHEN claimed_by = ? THEN claimed_at ELSE ? END,"  # noqa: S608 (fixed fragments)
            f" claimed_by = ? WHERE id IN (SELECT d.id FROM deliveries d{_JOIN_SUBSCRIPTION}"
            f" WHERE {where}{may_take} ORDER BY {order} LIMIT ?{lock})"
            f" RETURNING {_DELIVERY_COLUMNS}"
        )
        stamp, me = to_db(now), claimant.process_id
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(sql, (me, stamp, me, *params, *claim_params, limit))
        return [_delivery(row) for row in rows]

    async def stale_announcements(
        self, limit: int = 50, *, topology: Topology | None = None
    ) -> list[Delivery]:
        """Sent announcements whose item was edited since (revision greater than the one shown), of the
        guilds `topology` owns (every guild without one)."""
        owned, params = (topology or Topology()).guild_filter("d.guild_id")
        rows = await self.db.fetchall(
            _SELECT_D + " JOIN items i ON i.id = d.item_id"
            " WHERE d.message_id IS NOT NULL AND d.announced_revision IS NOT NULL"
            f" AND i.revision > d.announced_revision AND {owned} ORDER BY d.id LIMIT ?",
            (*params, limit),
        )
        return [_delivery(row) for row in rows]

    async def next_due_at(
        self, now: datetime | None = None, *, topology: Topology | None = None
    ) -> datetime | None:
        """When the earliest future retry of an unpaused delivery is due (for the delivery loops' sleep),
        among the guilds `topology` owns (every guild without one)."""
        now = now or utcnow()
        owned, params = (topology or Topology()).guild_filter("d.guild_id")
        value = await self.db.fetchval(
            f"SELECT min(d.next_attempt_at) FROM deliveries d{_JOIN_SUBSCRIPTION}"  # noqa: S608 (fixed fragments)
            " WHERE d.state IN ('pending', 'sent', 'thread_created') AND s.paused = 0"
            f" AND d.next_attempt_at > ? AND {owned}",
            (to_db(now), *params),
        )
        return from_db(value)

    async def watch_deliveries(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever another process creates deliveries or makes waiting ones due (on
        PostgreSQL; on SQLite there is no other process)."""
        await self.db.listen(DELIVERIES_CHANNEL, callback)

    async def unwatch_deliveries(self, callback: Callable[[], None]) -> None:
        await self.db.unlisten(DELIVERIES_CHANNEL, callback)

    async def recent_deliveries(self, guild_id: int, limit: int = 10) -> list[Delivery]:
        rows = await self.db.fetchall(
            _SELECT_DELIVERIES + " WHERE guild_id = ? ORDER BY id DESC LIMIT ?",
            (guild_id, limit),
        )
        return [_delivery(row) for row in rows]

    async def announced_between(
        self, guild_id: int, feed_name: str, start: datetime, end: datetime, limit: int = 50
    ) -> list[StoredItem]:
        """Items of the built-in feed `feed_name` published (or first seen) in [start, end) that were
        announced in this guild (their message exists), oldest first: the week's episodes of one server.

        Items skipped there (seen at the feed's first read, too old, capped) are not among them.
        """
        rows = await self.db.fetchall(
            "SELECT i.* FROM deliveries d JOIN items i ON i.id = d.item_id JOIN feeds f ON f.id = d.feed_id"
            " WHERE d.guild_id = ? AND f.name = ? AND d.message_id IS NOT NULL"
            " AND coalesce(i.published_at, i.first_seen_at) >= ?"
            " AND coalesce(i.published_at, i.first_seen_at) < ?"
            " ORDER BY coalesce(i.published_at, i.first_seen_at), i.id LIMIT ?",
            (guild_id, feed_name, to_db(start), to_db(end), limit),
        )
        return [item_from_row(row) for row in rows]

    async def waiting_count(self, guild_id: int, feed_id: int) -> int:
        """Announcements not yet sent for this guild and feed."""
        return int(
            await self.db.fetchval(
                "SELECT count(*) FROM deliveries WHERE guild_id = ? AND feed_id = ? AND state = 'pending'",
                (guild_id, feed_id),
            )
        )

    async def same_day_link(self, feed_name: str, day: datetime) -> str | None:
        """The link of the built-in feed `feed_name`'s item published on the same UTC day (the newsletter
        issue that goes with an episode)."""
        start = _day_start(day)
        value = await self.db.fetchval(
            "SELECT i.link FROM items i JOIN feeds f ON f.id = i.feed_id"
            " WHERE f.name = ? AND i.link IS NOT NULL AND i.published_at >= ? AND i.published_at < ?"
            " ORDER BY i.published_at DESC LIMIT 1",
            (feed_name, to_db(start), to_db(start + timedelta(days=1))),
        )
        return str(value) if value else None

    # The outbox: state transitions ------------------------------------------------------------------

    async def begin_attempt(self, delivery_id: int) -> None:
        """Count an attempt to announce (before anything is asked of Discord)."""
        await self.db.execute(
            "UPDATE deliveries SET attempts = attempts + 1, last_attempt_at = ? WHERE id = ?",
            (to_db(utcnow()), delivery_id),
        )

    async def mark_sending(self, delivery_id: int) -> None:
        """Written just before the send: if the process dies now, the next start knows it is in doubt."""
        await self.db.execute(
            "UPDATE deliveries SET in_doubt = 1, last_attempt_at = ? WHERE id = ?",
            (to_db(utcnow()), delivery_id),
        )

    async def record_sent(
        self,
        delivery_id: int,
        message_id: int,
        revision: int,
        *,
        thread_id: int | None,
        pinged: bool = False,
    ) -> None:
        """The announcement exists: its message id (and, for a forum post, its thread) recorded, and
        whether it pinged the feed's role."""
        state = DeliveryState.THREAD_CREATED if thread_id is not None else DeliveryState.SENT
        await self.db.execute(
            "UPDATE deliveries SET state = ?, message_id = ?, thread_id = ?, announced_revision = ?,"
            " sent_at = ?, pinged = ?, in_doubt = 0, last_error = NULL, next_attempt_at = NULL WHERE id = ?",
            (state.value, message_id, thread_id, revision, to_db(utcnow()), int(pinged), delivery_id),
        )

    async def pinged_since(self, guild_id: int, feed_id: int, since: datetime) -> bool:
        """Whether an announcement of the feed in the guild pinged its role at or after `since`."""
        row = await self.db.fetchone(
            "SELECT 1 FROM deliveries WHERE guild_id = ? AND feed_id = ? AND pinged = 1 AND sent_at >= ? "
            "LIMIT 1",
            (guild_id, feed_id, to_db(since)),
        )
        return row is not None

    async def record_failure(
        self,
        delivery_id: int,
        error: str,
        *,
        retry_at: datetime | None,
        final: bool = False,
        steps: bool = False,
    ) -> None:
        """A failed attempt: retried at `retry_at`, or (final) given up. `steps` counts a pipeline step."""
        counter = "step_attempts = step_attempts + 1," if steps else ""
        state_sql = "state = 'failed', done_at = ?," if final else "done_at = ?,"
        await self.db.execute(
            f"UPDATE deliveries SET {counter} {state_sql} in_doubt = 0, last_error = ?, next_attempt_at = ?"  # noqa: S608 (fixed fragments)
            " WHERE id = ?",
            (to_db(utcnow()) if final else None, error[:ERROR_LIMIT], to_db(retry_at), delivery_id),
        )

    async def clear_doubt(self, delivery_id: int) -> None:
        """The last send definitely did not create a message (Discord refused it)."""
        await self.db.execute("UPDATE deliveries SET in_doubt = 0 WHERE id = ?", (delivery_id,))

    async def record_thread(self, delivery_id: int, thread_id: int | None) -> None:
        """The discussion thread exists (None: no thread wanted or possible here)."""
        await self.db.execute(
            "UPDATE deliveries SET state = 'thread_created', thread_id = ?, step_attempts = 0,"
            " last_error = NULL, next_attempt_at = NULL WHERE id = ? AND state = 'sent'",
            (thread_id, delivery_id),
        )

    async def record_tracked(self, delivery_id: int) -> None:
        await self.db.execute(
            "UPDATE deliveries SET tracked_at = ? WHERE id = ?", (to_db(utcnow()), delivery_id)
        )

    async def record_digest(
        self,
        delivery_id: int,
        state: DigestState,
        *,
        message_id: int | None = None,
        summary_line: str | None = None,
    ) -> None:
        """Advance the digest step (message id and line kept once known)."""
        await self.db.execute(
            "UPDATE deliveries SET digest_state = ?, digest_message_id = coalesce(?, digest_message_id),"
            " summary_line = coalesce(?, summary_line), step_attempts = 0, next_attempt_at = NULL,"
            " in_doubt = 0 WHERE id = ?",
            (state.value, message_id, summary_line, delivery_id),
        )

    async def record_poll(self, delivery_id: int, state: PollState) -> None:
        await self.db.execute(
            "UPDATE deliveries SET poll_state = ?, step_attempts = 0, next_attempt_at = NULL WHERE id = ?",
            (state.value, delivery_id),
        )

    async def record_done(self, delivery_id: int) -> None:
        await self.db.execute(
            "UPDATE deliveries SET state = 'done', done_at = ?, next_attempt_at = NULL WHERE id = ?"
            " AND state IN ('sent', 'thread_created')",
            (to_db(utcnow()), delivery_id),
        )

    async def record_revision(self, delivery_id: int, revision: int) -> None:
        """The announcement now shows this revision of its item."""
        await self.db.execute(
            "UPDATE deliveries SET announced_revision = ? WHERE id = ?", (revision, delivery_id)
        )

    async def forget_message(self, delivery_ids: Iterable[int]) -> None:
        """The announcement was deleted by someone: stop editing it (its history is kept)."""
        async with self.db.transaction() as tx:
            await tx.executemany(
                "UPDATE deliveries SET announced_revision = NULL WHERE id = ?", [(i,) for i in delivery_ids]
            )
