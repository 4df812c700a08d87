"""The fault campaign: `python -m bot run` SIGKILLed and restarted again and again while episodes arrive.

A steady stream of new episodes and newsletter issues is published on the feed server double while, at
random points (seeded; the seed is printed), the campaign injects Discord 429s and 5xx, dropped gateway
connections, LLM hangs and garbage, feed timeouts and 5xx, and SIGKILLs the bot process (at least 20
times, at varying moments: during start-up, while fetching, while announcing) before restarting it on
the same database. At the end every episode is announced exactly once in every guild, with one thread,
one digest and one poll, every thread is tracked, and the SQLite file is intact.

The campaign runs on SQLite (RELIABILITY_KILLS, default 20, SIGKILLs) and on PostgreSQL (a throwaway
server, see tests/postgres.py; RELIABILITY_PG_KILLS, default 6, to keep the suite's time), with the same
checks on Discord's side; RELIABILITY_SEED (default: random) replays a campaign.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from bot.announce.models import ChannelKind, DeliveryState
from bot.maintenance import MAINTENANCE_KEY
from bot.store import Store
from bot.timeutil import utcnow
from tests.doubles.discord import Channel, DiscordDouble, Guild
from tests.doubles.feed_server import FeedServer
from tests.doubles.openai_double import Fault, OpenAIDouble
from tests.e2e.process import BotProcess
from tests.feeds.builders import Item, rss
from tests.postgres import fresh_database, postgres_server  # noqa: F401 (the server fixture)
from tests.reliability.harness import eventually, figure

KILLS = int(os.environ.get("RELIABILITY_KILLS", "20"))
PG_KILLS = int(os.environ.get("RELIABILITY_PG_KILLS", "6"))
SEED = int(os.environ.get("RELIABILITY_SEED", str(random.SystemRandom().randrange(1_000_000))))
PER_FEED = 8  # new items per feed (the worker's daily cap per feed is 20)
FEEDS = {"podcast": "/podcast.xml", "newsletter": "/newsletter.xml"}


@dataclass
class Feeds:
    server: FeedServer
    items: dict[str, list[Item]] = field(default_factory=dict)
    published: list[tuple[str, str]] = field(default_factory=list)  # (feed name, title) of new items

    def publish(self, name: str, title: str | None = None, *, old: bool = False) -> None:
        items = self.items.setdefault(name, [])
        n = len(items) + 1
        when = utcnow() - (timedelta(days=30) if old else timedelta(minutes=1))
        title = title or f"{name.title()} {n}: open vs closed, round {n}"
        notes = (
            f"<p>Item {n} of the {name}. Open weights models caught up on coding benchmarks this week. "
            "Closed labs answered with agents. Regulators asked who controls the weights.</p>"
        )
        items.insert(0, Item(guid=f"{name}-{n}", title=title, link=f"https://example.com/{name}/{n}",
                             published=when, description=notes))  # fmt: skip
        self.serve(name)
        if not old:
            self.published.append((name, title))

    def serve(self, name: str) -> None:
        self.server.set_feed(FEEDS[name], rss(self.items[name], title=f"The AI Daily Brief {name}"))

    def slow(self, name: str) -> None:
        body = rss(self.items[name], title=f"The AI Daily Brief {name}")
        self.server.set_slow(FEEDS[name], body, chunk_delay=1.5, chunk_size=max(1, len(body) // 3))


@dataclass
class Tally:
    injected: Counter[str] = field(default_factory=Counter)
    kills_during_startup: int = 0
    kills_while_running: int = 0


def bot_env(
    double: DiscordDouble, server: FeedServer, llm: OpenAIDouble, database: dict[str, str]
) -> dict[str, str]:
    return database | {
        "DISCORD_TOKEN": double.token,
        "DISCORD_API_BASE": double.api_base,
        "DISCORD_GATEWAY_URL": double.gateway_url,
        "GUILD_READY_TIMEOUT": "0.05",
        "PODCAST_FEED_URL": server.url(FEEDS["podcast"]),
        "NEWSLETTER_FEED_URL": server.url(FEEDS["newsletter"]),
        "FEED_ALLOW_PRIVATE_HOSTS": "true",
        "FEED_POLL_INTERVAL": "1",
        "FEED_TIMEOUT": "2",
        "OPENAI_API_KEY": "campaign-key",
        "OPENAI_BASE_URL": llm.base_url,
        "LLM_TIMEOUT": "1",
        "LLM_MAX_RETRIES": "0",
        "TRACKER_FLUSH_INTERVAL": "0.5",
        "LOG_LEVEL": "INFO",
    }


async def inject_faults(
    rng: random.Random, double: DiscordDouble, feeds: Feeds, llm: OpenAIDouble, tally: Tally
) -> None:
    """One to three faults of different kinds, picked at random."""
    kinds = rng.sample(
        ["discord-429", "discord-5xx", "thread-5xx", "gateway-drop", "llm", "feed-5xx", "feed-timeout"],
        rng.randint(1, 3),
    )
    for kind in kinds:
        tally.injected[kind] += 1
        if kind == "discord-429":
            double.inject("POST /channels/*/messages", status=429, retry_after=0.2, times=rng.randint(1, 2))
        elif kind == "discord-5xx":
            double.inject("POST /channels/*/messages", status=rng.choice([500, 502]), times=1)
        elif kind == "thread-5xx":
            double.inject("POST /channels/*/messages/*/threads", status=500, times=1)
        elif kind == "gateway-drop":
            await double.drop_gateway()
        elif kind == "llm":
            llm.script(*rng.sample([Fault.hang(), Fault.malformed_json(), Fault.server_error(),
                                    Fault.schema_violation(), Fault.rate_limit()], 2))  # fmt: skip
        elif kind == "feed-5xx":
            feeds.server.fail_next(FEEDS[rng.choice(list(FEEDS))], rng.choice([500, 502, 503]), times=2)
        else:
            feeds.slow(rng.choice(list(FEEDS)))


@dataclass
class Campaign:
    """What one campaign did and found."""

    kills: int
    tally: Tally
    feeds: Feeds
    guilds: list[Guild]
    report: Report


async def run_campaign(
    target: Path | str, env_database: dict[str, str], kills: int, tmp_path: Path
) -> Campaign:
    """The campaign of the module docstring on one database (a SQLite file or a PostgreSQL URL)."""
    rng = random.Random(SEED)
    tally = Tally()
    llm = await OpenAIDouble().start()
    try:
        async with DiscordDouble() as double, FeedServer() as server:
            feeds = Feeds(server)
            for name in FEEDS:
                feeds.publish(name, old=True)  # the back catalogue: remembered, never announced
            guilds, channels = [], []
            for label in ("A", "B"):
                guild = double.add_guild(f"Guild {label}")
                guilds.append(guild)
                channels.append(double.add_text_channel(guild, "episodes"))
            await subscribe(target, server, guilds, channels)
            env = bot_env(double, server, llm, env_database)
            process = await BotProcess(env, tmp_path).start()
            spawned_at = 0  # gateway sessions seen when the current process was started
            try:
                await wait_first_fetch(target, process)
                for _round in range(kills):
                    during_startup = rng.random() < 1 / 3
                    if not during_startup:  # wait for the gateway session, then act on a live bot
                        await double.wait_for(
                            lambda spawned=spawned_at: len(double.gateway.identifies) > spawned,
                            timeout=60,
                            description="the restarted bot to connect",
                        )
                    if len(feeds.published) < PER_FEED * len(FEEDS) and rng.random() < 0.8:
                        name = rng.choice([n for n in FEEDS if len(feeds.items[n]) <= PER_FEED])
                        feeds.publish(name)
                    await inject_faults(rng, double, feeds, llm, tally)
                    # The kill lands at a random moment: importing, migrating, logging in, or (on a live
                    # bot) fetching, announcing, opening threads, posting digests and polls.
                    await asyncio.sleep(rng.uniform(0.2, 3.0))
                    if len(double.gateway.identifies) > spawned_at:
                        tally.kills_while_running += 1
                    else:
                        tally.kills_during_startup += 1
                    assert await process.stop(signal.SIGKILL) == -signal.SIGKILL
                    for name in FEEDS:
                        feeds.serve(name)  # a slow feed recovers sooner or later
                    spawned_at = len(double.gateway.identifies)
                    process = await BotProcess(env, tmp_path).start()
                # The end: remaining items published, faults over, the last process left to finish its work.
                while len(feeds.published) < PER_FEED * len(FEEDS):
                    feeds.publish(rng.choice([n for n in FEEDS if len(feeds.items[n]) <= PER_FEED]))
                double.clear_faults()
                results = await settle(target, guilds, feeds, process)
                await wait_maintenance(target, process)
                assert await process.stop(signal.SIGTERM) == 0, process.log[-3000:]
            finally:
                await process.kill_quietly()
            report = check_discord(double, guilds, channels, results)
    finally:
        await llm.close()
    return Campaign(kills, tally, feeds, guilds, report)


def campaign_figure(engine: str, campaign: Campaign) -> None:
    tally, report = campaign.tally, campaign.report
    faults = sum(tally.injected.values()) + campaign.kills
    figure(
        f"fault campaign ({engine})",
        f"seed {SEED}; faults injected: {faults} ({campaign.kills} SIGKILLs: {tally.kills_during_startup} "
        f"during start-up, {tally.kills_while_running} while running; "
        f"{dict(sorted(tally.injected.items()))}); episodes: {len(campaign.feeds.published)} x "
        f"{len(campaign.guilds)} guilds; announcements lost: {report.lost}, duplicated: {report.duplicated}; "
        f"threads: {report.threads} (untracked: {report.untracked}); digests posted: {report.digests} "
        f"(missing {report.digests_missing}, duplicated {report.digests_duplicated}); polls: {report.polls} "
        f"(missing {report.polls_missing}, duplicated {report.polls_duplicated})",
    )


def assert_nothing_lost(report: Report) -> None:
    assert (report.lost, report.duplicated, report.untracked) == (0, 0, 0)
    assert (report.digests_missing, report.digests_duplicated) == (0, 0)
    assert (report.polls_missing, report.polls_duplicated) == (0, 0)


@pytest.mark.timeout(900)
async def test_fault_campaign_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    print(f"fault campaign seed: {SEED} (replay with RELIABILITY_SEED={SEED}), kills: {KILLS}")
    db = tmp_path / "bot.sqlite3"
    campaign = await run_campaign(db, {"DATABASE_PATH": str(db)}, KILLS, tmp_path)
    sqlite = check_sqlite(db)
    campaign_figure("SQLite", campaign)
    figure(
        "fault campaign (SQLite)",
        f"SQLite after {KILLS} kills: integrity_check {sqlite.integrity}; last maintenance checkpoint "
        f"{sqlite.checkpoint}; file {sqlite.file_kb} KB; WAL after the clean stop {sqlite.wal_bytes} bytes",
    )
    assert_nothing_lost(campaign.report)
    assert sqlite.integrity == "ok"
    assert sqlite.errors == [], sqlite.errors
    assert sqlite.checkpoint is not None and sqlite.checkpoint["busy"] == 0  # the maintenance job ran
    assert sqlite.wal_bytes == 0  # checkpointed and truncated at the clean stop


@pytest.mark.timeout(600)
async def test_fault_campaign_on_postgresql_loses_and_duplicates_nothing(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The same campaign on PostgreSQL (fewer kills, to keep the suite's time: RELIABILITY_PG_KILLS)."""
    print(f"fault campaign on PostgreSQL, seed: {SEED} (RELIABILITY_SEED={SEED}), kills: {PG_KILLS}")
    async with fresh_database(request.getfixturevalue("postgres_server")) as url:
        # A process restarted after a SIGKILL waits for its old registry row to go stale before it
        # connects (docs/scaling.md): the shortest lease keeps that wait, and the test, short.
        database = {"DATABASE_URL": url, "LEADER_LEASE_SECONDS": "5"}
        campaign = await run_campaign(url, database, PG_KILLS, tmp_path)
        pg = await check_postgres(url)
    campaign_figure("PostgreSQL", campaign)
    figure(
        "fault campaign (PostgreSQL)",
        f"PostgreSQL after {PG_KILLS} kills: deliveries not done {pg.unfinished}; maintenance recorded "
        f"{pg.maintenance is not None} (errors {pg.errors})",
    )
    assert_nothing_lost(campaign.report)
    assert pg.unfinished == 0
    assert pg.maintenance is not None and pg.errors == [], pg.errors


