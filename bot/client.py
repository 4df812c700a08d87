"""The bot (a sharded `commands.Bot`): services injected, the runner's extensions loaded, deliberate sync."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
import yarl
from discord.ext import commands

from bot import __version__
from bot.errors import BotTree, root_name
from bot.metrics import METRICS
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import aiohttp
    from openai import AsyncOpenAI

    from bot.container import Services
    from bot.ops.server import OpsServer
    from bot.settings import Settings
    from bot.store import Store

log = logging.getLogger(__name__)

COMMAND_HASH_KEY = "synced_command_hash"
#: The lease a process holds while it checks and syncs the global commands (one process syncs).
COMMAND_SYNC_LEASE = "command-sync"
#: AutoShardedClient's private queue of shard events, made when the client starts.
_SHARD_QUEUE = "_AutoShardedClient__queue"


def apply_discord_endpoints(settings: Settings) -> None:
    """Point discord.py at a Discord-compatible endpoint when configured (a protocol double, a proxy)."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
        log.info("Discord REST endpoint: %s", discord.http.Route.BASE)
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
        log.info("Discord gateway endpoint: %s", settings.discord_gateway_url)


def bot_intents() -> discord.Intents:
    """The minimal intents: no privileged intent is needed.

    guilds (channels, threads, roles), guild_messages (thread activity is counted from message events
    without reading their content), guild_polls (native poll votes).
    """
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.polls = True
    return intents


class CommunityBot(commands.AutoShardedBot):
    """The AI Daily Brief community bot.

    It runs the gateway shards `SHARD_IDS` of `SHARD_COUNT` (discord.py's `AutoShardedBot`); with neither
    set it asks Discord how many shards the bot needs and runs them all, so one process is a fleet of one.

    `services` builds the composition root (`bot.container.build_services`) given this client, which the
    announcer, the alerts and the poll closer talk to Discord through; `extensions` are the cog modules to
    load, named by the runner. Each extension's `setup` hands its cogs the services they use.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        services: Callable[[CommunityBot], Services],
        extensions: Sequence[str],
        sync_commands: bool = True,
        serve_http: bool = True,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=bot_intents(),
            tree_cls=BotTree,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=settings.guild_ready_timeout,
            enable_debug_events=False,
            shard_count=settings.shard_count,
            # None runs every shard (discord.py accepts it; its annotation says list only)
            shard_ids=sorted(settings.shards) if settings.shards is not None else None,  # type: ignore[arg-type]
        )
        self.settings = settings
        self.started_at: datetime = utcnow()
        self.version = __version__
        self.extension_names = tuple(extensions)
        self._sync_commands = sync_commands
        self._serve_http = serve_http
        self.services = services(self)

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def http_session(self) -> aiohttp.ClientSession:
        return self.services.http_session

    @property
    def llm(self) -> AsyncOpenAI | None:
        return self.services.llm

    @property
    def ops(self) -> OpsServer:
        """The operators' HTTP surface; it listens only when HTTP_PORT is set."""
        return self.services.ops

    async def setup_hook(self) -> None:
        for name in self.extension_names:
            await self.load_extension(name)
        log.info("loaded %d extensions", len(self.extensions))
        if self._serve_http:
            await self.ops.start()
        if self._sync_commands:
            await self.sync_commands_if_changed()

    def command_payload(self) -> list[dict[str, Any]]:
        """The global command tree as Discord receives it on sync, in a stable order."""
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands()]
        return sorted(payload, key=lambda item: (item.get("type", 1), item["name"]))

    def command_hash(self) -> str:
        blob = json.dumps(self.command_payload(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    async def sync_commands_if_changed(self) -> bool:
        """Sync the global commands only when they changed since the last sync; returns whether it synced.

        Several processes starting together sync once: only the holder of the `command-sync` lease checks
        and syncs (then releases it); the others log and skip, since the holder syncs the same tree.
        """
        holder = self.services.process.id
        duration = timedelta(seconds=self.settings.leader_lease_seconds)
        lease = await self.store.leases.acquire(COMMAND_SYNC_LEASE, holder, now=utcnow(), duration=duration)
        if lease is None:
            log.info("another process is syncing the application commands; this one skips it")
            return False
        try:
            digest = self.command_hash()
            if await self.store.meta.get(COMMAND_HASH_KEY) == digest:
                log.info("application commands unchanged since the last sync")
                return False
            synced = await self.tree.sync()
            await self.store.meta.set(COMMAND_HASH_KEY, digest)
            log.info("synced %d application commands", len(synced))
            return True
        finally:
            await self.store.leases.release(COMMAND_SYNC_LEASE, holder)

    async def close(self) -> None:
        # A stop that arrives while discord.py is still waiting for guilds to stream in (the
        # guild_ready_timeout window) would leave its ready task running past close, and it then fails
        # dispatching `ready` on a closed client. Cancel it first; discord.py handles the cancellation.
        # With shards, each shard has such a task too.
        ready_task: asyncio.Task[None] | None = getattr(self._connection, "_ready_task", None)
        shard_tasks: dict[int, asyncio.Task[None]] = getattr(self._connection, "_ready_tasks", {})
        for task in (ready_task, *shard_tasks.values()):
            if task is not None and not task.done():
                task.cancel()
        # A bot closed without ever being started (built for a command or a test) has no shard event
        # queue yet, which AutoShardedClient.close wakes at its end; give it one to wake.
        if not hasattr(self, _SHARD_QUEUE):
            setattr(self, _SHARD_QUEUE, asyncio.PriorityQueue())
        await self.ops.stop()
        await super().close()

    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: discord.app_commands.Command[Any, ..., Any]
    ) -> None:
        METRICS.commands.labels(command=root_name(command) or "other", outcome="ok").inc()

    async def on_ready(self) -> None:
        log.info("ready as %s in %d guilds", self.user, len(self.guilds))
