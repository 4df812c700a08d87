"""Periodic database upkeep: checkpoint the WAL, prune old rows by policy, record what was done.

    maintenance = Maintenance(store)
    report = await maintenance.run()          # once an hour from cogs/maintenance.py, and soon after start

The policy (constructor parameters, defaults below) keeps what the bot needs and drops what only grows:
- the WAL is checkpointed and truncated, so it never stays at its high-water mark after a burst;
- items that left their feed more than `item_retention` ago go (an item still in its feed is never
  pruned: its id is what stops a repost), with their deliveries, and then their digests and transcripts
  (older than `item_retention` and without an item);
- audit-log entries and delivered or failed moderator alerts older than `audit_retention`, LLM spend
  counters older than `usage_retention`.
Thread-activity buckets are pruned by the thread-tracking capability itself. Items stored before the
cleaned text existed get it (`bot.feeds.boilerplate`), `SHOWN_TEXT_BATCH` per run, so the search index
stops matching publisher footers in them.

Each run is recorded in `meta` under `MAINTENANCE_KEY` as JSON, which `/admin status`-style commands and
the reliability tests read.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.feeds.boilerplate import clean_notes
from bot.store.maintenance import Checkpoint, FileStats, MaintenanceRepo
from bot.timeutil import to_db, utcnow

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

MAINTENANCE_KEY = "maintenance.last_run"
ITEM_RETENTION = timedelta(days=365)
AUDIT_RETENTION = timedelta(days=365)
USAGE_RETENTION = timedelta(days=400)
CHECKPOINT_ATTEMPTS = 5
SHOWN_TEXT_BATCH = 500


@dataclass(slots=True)
class MaintenanceReport:
    """What one run did."""

    at: datetime
    checkpoint: Checkpoint | None = None
    pruned: dict[str, int] = field(default_factory=dict)
    stats: FileStats | None = None
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        data = {
            "at": to_db(self.at),
            "checkpoint": asdict(self.checkpoint) if self.checkpoint else None,
            "pruned": self.pruned,
            "used_bytes": self.stats.used_bytes if self.stats else None,
            "pages": asdict(self.stats) if self.stats else None,
            "errors": self.errors,
        }
        return json.dumps(data, sort_keys=True)


class Maintenance:
    """Runs the upkeep steps, each isolated: one failing step never skips the others."""

    def __init__(
        self,
        store: Store,
        *,
        item_retention: timedelta = ITEM_RETENTION,
        audit_retention: timedelta = AUDIT_RETENTION,
        usage_retention: timedelta = USAGE_RETENTION,
        clock: Callable[[], datetime] = utcnow,
        retry_delay: float = 0.5,
    ) -> None:
        self.store = store
        self.repo = MaintenanceRepo(store.db)
        self.item_retention = item_retention
        self.audit_retention = audit_retention
        self.usage_retention = usage_retention
        self.clock = clock
        self.retry_delay = retry_delay
        self.runs = 0

    async def run(self) -> MaintenanceReport:
        now = self.clock()
        report = MaintenanceReport(at=now)
        steps: dict[str, Callable[[], Awaitable[int]]] = {
            "items": lambda: self.repo.prune_items_gone_from_feed(now - self.item_retention),
            "digests": lambda: self.repo.prune_orphan_digests(now - self.item_retention),
            "audit_log": lambda: self.store.audit.prune(now - self.audit_retention),
            "alerts": lambda: self.store.alerts.prune(now - self.audit_retention),
            "llm_usage_daily": lambda: self.repo.prune_llm_usage(now - self.usage_retention),
        }
        for name, step in steps.items():
            try:
                report.pruned[name] = await step()
            except Exception as exc:
                log.exception("maintenance: pruning %s failed", name)
                report.errors.append(f"prune {name}: {type(exc).__name__}")
        try:
            missing = await self.store.feeds.items_without_shown_text(SHOWN_TEXT_BATCH)
            await self.store.feeds.set_shown_text([(i, clean_notes(text)) for i, text in missing])
        except Exception as exc:
            log.exception("maintenance: cleaning the text of older items failed")
            report.errors.append(f"shown text: {type(exc).__name__}")
        try:
            await self.store.search.compact()
        except Exception as exc:
            log.exception("maintenance: compacting the search index failed")
            report.errors.append(f"search index: {type(exc).__name__}")
        try:
            if any(report.pruned.values()):
                await self.repo.optimize()
            report.checkpoint = await self._checkpoint()
            report.stats = await self.repo.file_stats()
        except Exception as exc:
            log.exception("maintenance: checkpoint failed")
            report.errors.append(f"checkpoint: {type(exc).__name__}: {exc}")
        try:
            await self.store.meta.set(MAINTENANCE_KEY, report.to_json())
        except Exception:
            log.exception("maintenance: could not record the run")
        self.runs += 1
        log.info(
            "maintenance: pruned %s, checkpoint %s, %s bytes in use",
            report.pruned,
            report.checkpoint,
            report.stats.used_bytes if report.stats else "?",
        )
        return report

    async def _checkpoint(self) -> Checkpoint:
        """Checkpoint, retried a few times: a statement still open on the connection (another task's
        read in progress) makes SQLite refuse with "database table is locked" for a moment."""
        for attempt in range(CHECKPOINT_ATTEMPTS):
            try:
                result = await self.repo.checkpoint()
            except sqlite3.OperationalError:
                if attempt == CHECKPOINT_ATTEMPTS - 1:
                    raise
            else:
                if result.busy == 0 or attempt == CHECKPOINT_ATTEMPTS - 1:
                    return result
            await asyncio.sleep(self.retry_delay)
        raise AssertionError("unreachable")  # pragma: no cover


async def last_run(store: Store) -> dict[str, object] | None:
    """The record of the last maintenance run, or None if it never ran."""
    raw = await store.meta.get(MAINTENANCE_KEY)
    return json.loads(raw) if raw else None
