"""The fleet benchmarks do their work: guilds split evenly over two shards, a failover trial on a real
PostgreSQL server where the new leader polls only once the old lease has run out, the figures' arithmetic."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench import _postgres, fleet
from bot.fleet import shard_of
from tests.doubles.discord import DiscordDouble
from tests.postgres import postgres_server  # noqa: F401 (the server fixture)


async def test_the_fanout_world_puts_half_of_the_guilds_on_each_shard() -> None:
    async with DiscordDouble() as double:
        guilds = await fleet._guilds_on_both_shards(double, 20)
    shards = [shard_of(guild.id, 2) for guild in guilds]
    assert len({guild.id for guild in guilds}) == 20
    assert shards.count(0) == shards.count(1) == 10
    assert all(len(guild.channel_ids) == 1 for guild in guilds)


def test_a_fanout_run_reports_its_rate_as_a_share_of_the_limit() -> None:
    run = fleet.FanOutRun(processes=2, guilds=100, seconds=4.0, requests=201, rejected=7)
    assert run.rate == 50.0  # 200 intervals between the 201 requests of the window
    assert run.share == 1.0
    figure = fleet._fanout_note(run)
    assert "100 guilds" in figure and "7 global 429s" in figure


@pytest.fixture
def bench_server(postgres_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # noqa: F811
    """The bench's PostgreSQL helper pointed at the tests' server."""
    monkeypatch.setenv("TEST_DATABASE_URL", postgres_server)
    monkeypatch.setattr(_postgres, "_server", {})
    yield postgres_server


@pytest.mark.slow
async def test_a_failover_trial_hands_the_lease_over_once_it_ran_out(bench_server: str) -> None:
    trial = await fleet._trial(seed=1)
    assert trial.old_polls_after_kill == 0  # the killed leader never polled again
    assert trial.new_polls_before_expiry == 0  # and the other waited for its lease to run out
    assert trial.failover_s > 0
