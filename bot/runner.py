"""Running the bot: the outside resources opened once, the services built once from them (`create_bot`,
`bot.container`), the extensions named here, signals turned into a clean shutdown, everything closed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from bot.client import COMMAND_HASH_KEY, CommunityBot, apply_discord_endpoints
from bot.container import Features, Services, build_services
from bot.http import create_http_session
from bot.llm import create_llm_client
from bot.ops.server import HTTPServerError
from bot.scaling import TopologyError, check_topology, single_process
from bot.settings import Settings
from bot.store import Store

if TYPE_CHECKING:
    import aiohttp
    from openai import AsyncOpenAI

    from bot.feeds.fetch import Fetcher

log = logging.getLogger(__name__)

#: The cog modules the bot loads, by name (the core never imports the `cogs` package itself).
EXTENSIONS: tuple[str, ...] = (
    "cogs.about",
    "cogs.announcements",
    "cogs.ask",
    "cogs.console",
    "cogs.digests",
    "cogs.feed_worker",
    "cogs.fleet",
    "cogs.maintenance",
    "cogs.members",
    "cogs.polls",
    "cogs.threads",
    "cogs.websub",
)


def extension_names() -> list[str]:
    """Every extension the bot loads, in a stable order."""
    return sorted(EXTENSIONS)


def features_for(extensions: Sequence[str]) -> Features:
    """The optional capabilities that run when these extensions are loaded."""
    loaded = set(extensions)
    return Features(
        feed_polling="cogs.feed_worker" in loaded,
        digests="cogs.digests" in loaded,
        polls="cogs.polls" in loaded,
        threads="cogs.threads" in loaded,
    )


def create_bot(
    settings: Settings,
    store: Store,
    http_session: aiohttp.ClientSession,
    *,
    llm: AsyncOpenAI | None = None,
    extensions: Sequence[str] = EXTENSIONS,
    fetcher: Fetcher | None = None,
    sync_commands: bool = True,
    serve_http: bool = True,
) -> CommunityBot:
    """The bot, with its services built once from these resources (see `bot.container`)."""

    def services(client: CommunityBot) -> Services:
        return build_services(
            settings=settings,
            store=store,
            http_session=http_session,
            client=client,
            llm=llm,
            features=features_for(extensions),
            fetcher=fetcher,
        )

    return CommunityBot(
        settings=settings,
        services=services,
        extensions=extensions,
        sync_commands=sync_commands,
        serve_http=serve_http,
    )


class RunError(Exception):
    """The bot could not start; the message says why in one line."""


async def run_bot(settings: Settings) -> None:
    """Connect to Discord and run until SIGINT/SIGTERM, then shut down cleanly.

    Before connecting, the process joins the fleet registry (`bot.fleet.registry`), which refuses it when
    a live process clashes with it. Clean means: background loops cancelled (cogs unloaded), pending writes
    flushed by the cogs that own them, the gateway closed, this process's registry row removed, then the
    LLM client, the HTTP session and the database closed, in that order.
    """
    if settings.discord_token is None:
        raise RunError("DISCORD_TOKEN is not set")
    apply_discord_endpoints(settings)
    try:
        check_topology(settings)
        with single_process(settings):
            await _run_with_store(settings, settings.discord_token.get_secret_value())
    except TopologyError as exc:
        raise RunError(str(exc)) from None
    log.info("shutdown complete")


async def _run_with_store(settings: Settings, token: str) -> None:
    store = await Store.open(settings.database, pool_size=settings.database_pool_size)
    try:
        if store.dialect == "sqlite":
            # This process holds the file's run lock: a lease left in it is a crashed process's. Dropping
            # them lets this one poll feeds and run maintenance at once instead of after the lease.
            await store.leases.forget_all()
        async with create_http_session(settings) as session:
            llm = create_llm_client(settings)
            try:
                bot = create_bot(settings, store, session, llm=llm)
                fleet = bot.services.fleet
                await fleet.join()  # before connecting: refuses a process clashing with a live one
                try:
                    await _run_until_signalled(bot, token)
                finally:
                    await fleet.leave()
            finally:
                if llm is not None:
                    await llm.close()
    finally:
        await store.close()


async def _run_until_signalled(bot: CommunityBot, token: str) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with bot:
        runner = asyncio.create_task(bot.start(token), name="discord-client")
        stopper = asyncio.create_task(stop.wait(), name="signal-wait")
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            log.info("signal received: shutting down")
            await bot.close()
        else:
            stopper.cancel()
        try:
            await runner
        except discord.LoginFailure as exc:
            raise RunError("Discord rejected DISCORD_TOKEN (login failed); check the token") from exc
        except discord.PrivilegedIntentsRequired as exc:
            raise RunError("Discord refused a privileged intent; this bot needs none by default") from exc
        except HTTPServerError as exc:
            raise RunError(str(exc)) from exc
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.remove_signal_handler(sig)


async def sync_commands(settings: Settings, guild_id: int | None) -> int:
    """Log in over REST only and sync the command tree (globally, or copied to one guild for testing)."""
    if settings.discord_token is None:
        raise RunError("DISCORD_TOKEN is not set; `sync` needs it")
    apply_discord_endpoints(settings)
    store = await Store.open(settings.database, pool_size=settings.database_pool_size)
    try:
        async with create_http_session(settings) as session:
            bot = create_bot(settings, store, session, sync_commands=False, serve_http=False)
            async with bot:
                try:
                    await bot.login(settings.discord_token.get_secret_value())
                except discord.LoginFailure as exc:
                    raise RunError("Discord rejected DISCORD_TOKEN (login failed)") from exc
                if guild_id is not None:
                    guild = discord.Object(id=guild_id)
                    bot.tree.copy_global_to(guild=guild)
                    synced = await bot.tree.sync(guild=guild)
                else:
                    synced = await bot.tree.sync()
                    await store.meta.set(COMMAND_HASH_KEY, bot.command_hash())
                return len(synced)
    finally:
        await store.close()
