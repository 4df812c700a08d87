"""SQLite over a long run: the file stops growing once the retention policy applies, and stays sound.

Two simulated years of a daily feed (a new episode a day with its digest and transcript, the feed keeps
its newest 30) and ten audited moderator actions a day, with `Maintenance` (the production job) run
weekly on the simulated clock. The database file is measured after each run's checkpoint: it plateaus
after the first year instead of growing with the run, items still in the feed are never pruned, their
digests and transcripts go when they do, and `PRAGMA integrity_check` is ok.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.digest.models import digest_key
from bot.maintenance import Maintenance, last_run
from bot.store import Store
from bot.store.audit import NewAuditEntry
from bot.store.digests import CacheKey
from bot.store.feeds import NewItem
from bot.store.maintenance import MaintenanceRepo
from tests.announce.helpers import parsed
from tests.commands.seed import make_digest
from tests.reliability.harness import figure

DAYS = 730
IN_FEED = 30
AUDIT_PER_DAY = 10
START = datetime(2027, 1, 1, 12, tzinfo=UTC)


async def test_database_size_plateaus_under_the_retention_policy(tmp_path: Path) -> None:
    path = tmp_path / "long.sqlite3"
    store = await Store.open(path)
    today = START
    maintenance = Maintenance(store, clock=lambda: today)
    try:
        feed = await store.feeds.ensure_builtin("podcast", "https://example.com/podcast.xml", "podcast")
        in_feed: list[int] = []
        sizes: dict[int, int] = {}
        rows_written = 0
        for day in range(DAYS):
            today = START + timedelta(days=day)
            item = parsed(f"ep-{day}", f"Episode {day}", text="Show notes. " * 150, published=today)
            left = in_feed[: -IN_FEED + 1] if len(in_feed) >= IN_FEED else []
            inserted, _ = await store.feeds.save_poll(
                feed.id, now=today, feed_fields={}, new=[NewItem(item, "new", None)], left_feed=left
            )
            in_feed = [i for i in in_feed if i not in left] + [inserted[0].id]
            key = digest_key(inserted[0])
            await store.digests.save(
                CacheKey(key, f"hash-{day}", "offline", "offline", "1"),
                item.title,
                make_digest(f"Day {day}."),
            )
            await store.search.store_transcript(key, "Transcript words. " * 300, "https://example.com/t")
            for n in range(AUDIT_PER_DAY):
                await store.audit.record(
                    NewAuditEntry(
                        guild_id=1, user_id=2, user_name="mod", command="admin feed check",
                        arguments={"feed": "podcast", "note": "x" * 400}, detail=f"run {n}", created_at=today,
                    )
                )  # fmt: skip
            rows_written += 3 + AUDIT_PER_DAY
            if day % 7 == 6:
                report = await maintenance.run()
                assert report.errors == [] and report.checkpoint is not None and report.checkpoint.busy == 0
                sizes[day] = path.stat().st_size

        kept = {item.id for item in await store.feeds.latest_items(feed.id, DAYS)}
        assert set(in_feed) <= kept, "an item still in its feed was pruned"
        remaining_items = len(kept)
        remaining_audit = await store.audit.count(1)
        orphans = await store.db.fetchval(
            "SELECT (SELECT count(*) FROM digests d WHERE NOT EXISTS "
            "(SELECT 1 FROM items i WHERE i.digest_key = d.episode_key)) + (SELECT count(*) FROM "
            "search_transcripts t WHERE NOT EXISTS "
            "(SELECT 1 FROM items i WHERE i.digest_key = t.episode_key))"
        )
        remaining_digests = await store.db.fetchval("SELECT count(*) FROM digests")
        integrity = await MaintenanceRepo(store.db).integrity_check()
        await maintenance.run()
        wal = path.with_name(path.name + "-wal")
        wal_size = wal.stat().st_size if wal.exists() else 0  # only the run's own record after truncation
        recorded = await last_run(store)
    finally:
        await store.close()

    days = sorted(sizes)
    first, year_end = days[0], max(d for d in days if d < 365)
    settled, last = min(d for d in days if d >= 450), days[-1]
    year_one_rate = (sizes[year_end] - sizes[first]) / (year_end - first)  # bytes a day while filling up
    late_rate = (sizes[last] - sizes[settled]) / (last - settled)  # once the retention applies
    assert integrity == ["ok"]
    assert recorded is not None and json.loads(json.dumps(recorded))["checkpoint"]["busy"] == 0
    assert wal_size <= 64 * 1024, wal_size  # truncated, then one small record written
    # Retention holds the row count flat; what still grows is FTS5 segment slack (merged over time).
    assert late_rate < 0.3 * year_one_rate, (year_one_rate, late_rate)
    assert remaining_items < DAYS // 2 + IN_FEED and remaining_audit <= (365 + 7 + 1) * AUDIT_PER_DAY
    # Digests and transcripts go with their items (a week's maintenance interval of slack at most).
    assert orphans <= 2 * 7 and remaining_digests <= remaining_items + 7, (orphans, remaining_digests)
    figure(
        "SQLite growth",
        f"{DAYS} simulated days, {rows_written} rows written, {maintenance.runs} maintenance runs: file "
        f"{sizes[year_end] / 1024:.0f} KB after year 1 (+{year_one_rate / 1024:.1f} KB/day), "
        f"{sizes[last] / 1024:.0f} KB after year 2 (+{late_rate / 1024:.1f} KB/day once pruning applies) "
        f"(rows kept: {remaining_items} items incl. all {IN_FEED} still in the feed, {remaining_digests} "
        f"digests, {remaining_audit} audit entries); WAL after checkpoint: {wal_size} bytes; "
        f"integrity_check: {integrity[0]}",
    )
