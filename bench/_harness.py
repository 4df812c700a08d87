"""Running real processes for the start-up and memory figures: the bot, a bare discord.py client, a bare
interpreter, each as a child process against the same Discord protocol double and feed server double.

Everything here is measured from outside the child: wall time from spawning it to its "ready as" line on
stderr, and its resident set size (psutil) once it has gone idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bot.settings import Settings
from tests.doubles.discord import DiscordDouble
from tests.doubles.feed_server import FeedServer

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
READY_MARKER = "ready as "
MB = 1024 * 1024
POLL_TIMEOUT = 30.0  # the feed worker polls due feeds right after ready; its tick is at most 60 s

# A bare discord.py client doing the same connect as the bot: same intents, same endpoints, no cogs.
BARE_CLIENT = """\
import asyncio, os, signal, sys
import discord, yarl
discord.http.Route.BASE = os.environ["DISCORD_API_BASE"].rstrip("/")
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])
intents = discord.Intents.none()
intents.guilds = intents.guild_messages = intents.polls = True
client = discord.Client(intents=intents, guild_ready_timeout=float(os.environ["GUILD_READY_TIMEOUT"]))

@client.event
async def on_ready():
    print(f"ready as {client.user} in {len(client.guilds)} guilds", file=sys.stderr, flush=True)

async def main():
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with client:
        runner = asyncio.create_task(client.start(os.environ["DISCORD_TOKEN"]))
        await stop.wait()
        await client.close()
        await runner

asyncio.run(main())
"""

# The bare interpreter with discord.py imported: what any discord.py bot costs before doing anything.
BARE_IMPORT = """\
import sys
import discord
print("ready as a bare interpreter, discord.py", discord.__version__, file=sys.stderr, flush=True)
sys.stdin.read()
"""


def child_env(**extra: str) -> dict[str, str]:
    """The caller's environment without any bot setting (so a developer's `.env` cannot leak in)."""
    ours = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key not in ours}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


@dataclass
class Child:
    """One child process whose stderr is collected; `ready` is set when it logs its ready line."""

    argv: Sequence[str]
    env: dict[str, str]
    cwd: Path
    proc: asyncio.subprocess.Process | None = None
    started: float = 0.0
    ready_at: float | None = None
    ready_line: str = ""
    ready_cpu: float = 0.0
    log: list[str] = field(default_factory=list)
    _ready: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task[None] | None = None

    async def start(self) -> Child:
        self.started = time.perf_counter()
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read(), name=f"read-{self.proc.pid}")
        return self

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while raw := await self.proc.stderr.readline():
            line = raw.decode(errors="replace").rstrip("\n")
            if self.ready_at is None and READY_MARKER in line:
                self.ready_at = time.perf_counter()
                self.ready_cpu = self._cpu()
                self.ready_line = line
                self._ready.set()
            self.log.append(line)
        self._ready.set()  # the child ended: wake `wait_ready`, which reports it

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def wait_ready(self, timeout: float = 60.0) -> float:
        """Seconds from spawning the child to its ready line."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            raise RuntimeError(f"{self.argv[1:3]} not ready in {timeout} s:\n{self.tail()}") from None
        if self.ready_at is None:
            raise RuntimeError(f"{self.argv[1:3]} exited before it was ready:\n{self.tail()}")
        return self.ready_at - self.started

    async def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM (and closed stdin), then the exit status."""
        assert self.proc is not None
        if self._reader is not None and self._reader.done():
            # Its stderr closed: the child is exiting by itself. Signalling it now would make Popen poll
            # (and reap) it before asyncio's child watcher does, and the exit status would read 255.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), timeout)
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.terminate()
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            code = await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            self.proc.kill()
            code = await self.proc.wait()
        if self._reader is not None:
            await asyncio.wait_for(self._reader, timeout)
        return code

    def _cpu(self) -> float:
        """User + system CPU seconds the child has used so far (0 if it is already gone)."""
        try:
            return sum(psutil.Process(self.pid).cpu_times()[:2])
        except psutil.Error:
            return 0.0

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log[-lines:])

    def rss_mb(self) -> float:
        return psutil.Process(self.pid).memory_info().rss / MB


async def wait_idle(
    pid: int, *, window: float = 0.25, busy_share: float = 0.02, timeout: float = 15.0
) -> float:
    """Wait until the process uses under `busy_share` of a core over `window` seconds; returns the wait."""
    process = psutil.Process(pid)
    started = time.perf_counter()
    before = sum(process.cpu_times()[:2])
    while time.perf_counter() - started < timeout:
        await asyncio.sleep(window)
        now = sum(process.cpu_times()[:2])
        if now - before < window * busy_share:
            return time.perf_counter() - started
        before = now
    raise RuntimeError(f"process {pid} still busy after {timeout} s")


@dataclass
class World:
    """The doubles a child connects to: Discord with `guilds` guilds, and the two configured feeds."""

    double: DiscordDouble
    feeds: FeedServer
    guilds: int

    def env(self, **extra: str) -> dict[str, str]:
        """The bot's environment against these doubles (`extra` overrides any of it)."""
        settings = {
            "DISCORD_TOKEN": self.double.token,
            "DISCORD_API_BASE": self.double.api_base,
            "DISCORD_GATEWAY_URL": self.double.gateway_url,
            "GUILD_READY_TIMEOUT": "0.05",
            "PODCAST_FEED_URL": self.feeds.url("/podcast.xml"),
            "NEWSLETTER_FEED_URL": self.feeds.url("/newsletter.xml"),
            "FEED_ALLOW_PRIVATE_HOSTS": "true",
            "FEED_POLL_INTERVAL": "3600",
            "LOG_LEVEL": "INFO",
        }
        return child_env(**(settings | extra))


