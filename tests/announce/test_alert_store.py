"""The alert outbox's repository against a real migrated SQLite file."""

from __future__ import annotations

from datetime import timedelta

from bot.store import Store
from bot.timeutil import utcnow
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401  (store on both engines)

GUILD = 7


async def test_a_pending_alert_is_due_until_sent_and_retries_wait_their_turn(store: Store) -> None:
    alert = await store.alerts.add(GUILD, "⚠️ The feed is failing")
    assert alert.state == "pending" and len(alert.nonce) == 25
    assert [a.id for a in await store.alerts.due(utcnow())] == [alert.id]

    await store.alerts.begin_attempt(alert.id)
    await store.alerts.record_retry(
        alert.id, "mod-log: 503 Service Unavailable", utcnow() + timedelta(minutes=1)
    )
    assert await store.alerts.due(utcnow()) == []  # not before its retry time
    later = await store.alerts.due(utcnow() + timedelta(minutes=2))
    assert [(a.id, a.attempts, a.last_error) for a in later] == [
        (alert.id, 1, "mod-log: 503 Service Unavailable")
    ]
    assert [a.state for a in await store.alerts.undelivered(GUILD)] == ["pending"]

    await store.alerts.record_sent(alert.id, "mod-log", 1234)
    assert await store.alerts.due(utcnow() + timedelta(days=1)) == []
    assert await store.alerts.undelivered(GUILD) == []
    sent = await store.alerts.get(alert.id)
    assert sent is not None and (sent.delivered_to, sent.message_id) == ("mod-log", 1234)


async def test_a_failed_alert_stays_visible_until_retention_and_guilds_are_apart(store: Store) -> None:
    failed = await store.alerts.add(GUILD, "lost?")
    await store.alerts.record_failed(failed.id, "mod-log: 403 Missing Access; owner DM: 403")
    other = await store.alerts.add(GUILD + 1, "another server's alert")
    assert [(a.id, a.state) for a in await store.alerts.undelivered(GUILD)] == [(failed.id, "failed")]
    assert [a.id for a in await store.alerts.undelivered(GUILD + 1)] == [other.id]
    assert await store.alerts.prune(utcnow() - timedelta(days=1)) == 0
    assert await store.alerts.prune(utcnow() + timedelta(days=1)) == 1  # pending alerts are never pruned
    assert await store.alerts.get(other.id) is not None