async def subscribe(db: Path | str, server: FeedServer, guilds: list[Guild], channels: list[Channel]) -> None:
    store = await Store.open(db)
    try:
        for name, path in FEEDS.items():
            feed = await store.feeds.ensure_builtin(name, server.url(path), name)  # type: ignore[arg-type]
            for guild, channel in zip(guilds, channels, strict=True):
                await store.announcements.subscribe(guild.id, feed.id, channel.id, ChannelKind.TEXT)
                await store.announcements.update_subscription(guild.id, feed.id, daily_cap=100)
    finally:
        await store.close()


async def wait_first_fetch(db: Path | str, process: BotProcess) -> None:
    store = await Store.open(db)
    try:

        async def fetched() -> bool:
            feeds = await store.feeds.list_feeds()
            return len(feeds) == len(FEEDS) and all(f.first_fetch_done for f in feeds)

        try:
            await eventually(fetched, timeout=60, what="the first read of both feeds")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{process.log[-3000:]}") from None
    finally:
        await store.close()


async def wait_maintenance(db: Path | str, process: BotProcess) -> None:
    """The maintenance job runs seconds after start-up: wait (bounded) for its recorded checkpoint."""
    store = await Store.open(db)
    try:

        async def recorded() -> bool:
            return await store.meta.get(MAINTENANCE_KEY) is not None

        try:
            await eventually(recorded, timeout=60, what="the maintenance job's first run")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{process.log[-3000:]}") from None
    finally:
        await store.close()