@contextlib.asynccontextmanager
async def world(guilds: int, *, channels: int = 3, members: int = 5) -> AsyncIterator[World]:
    """Start both doubles with `guilds` guilds of `channels` text channels and `members` members each."""
    async with DiscordDouble() as double, FeedServer() as feeds:
        for g in range(guilds):
            guild = double.add_guild(f"Listeners {g + 1}")
            for c in range(channels):
                double.add_text_channel(guild, ["general", "episodes", "open-vs-closed", "off-topic"][c % 4])
            for m in range(members):
                double.add_member(guild, f"member-{g}-{m}")
        yield World(double, feeds, guilds)


@dataclass(frozen=True, slots=True)
class Run:
    """What one child measured: wall and CPU seconds from spawn to ready, idle RSS (0 if not read)."""

    ready_s: float
    cpu_s: float
    rss_mb: float
    ready_line: str


async def run_child(
    argv: Sequence[str],
    env: dict[str, str],
    cwd: Path,
    *,
    memory: bool,
    clean: bool,
    settle: Callable[[], Awaitable[None]] | None = None,
) -> Run:
    """Spawn, wait for the ready line, optionally wait until idle and read RSS, then SIGTERM.

    `settle` is awaited after ready and before the idle wait (e.g. until the bot's first feed poll).
    With `clean`, the child must also exit 0 without logging a traceback (the bot's clean shutdown).
    """
    child = Child(argv, env, cwd)
    await child.start()
    try:
        ready = await child.wait_ready()
        rss = 0.0
        if memory:
            if settle is not None:
                await settle()
            await wait_idle(child.pid)
            rss = child.rss_mb()
        code = await child.stop()
    finally:
        if child.proc is not None and child.proc.returncode is None:
            child.proc.kill()
            await child.proc.wait()
    if clean and (code != 0 or any("Traceback" in line for line in child.log)):
        raise RuntimeError(f"{argv[1:4]} exited with {code} or logged a traceback:\n{child.tail()}")
    return Run(ready, child.ready_cpu, rss, child.ready_line)


async def run_bot(world: World, database: Path, *, memory: bool) -> Run:
    """One `python -m bot run` on `database`, against the world's doubles.

    With `memory`, the RSS is read once the bot has polled its podcast feed (it does right after ready)
    and gone idle again, so the steady state includes a poll over the stored episodes.
    """
    env = world.env(DATABASE_PATH=str(database))
    before = len(world.feeds.requests_for("/podcast.xml"))

    async def first_poll() -> None:
        deadline = time.perf_counter() + POLL_TIMEOUT
        while len(world.feeds.requests_for("/podcast.xml")) == before:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"the bot did not poll its podcast feed within {POLL_TIMEOUT:.0f} s")
            await asyncio.sleep(0.05)

    argv = [PYTHON, "-m", "bot", "run"]
    return await run_child(argv, env, database.parent, memory=memory, clean=True, settle=first_poll)


async def run_script(world: World, script: str, cwd: Path, *, memory: bool) -> Run:
    """One `python -c script` (a bare client or interpreter), against the world's doubles."""
    return await run_child([PYTHON, "-c", script], world.env(), cwd, memory=memory, clean=False)
