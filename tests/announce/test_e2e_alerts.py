"""Moderator alerts are delivered like announcements: a transient Discord error is retried, never dropped,
and an alert refused for good is kept and shown."""

from __future__ import annotations

import pytest

from bot.store import Store
from tests.announce.conftest import AnnounceRunner, World
from tests.announce.flows import configure, new_episode
from tests.harness import eventually

PAUSE_ALERT = "are paused: I may not post in"


class ConsoleAnnounceRunner(AnnounceRunner):
    """Announcements with the moderators' console (for `/admin status`)."""

    extensions = (*AnnounceRunner.extensions, "cogs.console")


@pytest.fixture
def runner_class() -> type[AnnounceRunner]:
    return ConsoleAnnounceRunner


async def _alerts(store: Store, guild_id: int) -> list[tuple[str, int]]:
    rows = await store.db.fetchall("SELECT state, attempts FROM alerts WHERE guild_id = ?", (guild_id,))
    return [(row["state"], row["attempts"]) for row in rows]


async def test_a_missing_permission_alert_that_meets_a_503_is_retried_and_delivered_once(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double, modlog = world.double, world.modlog
    await runner.start()
    runner.cog.alerts.retry_base = 0.05
    await configure(runner, world, world.episodes)
    await double.wait_for_message(modlog.id, lambda m: "/admin modlog" in m.content)  # the audit echo
    double.deny_bot(world.episodes)  # announcing there now gets 403 50013: pause + "missing permission"
    fault = double.inject(f"POST /channels/{modlog.id}/messages", status=503, times=1)

    await new_episode(runner, store, "ep-alert", "Announced into a locked channel")
    await eventually(lambda: _one_hit(fault), what="the alert to meet the 503")
    assert await _alerts(store, world.guild.id) == [("pending", 1)]  # kept, not dropped

    async def delivered() -> bool:
        runner.cog.wake()  # the delivery loop retries due alerts on its next cycle
        return await _alerts(store, world.guild.id) == [("sent", 2)]

    await eventually(delivered, what="the alert retried after the 503")
    alerts = [m for m in double.messages_in(modlog) if PAUSE_ALERT in m.content]
    assert len(alerts) == 1  # once, however many attempts
    assert "/admin feed resume feed:podcast" in alerts[0].content
    assert alerts[0].allowed_mentions is not None and alerts[0].mention_user_ids == []


async def test_an_alert_refused_for_good_is_kept_and_shown_in_status(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double, modlog = world.double, world.modlog
    await runner.start()
    await configure(runner, world, world.episodes)
    await double.wait_for_message(modlog.id, lambda m: "/admin modlog" in m.content)  # the audit echo
    double.deny_bot(modlog)  # the mod-log refuses (403) ...
    double.world.user(world.guild.owner_id).dms_open = False  # ... and so do the owner's DMs
    double.deny_bot(world.episodes)

    await new_episode(runner, store, "ep-lost", "Nobody can be told")

    async def recorded() -> bool:
        return await _alerts(store, world.guild.id) == [("failed", 1)]

    await eventually(recorded, what="the undeliverable alert kept as failed")
    status = await double.invoke(world.guild, world.mod, "admin status")
    await status.wait_final(lambda m: bool(m.embeds))
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert status.embeds[0]["title"].endswith("needs attention")
    assert "not delivered (mod-log: 403" in fields["Alerts to moderators"]
    assert "owner DM: 403" in fields["Alerts to moderators"]
    assert "Announcements of" in fields["Alerts to moderators"]


async def _one_hit(fault: object) -> bool:
    return getattr(fault, "hits", 0) >= 1


async def test_an_alert_that_keeps_meeting_5xx_is_given_up_visibly_after_its_attempts(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double, guild, mod = world.double, world.guild, world.mod
    await runner.start()
    alerts = runner.cog.alerts
    alerts.retry_base, alerts.max_attempts = 0.05, 3
    # no mod-log channel: the owner's DMs, and Discord answers 503 every time
    record = await double.invoke(
        guild, mod, "admin feed channel", {"feed": "podcast", "channel": world.episodes.id}
    )
    await record.wait_response()
    fault = double.inject("POST /users/@me/channels", status=503, times=None)
    double.deny_bot(world.episodes)
    await new_episode(runner, store, "ep-5xx", "Discord keeps failing")

    async def given_up() -> bool:
        runner.cog.wake()
        return await _alerts(store, guild.id) == [("failed", 3)]

    await eventually(given_up, what="the alert given up after 3 attempts")
    assert fault.hits == 3  # bounded: no retry loop
    failed = (await store.alerts.undelivered(guild.id))[0]
    assert failed.last_error is not None and "gave up after 3 attempts" in failed.last_error
    assert "503" in failed.last_error
