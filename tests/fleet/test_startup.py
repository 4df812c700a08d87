"""`python -m bot run` joins the fleet before connecting to Discord and keeps its row fresh while it runs."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.runner import RunError, run_bot
from bot.settings import Settings
from bot.store import Store
from bot.store.fleet import ProcessRow
from bot.timeutil import utcnow
from tests.doubles.discord import DiscordDouble
from tests.e2e.process import BotProcess
from tests.fleet.helpers import beating, guilds_on_every_shard, registry
from tests.harness import BotRunner, eventually
from tests.postgres import postgres_server, postgres_url  # noqa: F401


async def test_a_process_clashing_with_a_live_one_stops_before_connecting(
    double: DiscordDouble,
    postgres_url: str,  # noqa: F811
    make_settings: Callable[..., Settings],
) -> None:
    other = await Store.open(postgres_url, pool_size=2)
    try:
        running = registry(other, host="alpha", shard_count=2, shard_ids=(1,), window=timedelta(seconds=5))
        await running.join()
        settings = make_settings(
            database_url=postgres_url,
            discord_token=double.token,
            discord_api_base=double.api_base,
            discord_gateway_url=double.gateway_url,
            shard_count=2,
            shard_ids="1",
            leader_lease_seconds=5,
        )
        async with beating(running):
            with pytest.raises(RunError) as refused:
                await asyncio.wait_for(run_bot(settings), timeout=20)
        assert "another bot process (alpha:1, shard 1 of 2" in str(refused.value)
        assert "both would run shard 1" in str(refused.value)
        assert double.gateway.identifies == []  # it never connected
        live = await other.processes.live(now=utcnow(), window=running.window)
        assert [p.host for p in live] == ["alpha"]  # and left no row behind
    finally:
        await other.close()


class HeartbeatRunner(BotRunner):
    extensions = ("cogs.about", "cogs.fleet")


@pytest.fixture
def runner_class() -> type[BotRunner]:
    return HeartbeatRunner


async def test_the_heartbeat_reports_latency_guilds_and_lag_while_the_bot_runs(
    double: DiscordDouble, runner: BotRunner, store: Store
) -> None:
    guilds = await guilds_on_every_shard(double, 2)
    bot = await runner.start(leader_lease_seconds=5)  # a beat every 5/3 s
    fleet = bot.services.fleet
    await fleet.join()

    async def reported() -> dict[str, object] | None:
        rows = await store.processes.live(now=utcnow(), window=fleet.window)
        return rows[0].status if rows and rows[0].status else None

    status = await eventually(reported, what="a heartbeat with a status")
    assert status["guilds"] == len(guilds)
    assert set(status["latency_ms"]) == {"0"}  # type: ignore[arg-type]
    assert status["outbox_lag_seconds"] is None
    await fleet.leave()
    assert await store.processes.live(now=utcnow(), window=fleet.window) == []


async def test_the_entry_point_registers_while_it_runs_and_deregisters_on_sigterm(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    async with DiscordDouble() as double:
        double.add_guild("AI Daily Brief")
        env = {
            "DISCORD_TOKEN": double.token,
            "DISCORD_API_BASE": double.api_base,
            "DISCORD_GATEWAY_URL": double.gateway_url,
            "GUILD_READY_TIMEOUT": "0.05",
            "DATABASE_PATH": str(database),
            "FEED_POLL_INTERVAL": "3600",
            "LEADER_LEASE_SECONDS": "5",
            "LOG_LEVEL": "INFO",
        }
        process = await BotProcess(env, tmp_path).start()
        try:
            await double.wait_for(lambda: bool(double.gateway.identifies), timeout=30, description="identify")
            store = await Store.open(database)
            try:

                async def registered() -> list[ProcessRow]:
                    rows = await store.processes.live(now=utcnow(), window=timedelta(seconds=5))
                    return [r for r in rows if r.status.get("guilds") == 1]

                [row] = await eventually(registered, what="the process's row with its status", timeout=15)
                assert process.proc is not None and row.pid == process.proc.pid and row.shard_ids is None
                code = await process.stop(signal.SIGTERM)
                assert code == 0, process.log
                assert await store.processes.live(now=utcnow(), window=timedelta(days=1)) == []
            finally:
                await store.close()
        finally:
            await process.kill_quietly()
    assert "joined the fleet as" in process.log
