"""Shared harness for the reliability suite: figures, the real bot in-process, a traced guarded session.

Every test here proves a promise with numbers; `figure()` prints them and keeps them for the summary that
`conftest.py` prints at the end of the run (pytest hides a passing test's output otherwise).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.client import CommunityBot, apply_discord_endpoints
from bot.feeds.fetch import Fetcher, build_session
from bot.http import USER_AGENT
from bot.runner import create_bot
from bot.settings import Settings
from bot.store import Store
from tests.doubles.discord import DiscordDouble

T = TypeVar("T")

#: (test name, one line of figures), in the order recorded; printed by `conftest.pytest_terminal_summary`.
FIGURES: list[tuple[str, str]] = []


def figure(test: str, line: str) -> None:
    """Print a line of figures now (visible with `-s`) and keep it for the end-of-run summary."""
    print(f"[{test}] {line}")
    FIGURES.append((test, line))


async def eventually(check: Callable[[], Awaitable[T]], *, timeout: float = 10.0, what: str = "") -> T:
    """Re-check an async condition until it is truthy; fail after `timeout` seconds (no fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
        await asyncio.sleep(0.02)


# -- the network, observed ------------------------------------------------------------------------------


class RecordingResolver(AbstractResolver):
    """A DNS table for test names that records every lookup; unknown names fail like NXDOMAIN."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = {name.lower().rstrip("."): address for name, address in table.items()}
        self.lookups: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups.append(host)
        address = self.table.get(host.lower().rstrip("."))
        if address is None:
            raise OSError(socket.EAI_NONAME, f"{host} is not in the test DNS table")
        fam = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [{"hostname": host, "host": address, "port": port, "family": fam, "proto": 0, "flags": 0}]

    async def close(self) -> None:
        return None


@dataclass
class Traffic:
    """Every HTTP request the session started and every TCP connection it opened (aiohttp tracing)."""

    requests: list[str] = field(default_factory=list)
    connections: int = 0

    def trace_config(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()

        async def on_request(_session: Any, _ctx: Any, params: aiohttp.TraceRequestStartParams) -> None:
            self.requests.append(str(params.url))

        async def on_connect(_session: Any, _ctx: Any, _params: Any) -> None:
            self.connections += 1

        config.on_request_start.append(on_request)
        config.on_connection_create_start.append(on_connect)
        config.freeze()
        return config


def traced_session(
    resolver: AbstractResolver, traffic: Traffic, *, allowed_hosts: tuple[str, ...] = (), timeout: float = 5
) -> aiohttp.ClientSession:
    """The production guarded session (`build_session`) with request/connection tracing added."""
    session = build_session(
        allow_private=False,
        user_agent=USER_AGENT,
        resolver=resolver,
        allowed_hosts=allowed_hosts,
        timeout=timeout,
    )
    session.trace_configs.append(traffic.trace_config())
    return session


# -- the real bot, in-process ------------------------------------------------------------------------------


class LiveBot:
    """The real `CommunityBot` with every extension, on a real store, against the Discord double."""

    def __init__(self, double: DiscordDouble, database: Path, **settings: Any) -> None:
        self.double = double
        self.database = database
        self.overrides = settings
        self.bot: CommunityBot | None = None
        self.store: Store | None = None
        self.session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def settings(self) -> Settings:
        values: dict[str, Any] = {
            "discord_token": self.double.token,
            "discord_api_base": self.double.api_base,
            "discord_gateway_url": self.double.gateway_url,
            "guild_ready_timeout": 0.05,
            "database_path": self.database,
            "podcast_feed_url": "http://127.0.0.1:9/podcast.xml",
            "newsletter_feed_url": "http://127.0.0.1:9/newsletter.xml",
            "feed_poll_interval": 3600,
        }
        values.update(self.overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    async def start(
        self, session: aiohttp.ClientSession | None = None, *, fetcher: Fetcher | None = None
    ) -> CommunityBot:
        """Start the bot; `fetcher` replaces the feed fetcher the settings describe."""
        config = self.settings()
        apply_discord_endpoints(config)
        self.store = await Store.open(self.database)
        self.session = session or aiohttp.ClientSession()
        self.bot = bot = create_bot(config, self.store, self.session, fetcher=fetcher)
        self._task = asyncio.create_task(bot.start(self.double.token), name="reliability-bot")

        async def ready() -> bool:
            if self._task is not None and self._task.done():
                self._task.result()  # surface a start-up failure
            return bot.is_ready()

        await eventually(ready, timeout=15, what="the bot to be ready")
        return bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.close()
        if self._task is not None:
            await asyncio.wait_for(self._task, 15)
        if self.session is not None:
            await self.session.close()
        if self.store is not None:
            await self.store.close()
        self.bot = self._task = self.session = self.store = None


def plain_fetcher(session: aiohttp.ClientSession, **options: Any) -> Fetcher:
    """A feed fetcher over `session` with the production defaults (private addresses refused)."""
    return Fetcher(session, allow_private=False, timeout=5, **options)


# -- the synced command tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """One invocable slash command as Discord holds it: "admin feed add" and its options."""

    name: str
    options: tuple[dict[str, Any], ...]

    @property
    def is_admin(self) -> bool:
        return self.name.split()[0] == "admin"


def leaf_commands(payloads: list[dict[str, Any]]) -> list[Leaf]:
    """Every leaf of the synced tree (sub-commands and groups walked), in a stable order."""
    found: list[Leaf] = []

    def walk(node: dict[str, Any], prefix: str) -> None:
        options = node.get("options") or []
        subs = [o for o in options if o.get("type") in (1, 2)]
        name = f"{prefix}{node['name']}"
        if subs:
            for sub in subs:
                walk(sub, name + " ")
        else:
            found.append(Leaf(name, tuple(options)))

    for payload in payloads:
        if payload.get("type", 1) == 1:
            walk(payload, "")
    return sorted(found, key=lambda leaf: leaf.name)


#: Tables that change by themselves: the audit log records refusals too, feeds record every poll attempt,
#: and the feed poller renews its lease every tick.
VOLATILE_TABLES = ("audit_log", "feeds", "leases", "meta")


async def db_snapshot(store: Store, ignore: tuple[str, ...] = VOLATILE_TABLES) -> list[str]:
    """Every row of every table (but `ignore`) as SQL text: equal snapshots mean no state changed."""
    skipped = tuple(f'INSERT INTO "{table}"' for table in ignore)
    return [line async for line in store.db.conn.iterdump() if not line.startswith(skipped)]
