"""The freshness benchmark measures what it says: every publication is found, budgets hold, and the fan-out
replay tells a concurrent fan-out from a serial one."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

from bench import schedule


def test_the_replay_finds_every_publication_within_the_budget() -> None:
    days = 28
    rng = random.Random(3)
    end = schedule.START + timedelta(days=days)
    history = schedule.daily_show(rng, schedule.START - timedelta(days=56), days + 56)
    back = [t for t in history if t < schedule.START]
    future = [t for t in history if schedule.START <= t < end]
    learned = asyncio.run(schedule.replay_learned(back, future, end))
    fixed = schedule.replay_fixed(rng, future, end)
    assert len(learned.latencies) == len(fixed.latencies) == len(future) > 15
    assert all(latency >= 0 for latency in learned.latencies)
    assert 135 <= fixed.requests / days <= 150
    assert learned.requests / days <= 144
    assert sorted(learned.latencies)[len(future) // 2] < sorted(fixed.latencies)[len(future) // 2]


def test_the_fan_out_replay_runs_on_virtual_time_and_a_broken_server_slows_only_the_serial_loop() -> None:
    async def both() -> tuple[tuple[float, float], tuple[float, float], float]:
        loop = asyncio.get_running_loop()
        broken = {0: loop.time() + 20.0}
        ours = await schedule.fan_out_concurrent(schedule._Discord(random.Random(1), broken), 2.0)
        broken = {0: loop.time() + 20.0}
        old = await schedule.fan_out_serial(schedule._Discord(random.Random(1), broken))
        return ours, old, loop.time()

    (ours, ours_healthy), (old, old_healthy), elapsed = schedule.run_virtual(both())
    assert 20 <= ours < 40  # the broken server is served once its 5xx clear, after a short backoff
    assert ours_healthy < 5 < 16 < old_healthy  # the others never waited on it; in the old loop they did
    assert old > 30 + 5 and elapsed > 50  # simulated seconds, not waited for
