"""Fleet benchmarks: a fan-out by one process and by two against Discord's global rate limit, PostgreSQL
against SQLite in the same run, and the feed leader's failover time.

**Fan-out.** One new episode announced in 1,000 guilds (200 with `--quick`), half on each of two shards,
each following the podcast in a text channel (threads off: the announcement's own fan-out), by real
`python -m bot run` subprocesses sharing one fresh PostgreSQL database, against the Discord double
enforcing the global limit (50 requests/s per bot token): first one process running every shard, then
two processes with `SHARD_COUNT=2` and `SHARD_IDS` 0 and 1 (the same token: they share the limit). The
episode is published once every process is ready. The rate is the bot token's requests the double let
through from the first announcement to the last, as a share of the limit; every guild must have exactly
one announcement, claimed (`deliveries.claimed_by`) by the process running its shard.

**PostgreSQL vs SQLite.** The same store code on both engines (a throwaway PostgreSQL 15 cluster from
`bench/_postgres.py`, fsync off; SQLite with the bot's pragmas). One SQLite store is seeded like
`bench/search.py`'s (1,000 episodes with ~500-word transcripts with `--quick`, 10,000 with ~2,000 words
otherwise), given 200 guilds (1,000) following its feed with 3 pending announcements each, then copied
into PostgreSQL with `copy_database` (what `python -m bot copy-db` does, search index rebuilt). On both:

- thread-tracker ingest: message events/s through `ThreadTracker`, flushed every 5 s of simulated time as
  in `bench/threads.py` (5,000 events with `--quick`, 20,000 otherwise), on a fresh database each;
- `/search`: wall ms of one query through `SearchService.search` (ranked, with snippets);
- autocomplete: wall ms of one `/episode` keystroke through `SearchService.title_choices` (warm index, the
  freshness read included);
- the outbox claim: wall ms of `AnnouncementRepo.due_sends(now, 50, claimant=...)`, the read that claims
  the next 50 deliveries of the guilds a process owns (shard 0 of 2), which each fan-out round makes.

Each figure is PostgreSQL's value against SQLite's as the baseline (a ratio: ingest higher is better,
latencies lower). PostgreSQL answers over a local TCP socket and a pool; SQLite in-process through one
thread, so SQLite wins on one machine: the figures say how much a fleet pays per operation for sharing
one database.

**Failover.** Two feed leaders (`bot.feeds.leader.FeedLeader`) on one PostgreSQL database, each driven by a
tick loop as `cogs/feed_worker.py` drives it (the lease renewed every tick, the tick a third of the lease),
with the real clock and a 5 s lease. Once the first holds the lease and has just renewed it, it is
"killed": its loop stops without releasing the lease (as a SIGKILLed process). The figure is the time from
the kill to the first poll by the other leader, against the lease: at most lease + one tick, so the
target is ≤ 1 + tick/lease. Trials run side by side, each on its own database (2 with `--quick`, 5
otherwise); the figure is the slowest.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from bench import _episodes, _harness, _postgres
from bench import search as search_bench
from bench.core import Figure
from bot.announce.models import ChannelKind
from bot.feeds.leader import FeedLeader
from bot.feeds.models import ParsedItem
from bot.fleet import Topology, shard_of
from bot.search import SearchService
from bot.store import Store
from bot.store.announcements import Claimant
from bot.store.copy import copy_database
from bot.store.feeds import NewItem
from bot.store.pg import PgDatabase
from bot.store.search import SearchRepo
from bot.threads.tracker import ThreadTracker
from bot.timeutil import utcnow
from tests.doubles.discord import DiscordDouble, Guild
from tests.doubles.feed_server import FeedServer

# -- PostgreSQL vs SQLite ------------------------------------------------------------------------------

THREADS = 200
MEMBERS = 1500
FLUSH_EVERY = timedelta(seconds=5)
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FIRST_GUILD = 10_000
PENDING_PER_GUILD = 3


@dataclass(frozen=True, slots=True)
class Engine:
    """One engine's measurements."""

    ingest_rate: float  # events/s
    search_ms: float
    autocomplete_ms: float
    due_sends_ms: float


@dataclass(frozen=True, slots=True)
class Engines:
    sqlite: Engine
    postgresql: Engine
    episodes: int
    guilds: int
    events: int
    repeats: int


