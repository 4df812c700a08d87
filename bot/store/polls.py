"""Community polls, their answers and ballots. Every SQL statement of the polls lives here."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bot.polls.models import Answer, GuildPollSettings, Poll, PollMode, PollSpec, PollStatus, Stance
from bot.store.base import Repo
from bot.timeutil import from_db, to_db, utcnow

_POLL_COLUMNS = (
    "id, guild_id, channel_id, message_id, item_id, mode, question, multiple, status, nonce, created_by, "
    "created_at, closes_at, closed_at, results_message_id, finalized"
)


def _aware(value: str | None) -> datetime:
    parsed = from_db(value)
    if parsed is None:
        raise ValueError("a required time is missing in the polls table")
    return parsed


class PollRepo(Repo):
    # -- per-guild settings ---------------------------------------------------------------------------

    async def get_settings(self, guild_id: int) -> GuildPollSettings:
        """The guild's poll settings (defaults when none are stored: auto on, native, 24 h)."""
        row = await self.db.fetchone(
            "SELECT auto_enabled, mode, duration_hours FROM poll_settings WHERE guild_id = ?", (guild_id,)
        )
        if row is None:
            return GuildPollSettings(guild_id=guild_id)
        return GuildPollSettings(
            guild_id=guild_id,
            auto_enabled=bool(row["auto_enabled"]),
            mode=PollMode(row["mode"]),
            duration_hours=row["duration_hours"],
        )

    async def save_settings(self, settings: GuildPollSettings) -> None:
        """Store the guild's poll settings, replacing earlier ones."""
        await self.db.execute(
            "INSERT INTO poll_settings (guild_id, auto_enabled, mode, duration_hours, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
            "auto_enabled = excluded.auto_enabled, mode = excluded.mode, "
            "duration_hours = excluded.duration_hours, updated_at = excluded.updated_at",
            (
                settings.guild_id,
                int(settings.auto_enabled),
                settings.mode.value,
                settings.duration_hours,
                to_db(utcnow()),
            ),
        )

    # -- polls ----------------------------------------------------------------------------------------

    async def create(
        self,
        spec: PollSpec,
        *,
        guild_id: int,
        channel_id: int,
        nonce: str,
        created_at: datetime,
        closes_at: datetime,
        item_id: int | None = None,
        created_by: int | None = None,
    ) -> tuple[Poll, bool]:
        """Record a poll before it is posted (status pending). Returns (poll, created).

        With an `item_id`, an existing poll for the same guild and episode is returned instead
        (created False), so a retried episode poll is never recorded twice.
        """
        async with self.db.transaction() as tx:
            if item_id is not None:
                existing = await tx.fetchone(
                    "SELECT id FROM polls WHERE guild_id = ? AND item_id = ?", (guild_id, item_id)
                )
                if existing is not None:
                    poll_id, created = int(existing["id"]), False
                else:
                    poll_id, created = 0, True
            else:
                poll_id, created = 0, True
            if created:
                poll_id = await tx.insert(
                    "INSERT INTO polls (guild_id, channel_id, item_id, mode, question, multiple, status, "
                    "nonce, created_by, created_at, closes_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
                    (
                        guild_id,
                        channel_id,
                        item_id,
                        spec.mode.value,
                        spec.question,
                        int(spec.multiple),
                        nonce,
                        created_by,
                        to_db(created_at),
                        to_db(closes_at),
                    ),
                )
                await tx.executemany(
                    "INSERT INTO poll_answers (poll_id, position, text, stance) VALUES (?, ?, ?, ?)",
                    [
                        (poll_id, position, text, stance.value if stance else None)
                        for position, (text, stance) in enumerate(
                            zip(spec.answers, spec.stances, strict=True), 1
                        )
                    ],
                )
        poll = await self.get(poll_id)
        assert poll is not None  # noqa: S101  (just written in the same connection)
        return poll, created

    async def nonce_taken_elsewhere(self, nonce: str, *, guild_id: int, item_id: int) -> bool:
        """Whether `nonce` belongs to a poll other than this guild's poll for this episode."""
        row = await self.db.fetchone("SELECT guild_id, item_id FROM polls WHERE nonce = ?", (nonce,))
        return row is not None and (row["guild_id"], row["item_id"]) != (guild_id, item_id)

    async def get(self, poll_id: int, *, guild_id: int | None = None) -> Poll | None:
        """The poll with this id (only if it belongs to `guild_id`, when given)."""
        if guild_id is None:
            row = await self.db.fetchone(f"SELECT {_POLL_COLUMNS} FROM polls WHERE id = ?", (poll_id,))  # noqa: S608
        else:
            row = await self.db.fetchone(
                f"SELECT {_POLL_COLUMNS} FROM polls WHERE id = ? AND guild_id = ?",  # noqa: S608
                (poll_id, guild_id),
            )
        return None if row is None else await self._poll(row)

    async def by_message(self, message_id: int) -> Poll | None:
        """The poll posted as this message."""
        row = await self.db.fetchone(f"SELECT {_POLL_COLUMNS} FROM polls WHERE message_id = ?", (message_id,))  # noqa: S608
        return None if row is None else await self._poll(row)

    async def search(
        self, guild_id: int, text: str, *, statuses: Iterable[PollStatus], limit: int = 25
    ) -> list[Poll]:
        """This guild's polls in the given states whose question or number contains `text`, newest first."""
        wanted = [status.value for status in statuses]
        marks = ", ".join("?" for _ in wanted)
        rows = await self.db.fetchall(
            f"SELECT {_POLL_COLUMNS} FROM polls WHERE guild_id = ? AND status IN ({marks}) "  # noqa: S608
            "AND (instr(lower(question), lower(?)) > 0 OR CAST(id AS TEXT) = ?) ORDER BY id DESC LIMIT ?",
            (guild_id, *wanted, text, text.lstrip("#"), limit),
        )
        return [await self._poll(row) for row in rows]

    async def latest(self, guild_id: int, *, statuses: Iterable[PollStatus]) -> Poll | None:
        """This guild's newest poll in one of the given states."""
        found = await self.search(guild_id, "", statuses=statuses, limit=1)
        return found[0] if found else None

    async def with_status(
        self,
        status: PollStatus,
        *,
        due_before: datetime | None = None,
        guilds: tuple[str, tuple[Any, ...]] = ("1 = 1", ()),
    ) -> list[Poll]:
        """Every poll in `status` (optionally only those whose closing time has passed), oldest first.
        `guilds` is an SQL condition on `guild_id` and its parameters (`Topology.guild_filter`)."""
        condition, params = guilds
        if due_before is None:
            rows = await self.db.fetchall(
                f"SELECT {_POLL_COLUMNS} FROM polls WHERE status = ? AND {condition} ORDER BY closes_at",  # noqa: S608
                (status.value, *params),
            )
        else:
            rows = await self.db.fetchall(
                f"SELECT {_POLL_COLUMNS} FROM polls WHERE status = ? AND closes_at <= ? AND {condition} "  # noqa: S608
                "ORDER BY closes_at",
                (status.value, to_db(due_before), *params),
            )
        return [await self._poll(row) for row in rows]

    async def closed_with_stances(self, guild_id: int, *, limit: int) -> list[Poll]:
        """This guild's finished polls that have open/closed answers, oldest first (the newest `limit`)."""
        rows = await self.db.fetchall(
            f"SELECT {_POLL_COLUMNS} FROM polls WHERE guild_id = ? AND status IN ('closed', 'done') "  # noqa: S608
            "AND EXISTS (SELECT 1 FROM poll_answers a WHERE a.poll_id = polls.id AND a.stance IS NOT NULL) "
            "ORDER BY closed_at DESC LIMIT ?",
            (guild_id, limit),
        )
        return list(reversed([await self._poll(row) for row in rows]))

    async def mark_sent(self, poll_id: int, message_id: int) -> None:
        """The poll message exists: remember it and open the poll."""
        await self.db.execute(
            "UPDATE polls SET message_id = ?, status = 'open' WHERE id = ? AND status = 'pending'",
            (message_id, poll_id),
        )

    async def mark_failed(self, poll_id: int) -> None:
        """The poll message could not be posted."""
        await self.db.execute(
            "UPDATE polls SET status = 'failed' WHERE id = ? AND status = 'pending'", (poll_id,)
        )

    async def retry_failed_episode(
        self, guild_id: int, item_id: int, *, created_at: datetime, closes_at: datetime
    ) -> bool:
        """Let a failed episode poll be posted again (say, after a permission was fixed), from now on."""
        return bool(
            await self.db.execute(
                "UPDATE polls SET status = 'pending', created_at = ?, closes_at = ? "
                "WHERE guild_id = ? AND item_id = ? AND status = 'failed'",
                (to_db(created_at), to_db(closes_at), guild_id, item_id),
            )
        )

    async def reschedule_pending(self, poll_id: int, *, created_at: datetime, closes_at: datetime) -> None:
        """Restart the clock of a poll that was recorded but never posted."""
        await self.db.execute(
            "UPDATE polls SET created_at = ?, closes_at = ? WHERE id = ? AND status = 'pending'",
            (to_db(created_at), to_db(closes_at), poll_id),
        )

    async def close(
        self, poll_id: int, *, closed_at: datetime, final_counts: Mapping[int, int] | None
    ) -> bool:
        """Stop counting votes (open → closed), with Discord's counts for a native poll. False if not open."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE polls SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open'",
                (to_db(closed_at), poll_id),
            )
            if changed and final_counts is not None:
                await self._write_counts(tx, poll_id, final_counts)
        return bool(changed)

    async def set_final_counts(self, poll_id: int, counts: Mapping[int, int], *, finalized: bool) -> None:
        """Store Discord's counts per answer (and whether Discord has finalized them)."""
        async with self.db.transaction() as tx:
            await self._write_counts(tx, poll_id, counts)
            await tx.execute("UPDATE polls SET finalized = ? WHERE id = ?", (int(finalized), poll_id))

    @staticmethod
    async def _write_counts(tx: Any, poll_id: int, counts: Mapping[int, int]) -> None:
        # One statement for all answers: the connection is shared, so a reader running between two
        # statements of this transaction would otherwise see some answers updated and others not.
        by_position = json.dumps({str(position): int(count) for position, count in counts.items()})
        if tx.dialect == "postgresql":
            sql = (
                "UPDATE poll_answers SET final_count = coalesce("
                "CAST(CAST(? AS jsonb) ->> CAST(position AS TEXT) AS BIGINT), 0) WHERE poll_id = ?"
            )
        else:
            sql = (
                "UPDATE poll_answers SET final_count = coalesce("
                "(SELECT value FROM json_each(?) WHERE key = CAST(position AS TEXT)), 0) WHERE poll_id = ?"
            )
        await tx.execute(sql, (by_position, poll_id))

    async def mark_done(self, poll_id: int, results_message_id: int | None) -> None:
        """The results were posted (or given up on, with None)."""
        await self.db.execute(
            "UPDATE polls SET status = 'done', results_message_id = ? WHERE id = ? AND status = 'closed'",
            (results_message_id, poll_id),
        )

    # -- ballots --------------------------------------------------------------------------------------

    async def vote(
        self, poll_id: int, ballot: bytes, position: int, *, toggle: bool
    ) -> tuple[int, ...] | None:
        """Apply one click: choose `position` (replacing the ballot's choice, or toggling it when `toggle`).

        Returns the ballot's choices afterwards, or None when the poll is not open (nothing is changed).
        """
        async with self.db.transaction() as tx:
            status = await tx.fetchone("SELECT status FROM polls WHERE id = ?", (poll_id,))
            if status is None or status["status"] != PollStatus.OPEN.value:
                return None
            held = await tx.fetchone(
                "SELECT 1 FROM poll_ballots WHERE poll_id = ? AND ballot = ? AND position = ?",
                (poll_id, ballot, position),
            )
            if toggle and held is not None:
                await tx.execute(
                    "DELETE FROM poll_ballots WHERE poll_id = ? AND ballot = ? AND position = ?",
                    (poll_id, ballot, position),
                )
            elif held is None:
                if not toggle:
                    await tx.execute(
                        "DELETE FROM poll_ballots WHERE poll_id = ? AND ballot = ?", (poll_id, ballot)
                    )
                await tx.execute(
                    "INSERT INTO poll_ballots (poll_id, ballot, position) VALUES (?, ?, ?)",
                    (poll_id, ballot, position),
                )
            rows = await tx.fetchall(
                "SELECT position FROM poll_ballots WHERE poll_id = ? AND ballot = ? ORDER BY position",
                (poll_id, ballot),
            )
        return tuple(row["position"] for row in rows)

    async def withdraw(self, poll_id: int, ballot: bytes) -> int | None:
        """Remove a ballot from an open poll; returns how many choices were removed (None if not open)."""
        async with self.db.transaction() as tx:
            status = await tx.fetchone("SELECT status FROM polls WHERE id = ?", (poll_id,))
            if status is None or status["status"] != PollStatus.OPEN.value:
                return None
            return await tx.execute(
                "DELETE FROM poll_ballots WHERE poll_id = ? AND ballot = ?", (poll_id, ballot)
            )

    async def choices(self, poll_id: int, ballot: bytes) -> tuple[int, ...]:
        """The positions a ballot chose."""
        rows = await self.db.fetchall(
            "SELECT position FROM poll_ballots WHERE poll_id = ? AND ballot = ? ORDER BY position",
            (poll_id, ballot),
        )
        return tuple(row["position"] for row in rows)

    async def mirror_native_vote(self, poll_id: int, ballot: bytes, position: int, *, added: bool) -> bool:
        """Mirror a native vote event (idempotent, so a replayed event counts once). False if ignored."""
        if added:
            return bool(
                await self.db.execute(
                    "INSERT INTO poll_ballots (poll_id, ballot, position) SELECT ?, ?, ? WHERE EXISTS "
                    "(SELECT 1 FROM poll_answers WHERE poll_id = ? AND position = ?) ON CONFLICT DO NOTHING",
                    (poll_id, ballot, position, poll_id, position),
                )
            )
        return bool(
            await self.db.execute(
                "DELETE FROM poll_ballots WHERE poll_id = ? AND ballot = ? AND position = ?",
                (poll_id, ballot, position),
            )
        )

    async def ballot_counts(self, poll_id: int) -> tuple[dict[int, int], int]:
        """Votes per position from the ballots, and the number of distinct ballots (voters)."""
        rows = await self.db.fetchall(
            "SELECT position, count(*) AS n FROM poll_ballots WHERE poll_id = ? GROUP BY position", (poll_id,)
        )
        voters = await self.db.fetchval(
            "SELECT count(DISTINCT ballot) FROM poll_ballots WHERE poll_id = ?", (poll_id,)
        )
        return {row["position"]: row["n"] for row in rows}, int(voters or 0)

    # -- rows -----------------------------------------------------------------------------------------

    async def _poll(self, row: Any) -> Poll:
        answers = await self.db.fetchall(
            "SELECT position, text, stance, final_count FROM poll_answers "
            "WHERE poll_id = ? ORDER BY position",
            (row["id"],),
        )
        return Poll(
            id=row["id"],
            guild_id=row["guild_id"],
            channel_id=row["channel_id"],
            message_id=row["message_id"],
            item_id=row["item_id"],
            mode=PollMode(row["mode"]),
            question=row["question"],
            multiple=bool(row["multiple"]),
            status=PollStatus(row["status"]),
            nonce=row["nonce"],
            created_by=row["created_by"],
            created_at=_aware(row["created_at"]),
            closes_at=_aware(row["closes_at"]),
            closed_at=from_db(row["closed_at"]),
            results_message_id=row["results_message_id"],
            finalized=bool(row["finalized"]),
            answers=tuple(
                Answer(
                    position=a["position"],
                    text=a["text"],
                    stance=Stance(a["stance"]) if a["stance"] else None,
                    final_count=a["final_count"],
                )
                for a in answers
            ),
        )
