"""`/admin status` shows the fleet: each live process, the feed poller, the lag, and shards nobody runs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.console.fleet_status import fleet_field
from bot.feeds.leader import LEASE_NAME
from bot.fleet.registry import FleetView
from bot.render.limits import EMBED_FIELD_VALUE
from bot.store import Store
from bot.store.fleet import ProcessRow
from bot.timeutil import utcnow
from tests.doubles.discord import DiscordDouble, Guild, Member, P
from tests.fleet.helpers import guilds_on_every_shard, on_shard
from tests.harness import BotRunner


class StatusRunner(BotRunner):
    extensions = ("cogs.console", "cogs.fleet")
    ready_timeout = 30.0


@pytest.fixture
def runner_class() -> type[BotRunner]:
    return StatusRunner


async def _status(double: DiscordDouble, guild: Guild, mod: Member) -> dict[str, str]:
    record = await double.invoke(guild, mod, "admin status")
    await record.wait_final(lambda m: bool(m.embeds))
    embed = record.embeds[0]
    assert len(str(embed)) < 6000
    return {f["name"]: f["value"] for f in embed["fields"]} | {"title": embed["title"]}


async def test_one_process_says_so_briefly(double: DiscordDouble, runner: BotRunner) -> None:
    guild = double.add_guild("AI Daily Brief")
    double.add_text_channel(guild, "general")
    mod = double.add_member(guild, "mod", permissions=P.MANAGE_GUILD)
    bot = await runner.start()
    await bot.services.fleet.join()
    fields = await _status(double, guild, mod)
    assert "One bot process serves every server." in fields["Bot"]
    assert not any(name.startswith("Fleet") for name in fields)


async def test_a_fleet_lists_its_processes_the_feed_poller_and_unserved_shards(
    double: DiscordDouble, runner: BotRunner, store: Store
) -> None:
    guilds = await guilds_on_every_shard(double, 2)
    [home] = [g for g in guilds if g.id in on_shard(guilds, 0, 2)][:1]
    mod = double.add_member(home, "mod", permissions=P.MANAGE_GUILD)
    bot = await runner.start(shard_count=2, shard_ids="0")
    fleet = bot.services.fleet
    await fleet.join()
    await fleet.heartbeat(latencies={0: 0.031}, guilds=1)
    now = utcnow()
    started = now - timedelta(hours=3)
    await store.processes.register(
        process_id="beta:77:abcd", host="beta", pid=77, version="0.1.0", shard_count=2, shard_ids=(1,),
        now=started,
    )  # fmt: skip
    status = {"guilds": 5, "latency_ms": {"1": 55.0}, "outbox_lag_seconds": 12.0}
    assert await store.processes.heartbeat("beta:77:abcd", now=now, status=status)
    lease = await store.leases.acquire(LEASE_NAME, "beta:77:abcd", now=now, duration=timedelta(seconds=30))
    assert lease is not None

    fields = await _status(double, home, mod)
    assert "Fleet: 2 live processes" in fields
    lines = fields["Fleet: 2 live processes"].splitlines()  # the longest-running process first
    me = bot.services.process
    assert lines[1].startswith(f"**{me.host}:{me.pid}** (this one) · shard 0 of 2 · v")
    assert "31 ms" in lines[1] and "outbox up to date" in lines[1]
    beat = f"<t:{int(now.timestamp())}:R>"
    assert lines[0] == (
        f"**beta:77** · shard 1 of 2 · v0.1.0 · up since <t:{int(started.timestamp())}:R> · beat {beat} · "
        "55 ms · outbox lag 12 s"
    )
    assert lines[2] == f"Feed polling: **beta:77**, lease term {lease.term}."
    assert "One bot process" not in fields["Bot"]

    # The other process stops: its servers are not served, and the status says so.
    await store.processes.deregister("beta:77:abcd")
    await store.leases.release(LEASE_NAME, "beta:77:abcd")
    fields = await _status(double, home, mod)
    value = fields["Fleet: 1 live process"]
    assert "No live process runs shard 1: the servers on it are not served." in value
    assert "Feed polling: no process holds the lease right now" in value
    assert fields["title"].endswith("needs attention")


def test_a_large_fleet_stays_within_discords_field_limit() -> None:
    now = utcnow()
    rows = [
        ProcessRow(f"{'h' * 60}{n}:{n}:x", f"{'h' * 60}{n}", n, "0.1.0", 64, (n,), now, now,
                   {"latency_ms": {str(n): 40.0}, "outbox_lag_seconds": 3.0})
        for n in range(40)
    ]  # fmt: skip
    field = fleet_field(FleetView(me=rows[0].id, processes=rows, feed_leader=None))
    assert len(field.value) <= EMBED_FIELD_VALUE and field.name == "Fleet: 40 live processes"
    assert "more processes" in field.value
    assert "No live process runs shards 40,41," in field.value  # the warning is never cut off
    assert "(24 in all)" in field.value
