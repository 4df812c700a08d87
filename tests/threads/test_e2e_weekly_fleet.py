"""The weekly post in a fleet: while another process holds the guild's `weekly:<guild id>` lease (it is
posting this week's), this one posts nothing; afterwards the week is posted once."""

from __future__ import annotations

from datetime import timedelta

from bot.store import Store
from bot.threads.weekly import next_slot, week_key
from bot.timeutil import utcnow
from tests.threads.conftest import ThreadsRunner, World

MONDAY = 0


async def test_a_week_being_posted_by_another_process_is_not_posted_here(
    runner: ThreadsRunner, world: World, store: Store
) -> None:
    await runner.start()
    guild, general, double = world.guild, world.general, world.double
    await store.threads.set_weekly(
        guild.id, channel_id=general.id, weekday=MONDAY, hour=9, configured_by=None
    )
    slot = next_slot(utcnow(), MONDAY, 9)
    cog = runner.cog
    cog.clock = lambda: slot + timedelta(minutes=1)

    lease = f"weekly:{guild.id}"
    assert await store.leases.acquire(lease, "other-process", now=utcnow(), duration=timedelta(seconds=30))
    assert await cog.check_weekly() == 0
    assert double.messages_in(general) == []

    await store.leases.release(lease, "other-process")  # it stopped before posting
    assert await cog.check_weekly() == 1
    assert await cog.check_weekly() == 0
    posts = [m for m in double.messages_in(general) if m.author.id == double.world.bot.id]
    assert len(posts) == 1
    config = (await store.threads.weekly(guild.id))[0]
    assert config.last_week == week_key(slot)
    assert await store.leases.current(lease, now=utcnow()) is None  # released after posting
