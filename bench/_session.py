"""One session of real processes shared by the start-up and memory figures.

The world: a Discord protocol double with 100 guilds (3 text channels and 5 members each) and a feed
server double serving the two configured feeds; a store whose podcast feed holds 10,000 episodes. In it:

1. one cold start of `python -m bot run` on that store (it syncs the slash commands, as on a first deploy);
2. `bot_runs` warm starts (commands unchanged, so no sync: the steady state of every restart), each timed from
   spawn to the bot's "ready as" log line, then, once it has polled its podcast feed (10,000 known episodes;
   the feeds are made due before each start, as after a downtime) and gone idle, its RSS read (the cold
   start's RSS too);
3. `runs` bare `discord.Client` scripts doing the same connect (same intents, same double), timed the same
   way and their RSS read once idle;
4. `runs` bare interpreters that only `import discord`, their RSS read.

Each child checks its work: the bot and the client must report every guild in their ready line, the bot
must exit 0 on SIGTERM without a traceback, warm starts must not sync, and afterwards the podcast feed must
have been polled without error and still hold every episode, none of them waiting to be announced.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import _episodes, _harness
from bot.store import Store

GUILDS = 100
EPISODES = 10_000
IN_FEED = 25  # the newest episodes listed in the served feed body


@dataclass(frozen=True, slots=True)
class Session:
    """Every child's measurements; the properties are the medians the figures report."""

    guilds: int
    episodes: int
    cold: _harness.Run
    cold_syncs: int
    warm_syncs: int
    bots: list[_harness.Run]
    clients: list[_harness.Run]
    imports: list[_harness.Run]

    @property
    def bot_ready(self) -> float:
        return statistics.median(run.ready_s for run in self.bots)

    @property
    def bot_cpu(self) -> float:
        return statistics.median(run.cpu_s for run in self.bots)

    @property
    def client_ready(self) -> float:
        return statistics.median(run.ready_s for run in self.clients)

    @property
    def client_cpu(self) -> float:
        return statistics.median(run.cpu_s for run in self.clients)

    @property
    def bot_rss(self) -> float:
        """Median idle RSS of every bot started, the cold one included (idle, it holds the same)."""
        return statistics.median(run.rss_mb for run in [self.cold, *self.bots])

    @property
    def client_rss(self) -> float:
        return statistics.median(run.rss_mb for run in self.clients)

    @property
    def import_rss(self) -> float:
        return statistics.median(run.rss_mb for run in self.imports)


_GUILD_COUNT = re.compile(r"in (\d+) guilds")


def _check_guilds(line: str, expected: int, who: str) -> None:
    found = _GUILD_COUNT.search(line)
    if found is None or int(found.group(1)) != expected:
        raise RuntimeError(f"{who} was ready without all {expected} guilds: {line!r}")


async def _make_feeds_due(database: Path) -> None:
    """As if the bot had been down for a poll interval: its next start polls every feed at once."""
    store = await Store.open(database)
    try:
        for feed in await store.feeds.list_feeds():
            await store.feeds.update_feed(feed.id, next_poll_at=None)
    finally:
        await store.close()


async def _check_store(database: Path, episodes: int) -> None:
    """After every bot polled the feed: all episodes still there, the feed healthy, nothing to announce."""
    store = await Store.open(database)
    try:
        podcast = await store.feeds.get_feed_by_name("podcast")
        if podcast is None or podcast.last_error or podcast.last_fetch_at is None:
            raise RuntimeError(f"the bots did not poll the podcast feed cleanly: {podcast}")
        count = int(await store.db.fetchval("SELECT count(*) FROM items WHERE feed_id = ?", (podcast.id,)))
        pending = await store.feeds.pending_items()
    finally:
        await store.close()
    if count != episodes or pending:
        raise RuntimeError(f"after the runs the feed holds {count} episodes and {len(pending)} to announce")


async def run_session(
    guilds: int = GUILDS, episodes: int = EPISODES, runs: int = 5, bot_runs: int | None = None
) -> Session:
    """The session in the module docstring: `bot_runs` warm bots (default `runs`), `runs` of the others."""
    bot_runs = runs if bot_runs is None else bot_runs
    items = _episodes.episodes(episodes)
    with tempfile.TemporaryDirectory(prefix="bench-processes-") as folder:
        database = Path(folder) / "bot.sqlite3"
        async with _harness.world(guilds) as world:
            # no ETag: every bot's first poll downloads the body and compares it with the stored episodes,
            # the heavier case (a 304 would skip that work)
            world.feeds.set_feed("/podcast.xml", _episodes.rss(items, IN_FEED))
            world.feeds.set_feed("/newsletter.xml", _episodes.rss(items[:3], 3))
            stored = await _episodes.seed_store(
                database, world.feeds.url("/podcast.xml"), world.feeds.url("/newsletter.xml"), items
            )
            if stored != episodes:
                raise RuntimeError(f"the store holds {stored} episodes, not {episodes}")

            syncs = world.double.command_store.sync_log
            cold = await _harness.run_bot(world, database, memory=True)
            _check_guilds(cold.ready_line, guilds, "the bot")
            cold_syncs = len(syncs)
            bots = []
            for _ in range(bot_runs):
                await _make_feeds_due(database)
                bots.append(await _harness.run_bot(world, database, memory=True))
                _check_guilds(bots[-1].ready_line, guilds, "the bot")
            warm_syncs = len(syncs) - cold_syncs
            clients = []
            for _ in range(runs):
                clients.append(
                    await _harness.run_script(world, _harness.BARE_CLIENT, database.parent, memory=True)
                )
                _check_guilds(clients[-1].ready_line, guilds, "the bare client")
            imports = [
                await _harness.run_script(world, _harness.BARE_IMPORT, database.parent, memory=True)
                for _ in range(runs)
            ]
        await _check_store(database, episodes)
    return Session(guilds, episodes, cold, cold_syncs, warm_syncs, bots, clients, imports)


_SESSIONS: dict[bool, Session | Exception] = {}


def session(quick: bool) -> Session:
    """The session behind both figures, run once per mode (a failure too is kept, not rerun).

    --quick: 2 warm bots (the bot's RSS is still a median of 3 with the cold start) and 3 of each bare
    child; otherwise 7 of each.
    """
    if quick not in _SESSIONS:
        try:
            _SESSIONS[quick] = asyncio.run(run_session(runs=3, bot_runs=2) if quick else run_session(runs=7))
        except Exception as exc:
            _SESSIONS[quick] = exc
    result = _SESSIONS[quick]
    if isinstance(result, Exception):
        raise RuntimeError("the start-up and memory session failed") from result
    return result