def _events(count: int) -> list[tuple[int, int, datetime]]:
    rng = random.Random(8)
    weights = [1 / (rank + 1) for rank in range(THREADS)]
    threads = rng.choices(range(1, THREADS + 1), weights=weights, k=count)
    step = timedelta(seconds=1 / 200)  # a busy server: 200 events/s
    return [(threads[n], rng.randrange(MEMBERS), START + n * step) for n in range(count)]


async def _ingest(store: Store, events: list[tuple[int, int, datetime]]) -> float:
    """Events/s through the tracker, flushed every 5 s of the events' own time; checks every event landed."""
    tracker = ThreadTracker(store.threads)
    for thread_id in range(1, THREADS + 1):
        await tracker.track_thread(thread_id, 1, 10, name=f"thread {thread_id}", created_at=START)
    flush_at = START + FLUSH_EVERY
    started = time.perf_counter()
    for thread_id, author, at in events:
        if at >= flush_at:
            await tracker.flush()
            flush_at += FLUSH_EVERY
        tracker.record_message(thread_id, author, at)
    await tracker.flush()
    seconds = time.perf_counter() - started
    total = int(await store.db.fetchval("SELECT sum(message_count) FROM threads"))
    if total != len(events):
        raise RuntimeError(f"{store.dialect}: the tracker stored {total} of {len(events)} events")
    return len(events) / seconds


async def _add_outbox(path: Path, guilds: int) -> None:
    """`guilds` guilds following feed 1, each with PENDING_PER_GUILD announcements waiting."""
    store = await Store.open(path)
    try:
        for n in range(guilds):
            await store.announcements.subscribe(FIRST_GUILD + n, 1, 500_000 + n, ChannelKind.TEXT)
        subscriptions = await store.announcements.subscriptions_for_feed(1)
        rows = await store.db.fetchall("SELECT id FROM items WHERE feed_id = 1 ORDER BY id LIMIT ?", (3,))
        async with store.db.transaction() as tx:
            for row in rows[:PENDING_PER_GUILD]:
                await store.announcements.create_deliveries(
                    tx, item_id=int(row["id"]), feed_id=1, subscriptions=subscriptions, backfill=True
                )
    finally:
        await store.close()


async def _median_ms(repeats: int, calls: Sequence[Callable[[], Awaitable[object]]]) -> float:
    """Median over `repeats` rounds of the mean wall time of one call, each round running every call."""
    rounds = []
    for _ in range(repeats):
        started = time.perf_counter()
        for call in calls:
            await call()
        rounds.append((time.perf_counter() - started) * 1000 / len(calls))
    return statistics.median(rounds)


async def _reads(store: Store, repeats: int, guilds: int) -> tuple[float, float, float]:
    """(/search ms, autocomplete ms, due_sends ms) on a seeded store, after one warm-up round each."""
    service = SearchService(SearchRepo(store.db))
    guild = search_bench.GUILD_ID
    searches = [functools.partial(service.search, guild, q) for q in search_bench.SEARCH_QUERIES]
    keystrokes = [functools.partial(service.title_choices, guild, q) for q in search_bench.TITLE_QUERIES]
    now = utcnow()
    # a process running shard 0 of 2 (the seeded guilds' ids are all on shard 0), claiming as it reads
    claimant = Claimant("bench:1:claims", Topology(shard_count=2, shard_ids=(0,)))

    async def claim() -> None:
        due = await store.announcements.due_sends(now, 50, claimant=claimant)
        if len(due) != min(50, guilds * PENDING_PER_GUILD):
            raise RuntimeError(f"{store.dialect}: due_sends found {len(due)} announcements")

    for search in searches:
        await search()
    for keystroke in keystrokes:
        await keystroke()
    await claim()
    page = await service.search(guild, search_bench.SEARCH_QUERIES[0])
    if not page.hits:
        raise RuntimeError(f"{store.dialect}: /search found nothing for {search_bench.SEARCH_QUERIES[0]!r}")
    return (
        await _median_ms(repeats, searches),
        await _median_ms(repeats * 10, keystrokes),
        await _median_ms(repeats * 10, [claim]),
    )


