"""One session of real processes shared by the start-up and memory figures (issue 10).

The world: a Discord protocol double with 100 guilds (3 text channels and 5 members each) and a feed
server double serving the two configured feeds; a store whose podcast feed holds 10,000 episodes. In it:

1. one cold start of `python -m bot run` on that store (it syncs the slash commands, as on a first deploy);
2. `runs` warm starts (commands unchanged, so no sync: the steady state of every restart), each timed from
   spawn to the bot's "ready as" log line, then left to go idle (its first feed poll done) and its RSS read;
3. `runs` bare `discord.Client` scripts doing the same connect (same intents, same double), timed the same
   way and their RSS read once idle;
4. `runs` bare interpreters that only `import discord`, their RSS read.

Each child checks its work: the bot and the client must report every guild in their ready line, the bot
must exit 0 on SIGTERM without a traceback, the store must hold every episode, warm starts must not sync.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bench import _episodes, _harness

GUILDS = 100
EPISODES = 10_000
IN_FEED = 25  # the newest episodes listed in the served feed body


@dataclass(frozen=True, slots=True)
class Session:
    guilds: int
    episodes: int
    runs: int
    cold_ready_s: float
    cold_syncs: int
    warm_syncs: int
    bot_ready_s: list[float]
    bot_rss_mb: list[float]
    client_ready_s: list[float]
    client_rss_mb: list[float]
    import_rss_mb: list[float]
    feed_requests: int

    @property
    def bot_ready(self) -> float:
        return statistics.median(self.bot_ready_s)

    @property
    def client_ready(self) -> float:
        return statistics.median(self.client_ready_s)

    @property
    def bot_rss(self) -> float:
        return statistics.median(self.bot_rss_mb)

    @property
    def client_rss(self) -> float:
        return statistics.median(self.client_rss_mb)

    @property
    def import_rss(self) -> float:
        return statistics.median(self.import_rss_mb)


_GUILD_COUNT = re.compile(r"in (\d+) guilds")


def _check_guilds(line: str, expected: int, who: str) -> None:
    found = _GUILD_COUNT.search(line)
    if found is None or int(found.group(1)) != expected:
        raise RuntimeError(f"{who} was ready without all {expected} guilds: {line!r}")


async def run_session(guilds: int = GUILDS, episodes: int = EPISODES, runs: int = 5) -> Session:
    items = _episodes.episodes(episodes)
    with tempfile.TemporaryDirectory(prefix="bench-processes-") as folder:
        database = Path(folder) / "bot.sqlite3"
        async with _harness.world(guilds) as world:
            world.feeds.set_feed("/podcast.xml", _episodes.rss(items, IN_FEED), etag='"podcast-v1"')
            world.feeds.set_feed("/newsletter.xml", _episodes.rss(items[:3], 3), etag='"newsletter-v1"')
            stored = await _episodes.seed_store(
                database, world.feeds.url("/podcast.xml"), world.feeds.url("/newsletter.xml"), items
            )
            if stored != episodes:
                raise RuntimeError(f"the store holds {stored} episodes, not {episodes}")

            syncs = world.double.command_store.sync_log
            cold_ready, _, line = await _harness.run_bot(world, database, measure_memory=False)
            _check_guilds(line, guilds, "the bot")
            cold_syncs = len(syncs)

            bot_ready, bot_rss = [], []
            for _ in range(runs):
                ready, rss, line = await _harness.run_bot(world, database, measure_memory=True)
                _check_guilds(line, guilds, "the bot")
                bot_ready.append(ready)
                bot_rss.append(rss)
            warm_syncs = len(syncs) - cold_syncs

            client_ready, client_rss = [], []
            for _ in range(runs):
                ready, rss, line = await _harness.run_script(
                    world, _harness.BARE_CLIENT, Path(folder), measure_memory=True
                )
                _check_guilds(line, guilds, "the bare client")
                client_ready.append(ready)
                client_rss.append(rss)

            import_rss = []
            for _ in range(runs):
                _, rss, _ = await _harness.run_script(
                    world, _harness.BARE_IMPORT, Path(folder), measure_memory=True
                )
                import_rss.append(rss)
            feed_requests = len(world.feeds.requests_for("/podcast.xml"))
    return Session(
        guilds=guilds,
        episodes=episodes,
        runs=runs,
        cold_ready_s=cold_ready,
        cold_syncs=cold_syncs,
        warm_syncs=warm_syncs,
        bot_ready_s=bot_ready,
        bot_rss_mb=bot_rss,
        client_ready_s=client_ready,
        client_rss_mb=client_rss,
        import_rss_mb=import_rss,
        feed_requests=feed_requests,
    )


def measure(guilds: int = GUILDS, episodes: int = EPISODES, runs: int = 5) -> Session:
    """Run the whole session (see the module docstring) and return every raw measurement."""
    return asyncio.run(run_session(guilds, episodes, runs))


@cache
def session(quick: bool) -> Session:
    """The session behind both figures, run once per mode: 3 runs of each child with --quick, else 7."""
    return measure(runs=3 if quick else 7)