@dataclass
class Outcome:
    title: str
    guild_id: int
    message_id: int | None
    thread_id: int | None
    tracked: bool


async def settle(db: Path | str, guilds: list[Guild], feeds: Feeds, process: BotProcess) -> list[Outcome]:
    """Wait (bounded) until every published item is done in every guild; return what the store says."""
    store = await Store.open(db)
    try:

        async def done() -> list[Outcome] | None:
            outcomes = []
            by_title = {}
            for feed in await store.feeds.list_feeds():
                for item in await store.feeds.latest_items(feed.id, 100):
                    by_title[item.title] = item
            for _name, title in feeds.published:
                item = by_title.get(title)
                if item is None:
                    return None
                for guild in guilds:
                    delivery = await store.announcements.delivery_for(guild.id, item.id)
                    if delivery is None or delivery.state is not DeliveryState.DONE:
                        return None
                    tracked = (
                        delivery.thread_id is not None
                        and await store.threads.get(delivery.thread_id) is not None
                    )
                    outcomes.append(
                        Outcome(title, guild.id, delivery.message_id, delivery.thread_id, tracked)
                    )
            return outcomes

        try:
            return await eventually(done, timeout=180, what="every item to be done in every guild")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{process.log[-4000:]}") from None
    finally:
        await store.close()