async def _measure_engines(quick: bool) -> Engines:
    episodes, words = (1_000, 500) if quick else (10_000, 2_000)
    guilds = 200 if quick else 1_000
    events = _events(5_000 if quick else 20_000)
    repeats = 3 if quick else 7
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as folder:
        path = Path(folder) / "seeded.sqlite3"
        await asyncio.to_thread(search_bench.seed, path, episodes, transcript_words=words)
        await _add_outbox(path, guilds)

        sqlite = await Store.open(path)
        pg, pg_url = await _postgres.open_fresh("engines")
        try:
            assert isinstance(pg.db, PgDatabase)
            await copy_database(sqlite.db, pg.db)
            await pg.db.execute("ANALYZE")  # planner statistics, as autovacuum gathers them soon after
            sqlite_reads = await _reads(sqlite, repeats, guilds)
            pg_reads = await _reads(pg, repeats, guilds)
        finally:
            await sqlite.close()
            await pg.close()
            await _postgres.drop_database(pg_url)

        ingest_sqlite = await Store.open(Path(folder) / "ingest.sqlite3")
        try:
            sqlite_rate = await _ingest(ingest_sqlite, events)
        finally:
            await ingest_sqlite.close()
        ingest_pg, ingest_url = await _postgres.open_fresh("ingest")
        try:
            pg_rate = await _ingest(ingest_pg, events)
        finally:
            await ingest_pg.close()
            await _postgres.drop_database(ingest_url)
    return Engines(
        sqlite=Engine(sqlite_rate, *sqlite_reads),
        postgresql=Engine(pg_rate, *pg_reads),
        episodes=episodes,
        guilds=guilds,
        events=len(events),
        repeats=repeats,
    )


@cache
def engines(quick: bool) -> Engines:
    return asyncio.run(_measure_engines(quick))


def figure_pg_vs_sqlite_ingest(quick: bool) -> Figure:
    """Thread-tracker ingest on PostgreSQL against SQLite (events/s, higher is better)."""
    m = engines(quick)
    return Figure(
        name="fleet: tracker ingest, PostgreSQL vs SQLite",
        value=m.postgresql.ingest_rate,
        baseline=m.sqlite.ingest_rate,
        unit="events/s",
        target=0.1,
        direction="higher",
        limit=2_000,  # ten times a busy server's 200 events/s
        note=f"{m.events:,} events, {THREADS} threads, flushed every 5 s of their time; fresh database each",
    )


def figure_pg_vs_sqlite_search(quick: bool) -> Figure:
    """/search latency on PostgreSQL (tsvector + GIN, ts_rank, ts_headline) against SQLite (FTS5)."""
    m = engines(quick)
    return Figure(
        name="fleet: /search latency, PostgreSQL vs SQLite",
        value=m.postgresql.search_ms,
        baseline=m.sqlite.search_ms,
        unit="ms",
        target=20,
        direction="lower",
        limit=150,  # 0.05 of the 3 s interaction deadline, as bench/search.py asks of SQLite
        note=f"{m.episodes:,} episodes, {len(search_bench.SEARCH_QUERIES)} queries, median of {m.repeats}",
    )


def figure_pg_vs_sqlite_autocomplete(quick: bool) -> Figure:
    """/episode autocomplete keystroke on PostgreSQL against SQLite (the in-memory index and its freshness
    read)."""
    m = engines(quick)
    return Figure(
        name="fleet: autocomplete latency, PostgreSQL vs SQLite",
        value=m.postgresql.autocomplete_ms,
        baseline=m.sqlite.autocomplete_ms,
        unit="ms",
        target=40,  # a round trip to the server against an in-process read of well under 0.1 ms
        direction="lower",
        limit=150,
        note=f"{m.episodes:,} titles, {len(search_bench.TITLE_QUERIES)} typed texts, warm index",
    )


def figure_pg_vs_sqlite_outbox_claim(quick: bool) -> Figure:
    """The outbox read of each fan-out round (`due_sends`, 50 of the pending announcements)."""
    m = engines(quick)
    return Figure(
        name="fleet: outbox claim (due_sends), PostgreSQL vs SQLite",
        value=m.postgresql.due_sends_ms,
        baseline=m.sqlite.due_sends_ms,
        unit="ms",
        target=5,
        direction="lower",
        limit=50,
        note=f"{m.guilds:,} guilds × {PENDING_PER_GUILD} pending announcements, 50 read per call",
    )


# -- Failover ------------------------------------------------------------------------------------------

LEASE_SECONDS = 5.0
TICK_SECONDS = LEASE_SECONDS / 3  # the cog's rule: the lease is renewed every tick, three ticks fit in it


@dataclass(frozen=True, slots=True)
class Trial:
    failover_s: float  # kill -> first poll by the other leader
    old_polls_after_kill: int
    new_polls_before_expiry: int


@dataclass
class Loop:
    """One process's tick loop: when it polled, when its last renewal of the lease began."""

    leader: FeedLeader
    polls: list[float]
    renewed: asyncio.Event
    renewal_started: float = 0.0


async def _tick_loop(loop: Loop) -> None:
    """A tick loop like the cog's `poll_loop`: every tick, `leader.run(poll)`; a poll records its time."""

    async def poll() -> None:
        loop.polls.append(time.monotonic())

    next_tick = time.monotonic()
    while True:
        started = time.monotonic()
        await loop.leader.run(poll)
        if loop.leader.leading:
            loop.renewal_started = started
            loop.renewed.set()
        next_tick += TICK_SECONDS
        await asyncio.sleep(max(0.0, next_tick - time.monotonic()))


async def _trial(seed: int) -> Trial:
    store, url = await _postgres.open_fresh("failover")
    other_store = await Store.open(url, pool_size=2)  # the second process's own connections
    lease = timedelta(seconds=LEASE_SECONDS)
    first = Loop(FeedLeader(store.leases, duration=lease, holder=f"first-{seed}"), [], asyncio.Event())
    second = Loop(
        FeedLeader(other_store.leases, duration=lease, holder=f"second-{seed}"), [], asyncio.Event()
    )
    tasks: list[asyncio.Task[None]] = []
    try:
        tasks.append(asyncio.create_task(_tick_loop(first)))
        await first.renewed.wait()
        # the other process starts a moment later, at a random phase of the first one's tick
        await asyncio.sleep(random.Random(seed).uniform(0.1, TICK_SECONDS - 0.1))
        tasks.append(asyncio.create_task(_tick_loop(second)))
        await asyncio.sleep(TICK_SECONDS)  # both running: the second one waits
        first.renewed.clear()
        await first.renewed.wait()  # killed right after a renewal: the lease has all its time to run
        tasks[0].cancel()  # stops renewing, never releases (a SIGKILLed process)
        killed_at = time.monotonic()
        expires_at = first.renewal_started + LEASE_SECONDS  # at the latest
        await asyncio.wait_for(second.renewed.wait(), LEASE_SECONDS + 3 * TICK_SECONDS)
        while not second.polls:
            await asyncio.sleep(0.01)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await store.close()
        await other_store.close()
        await _postgres.drop_database(url)
    return Trial(
        failover_s=second.polls[0] - killed_at,
        old_polls_after_kill=sum(at > killed_at for at in first.polls),
        new_polls_before_expiry=sum(at < expires_at - 0.05 for at in second.polls),
    )


async def _measure_failover(trials: int) -> list[Trial]:
    return list(await asyncio.gather(*(_trial(seed) for seed in range(trials))))


@cache
def failover(quick: bool) -> list[Trial]:
    trials = asyncio.run(_measure_failover(2 if quick else 5))
    for trial in trials:
        if trial.old_polls_after_kill or trial.new_polls_before_expiry:
            raise RuntimeError(f"two leaders polled at once: {trial}")
    return trials


def figure_failover_time(quick: bool) -> Figure:
    """Leader killed → first poll by the new leader, against the lease (≤ 1 + tick/lease)."""
    trials = failover(quick)
    times = [trial.failover_s for trial in trials]
    return Figure(
        name="fleet: failover, leader killed → first poll by the new one, vs lease",
        value=max(times),
        baseline=LEASE_SECONDS,
        unit="s",
        target=1 + TICK_SECONDS / LEASE_SECONDS,
        direction="lower",
        note=(
            f"{len(times)} trials on PostgreSQL, lease {LEASE_SECONDS:g} s, tick {TICK_SECONDS:.2f} s, "
            f"killed right after a renewal; median {statistics.median(times):.2f} s, "
            f"slowest {max(times):.2f} s"
        ),
    )


# -- Fan-out against the global rate limit ------------------------------------------------------------