@dataclass
class Report:
    lost: int = 0
    duplicated: int = 0
    threads: int = 0
    untracked: int = 0
    digests: int = 0
    digests_missing: int = 0
    digests_duplicated: int = 0
    polls: int = 0
    polls_missing: int = 0
    polls_duplicated: int = 0


def check_discord(
    double: DiscordDouble, guilds: list[Guild], channels: list[Channel], outcomes: list[Outcome]
) -> Report:
    report = Report()
    bot_id = double.world.bot.id
    for guild, channel in zip(guilds, channels, strict=True):
        posted = Counter(
            m.embeds[0].get("title")
            for m in double.messages_in(channel)
            if m.author.id == bot_id and m.embeds and not m.deleted
        )
        for outcome in (o for o in outcomes if o.guild_id == guild.id):
            count = posted.get(outcome.title, 0)
            report.lost += count == 0
            report.duplicated += max(0, count - 1)
    for outcome in outcomes:
        if outcome.thread_id is None:
            report.untracked += 1
            continue
        report.threads += 1
        report.untracked += not outcome.tracked
        mine = [m for m in double.messages_in(outcome.thread_id) if m.author.id == bot_id and not m.deleted]
        digests = [m for m in mine if m.embeds and m.poll is None]
        polls = [m for m in mine if m.poll is not None]
        report.digests += len(digests)
        report.digests_missing += not digests
        report.digests_duplicated += max(0, len(digests) - 1)
        report.polls += len(polls)
        report.polls_missing += not polls
        report.polls_duplicated += max(0, len(polls) - 1)
    return report


@dataclass
class SQLiteReport:
    integrity: str
    checkpoint: dict[str, int] | None
    file_kb: int
    wal_bytes: int
    errors: list[str] | None = None


def check_sqlite(db: Path) -> SQLiteReport:
    """Integrity, the maintenance job's last checkpoint (recorded by the bot), file and WAL sizes."""
    wal = db.with_name(db.name + "-wal")
    wal_bytes = wal.stat().st_size if wal.exists() else 0
    conn = sqlite3.connect(db)
    try:
        integrity = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (MAINTENANCE_KEY,)).fetchone()
    finally:
        conn.close()
    record = json.loads(row[0]) if row else {}
    return SQLiteReport(
        integrity, record.get("checkpoint"), db.stat().st_size // 1024, wal_bytes, record.get("errors")
    )


@dataclass
class PostgresReport:
    unfinished: int
    maintenance: dict[str, object] | None
    errors: list[str] | None


async def check_postgres(url: str) -> PostgresReport:
    """After the clean stop: every delivery done, the maintenance job's record (PostgreSQL checks its pages
    itself as it reads them, so there is no integrity_check to run)."""
    store = await Store.open(url, pool_size=1)
    try:
        unfinished = int(await store.db.fetchval("SELECT count(*) FROM deliveries WHERE state <> 'done'"))
        raw = await store.meta.get(MAINTENANCE_KEY)
    finally:
        await store.close()
    record = json.loads(raw) if raw else None
    return PostgresReport(unfinished, record, None if record is None else record.get("errors"))