RATE_LIMIT = 50  # Discord's global limit: requests per second per bot token
FANOUT_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class FanOutRun:
    """One fan-out of a new episode: how many processes, requests admitted per second, 429s."""

    processes: int
    guilds: int
    seconds: float  # first announcement request → the last guild's announcement
    requests: int  # the bot's REST requests admitted by the double in that window
    rejected: int  # global 429s in that window

    @property
    def rate(self) -> float:
        """Requests admitted per second (the window opens with one and closes with another)."""
        return (self.requests - 1) / self.seconds

    @property
    def share(self) -> float:
        """Achieved requests/s as a share of the global rate limit."""
        return self.rate / RATE_LIMIT


async def _guilds_on_both_shards(double: DiscordDouble, guilds: int) -> list[Guild]:
    """`guilds` guilds, half on each of two shards, with one text channel each. A guild's shard is the
    millisecond of its snowflake id, modulo 2: guilds are added a millisecond apart until both halves are
    full (a guild beyond its half stays in the double, following nothing)."""
    halves: list[list[Guild]] = [[], []]
    while min(len(half) for half in halves) < guilds // 2:
        guild = double.add_guild(f"Listeners {sum(map(len, halves)) + 1}")
        double.add_text_channel(guild, "episodes")
        half = halves[shard_of(guild.id, 2)]
        if len(half) < guilds // 2:
            half.append(guild)
        await asyncio.sleep(0.001)
    return halves[0] + halves[1]


async def _seed_fanout(
    url: str, world: _harness.World, items: list[ParsedItem], guilds: list[Guild]
) -> list[int]:
    """The podcast feed known (nothing to announce), followed by every guild in its first text channel,
    without threads (the figure is the announcement's fan-out); returns the channel ids."""
    store = await Store.open(url, pool_size=2)
    try:
        newsletter = await store.feeds.ensure_builtin(
            "newsletter", world.feeds.url("/newsletter.xml"), "newsletter"
        )
        podcast = await store.feeds.ensure_builtin("podcast", world.feeds.url("/podcast.xml"), "podcast")
        now = utcnow()
        await store.feeds.save_poll(
            podcast.id,
            now=now,
            feed_fields={"first_fetch_done": True, "title": "The AI Daily Brief", "last_success_at": now},
            new=[NewItem(item, "skipped", "first_run") for item in items],
        )
        # Nothing is due when the bots start: a start-up poll still running when the episode is published
        # would save its own next poll time over `_make_podcast_due`'s, and the episode would wait for it.
        later = now + timedelta(hours=1)
        for feed in (newsletter, podcast):
            await store.feeds.update_feed(feed.id, next_poll_at=later)
        channels = []
        for guild in guilds:
            channel = guild.channel_ids[0]  # the world's guilds have one text channel each
            await store.announcements.subscribe(guild.id, podcast.id, channel, ChannelKind.TEXT)
            await store.announcements.update_subscription(guild.id, podcast.id, threads_enabled=False)
            channels.append(channel)
        return channels
    finally:
        await store.close()


async def _check_claims(url: str, processes: int) -> None:
    """Each announcement was claimed by a process owning its guild: `processes` claimants, each with the
    guilds of one shard only."""
    store = await Store.open(url, pool_size=1)
    try:
        rows = await store.db.fetchall("SELECT guild_id, claimed_by FROM deliveries")
    finally:
        await store.close()
    shards: dict[str, set[int]] = {}
    for row in rows:
        shards.setdefault(str(row["claimed_by"]), set()).add(shard_of(int(row["guild_id"]), processes))
    if len(shards) != processes or any(len(owned) != 1 for owned in shards.values()):
        raise RuntimeError(f"announcements claimed across shards: {shards}")


async def _make_podcast_due(url: str) -> None:
    store = await Store.open(url, pool_size=1)
    try:
        podcast = await store.feeds.get_feed_by_name("podcast")
        assert podcast is not None
        await store.feeds.update_feed(podcast.id, next_poll_at=None)
    finally:
        await store.close()


async def _fan_out(guilds: int, processes: int) -> FanOutRun:
    """Start `processes` bots (SHARD_COUNT=processes, one shard each, when more than one) on a fresh
    PostgreSQL database, publish a new episode, and time its announcement in every guild."""
    items = _episodes.episodes(25)
    url = await _postgres.fresh_database("fanout")
    children: list[_harness.Child] = []
    try:
        async with DiscordDouble() as double, FeedServer() as feeds:
            world = _harness.World(double, feeds, guilds)
            subscribed = await _guilds_on_both_shards(double, guilds)
            world.feeds.set_feed("/podcast.xml", _episodes.rss(items, len(items)))
            world.feeds.set_feed("/newsletter.xml", _episodes.rss(items[:3], 3))
            channels = set(await _seed_fanout(url, world, items, subscribed))
            limit = double.enforce_global_rate_limit(RATE_LIMIT)
            for shard in range(processes):
                sharding = {"SHARD_COUNT": str(processes), "SHARD_IDS": str(shard)} if processes > 1 else {}
                env = world.env(DATABASE_URL=url, **sharding)
                children.append(
                    await _harness.Child([_harness.PYTHON, "-m", "bot", "run"], env, _harness.ROOT).start()
                )
            for child in children:
                await child.wait_ready(timeout=90)
            new = [dataclasses.replace(_episodes.episodes(26)[-1], published=utcnow())]  # just published
            world.feeds.set_feed("/podcast.xml", _episodes.rss(new + items, len(items) + 1))
            await _make_podcast_due(url)
            title = new[0].title

            def announced() -> list[Any]:
                return [
                    r
                    for r in double.requests
                    if r.method == "POST"
                    and r.status == 200
                    and r.route == "/channels/{channel_id}/messages"
                    and int(r.params["channel_id"]) in channels
                    and title in json.dumps(r.json)
                ]

            deadline = time.monotonic() + FANOUT_TIMEOUT
            while len(announced()) < guilds:
                if time.monotonic() > deadline:
                    tails = "\n".join(child.tail() for child in children)
                    raise RuntimeError(f"{len(announced())} of {guilds} guilds announced:\n{tails}")
                await asyncio.sleep(0.2)
            await asyncio.sleep(0.5)  # a duplicate would come now
            posts = announced()
            per_channel = Counter(int(r.params["channel_id"]) for r in posts)
            if len(posts) != guilds or set(per_channel) != channels:
                raise RuntimeError(f"{len(posts)} announcements for {guilds} guilds: lost or duplicated")
            await _check_claims(url, processes)
            first = min(r.at for r in posts)
            last = max(r.at for r in posts)
            # the bot token's requests in the window (interaction responses are not bound by the limit)
            window = [r for r in double.requests if first <= r.at <= last and "Authorization" in r.headers]
            admitted = sum(r.status != 429 for r in window)
            rejected = sum(first <= r.at <= last for r in limit.rejected)
    finally:
        for child in children:
            await child.stop()
        await _postgres.drop_database(url)
    return FanOutRun(processes, guilds, (last - first).total_seconds(), admitted, rejected)


@cache
def fan_out(quick: bool, processes: int) -> FanOutRun:
    return asyncio.run(_fan_out(200 if quick else 1_000, processes))


def _fanout_note(run: FanOutRun) -> str:
    return (
        f"{run.guilds:,} guilds in {run.seconds:.1f} s, each announced once by the process owning it: "
        f"{run.requests:,} requests admitted ({run.rate:.1f}/s), {run.rejected} global 429s"
    )


def _fanout_share(run: FanOutRun, who: str) -> Figure:
    return Figure(
        name=f"fleet: fan-out to {run.guilds:,} guilds, {who}, share of 50 req/s",
        value=run.rate,
        baseline=RATE_LIMIT,
        unit="req/s",
        target=0.8,
        direction="higher",
        note=_fanout_note(run),
    )


def figure_fanout_one_process(quick: bool) -> Figure:
    """One process announcing a new episode in every guild, as a share of the 50 requests/s limit."""
    return _fanout_share(fan_out(quick, 1), "one process")


def figure_fanout_two_processes(quick: bool) -> Figure:
    """Two processes (one shard each, one database), as a share of the same limit (one bot token)."""
    return _fanout_share(fan_out(quick, 2), "two processes")


def figure_fanout_two_vs_one(quick: bool) -> Figure:
    """Two processes against one: the limit is the bot's, so two can at best match one; they must not
    lose much of it to each other's 429s."""
    one, two = fan_out(quick, 1), fan_out(quick, 2)
    return Figure(
        name="fleet: fan-out requests/s, two processes vs one",
        value=two.rate,
        baseline=one.rate,
        unit="req/s",
        target=0.9,
        direction="higher",
        note=f"global 429s: one process {one.rejected}, two processes {two.rejected}",
    )
