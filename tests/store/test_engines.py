"""The same repositories on SQLite and PostgreSQL: the statements whose dialects differ, and the engine
layer's translation, give the same answers on both."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.store import Store, StoreError
from bot.store.audit import NewAuditEntry
from bot.store.llm_servers import LLMServerRepo
from bot.store.maintenance import MaintenanceRepo
from bot.store.pg import translate
from bot.store.search_pg import ExpressionError, to_tsquery_text
from bot.timeutil import utcnow
from tests.commands.seed import digest, episode, follow, podcast

GUILD = 1_234_567_890_123_456_789  # a real snowflake: wider than 32 bits


def test_placeholders_are_numbered_outside_literals_names_and_comments() -> None:
    sql = "SELECT '?', \"a?\" FROM t -- what?\nWHERE a = ? AND b LIKE ? ESCAPE '\\' /* ? */ AND c = ?"
    assert translate(sql) == (
        "SELECT '?', \"a?\" FROM t -- what?\nWHERE a = $1 AND b ILIKE $2 ESCAPE '\\' /* ? */ AND c = $3"
    )
    assert translate("SELECT 1 WHERE a LIKE ? AND b NOT like 'LIKE'") == (
        "SELECT 1 WHERE a ILIKE $1 AND b NOT ILIKE 'LIKE'"
    )
    assert translate("INSERT OR IGNORE INTO t (a) VALUES (?)") == (
        "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING"
    )


def test_fts5_expressions_become_quoted_tsqueries() -> None:
    assert to_tsquery_text('"open" AND "weights"*') == "'open' & 'weights':*"
    assert to_tsquery_text('("open weights") NOT "llama"') == "( ('open' <-> 'weights') ) & ! 'llama'"
    assert to_tsquery_text('title : ("gpt"*)') == "( 'gpt':*A )"
    assert to_tsquery_text("closed") == "'closed'"
    assert to_tsquery_text('"it\'s"') == "('it' <-> 's')"
    with pytest.raises(ExpressionError):
        to_tsquery_text('"x" ; DROP TABLE items')


async def test_snowflakes_and_sums_keep_their_python_types(store: Store) -> None:
    await store.guilds.set_mod_log(GUILD, GUILD + 1)
    assert (await store.guilds.get(GUILD)).mod_log_channel_id == GUILD + 1
    await store.digests.add_usage(2**40, 5)
    await store.digests.add_usage(1, 5)
    usage = await store.digests.usage_today()
    assert (usage.tokens_in, usage.tokens_out, usage.requests) == (2**40 + 1, 10, 2)
    total = await store.db.fetchval("SELECT sum(tokens_out) FROM llm_usage_daily")
    assert total == 10 and type(total) is int


async def test_cards_and_item_lookups_with_optional_filters(store: Store) -> None:
    feed = await podcast(store)
    other = await store.feeds.add_feed("https://example.com/zeta.xml")
    await store.feeds.update_feed(other.id, title="alpha notes")
    await follow(store, GUILD, feed)
    await follow(store, GUILD, other)
    old = await episode(store, feed, "a", "Open weights win", days_ago=2)
    new = await episode(store, other, "b", "Closed weights lose", days_ago=1)
    await digest(store, old, "Open models caught up.")

    latest = await store.cards.latest(GUILD)
    assert latest is not None and latest.item_id == new.id
    of_feed = await store.cards.latest(GUILD, feed.id)
    assert of_feed is not None and of_feed.item_id == old.id and of_feed.tldr == "Open models caught up."
    assert await store.cards.card(GUILD + 1, old.id) is None
    titles = [f.title for f in await store.cards.followed_feeds(GUILD)]
    assert titles == sorted(titles, key=str.lower) and "alpha notes" in titles

    assert [i.id for i in await store.feeds.find_items("WEIGHTS")] == [new.id, old.id]
    assert [i.id for i in await store.feeds.find_items("weights", feed_id=feed.id)] == [old.id]


async def test_audit_log_filters_and_autocomplete(store: Store) -> None:
    for command in ("admin feed add", "admin feed remove", "admin poll"):
        await store.audit.record(NewAuditEntry(GUILD, 7, "mod", command, {"url": "https://x.test"}))
    assert await store.audit.count(GUILD, command="admin feed") == 2
    assert await store.audit.count(GUILD, command="admin") == 3
    assert await store.audit.commands(GUILD, "feed") == ["admin feed remove", "admin feed add"]
    assert (await store.audit.recent(GUILD, limit=1))[0].arguments == {"url": "https://x.test"}


async def test_poll_search_and_final_counts(store: Store) -> None:
    from bot.polls.ballots import BallotKey
    from bot.polls.models import PollStatus
    from bot.polls.service import PollService
    from tests.polls.test_service import open_poll  # the polls tests' own way to open one

    service = PollService(store, BallotKey(b"s" * 32))
    poll = await open_poll(service, guild=GUILD)
    found = await store.polls.search(GUILD, "AHEAD", statuses=[PollStatus.OPEN])
    assert [p.id for p in found] == [poll.id]
    assert await store.polls.close(poll.id, closed_at=utcnow(), final_counts={1: 4, 3: 2})
    closed = await store.polls.get(poll.id)
    assert closed is not None and [a.final_count for a in closed.answers] == [4, 0, 2]


async def test_maintenance_reports_on_either_engine(store: Store) -> None:
    repo = MaintenanceRepo(store.db)
    feed = await podcast(store)
    item = await episode(store, feed, "gone", "Gone from the feed", days_ago=40)
    await store.db.execute(
        "UPDATE items SET still_in_feed = 0, last_seen_in_feed_at = first_seen_at WHERE id = ?", (item.id,)
    )
    assert await repo.prune_items_gone_from_feed(utcnow() + timedelta(seconds=1)) == 1
    assert await repo.integrity_check() == ["ok"]
    stats = await repo.file_stats()
    assert stats.page_size > 0 and stats.used_bytes > 0
    assert (await repo.checkpoint()).busy == 0
    await repo.optimize()


async def test_llm_server_profiles_and_outcomes(store: Store) -> None:
    repo = LLMServerRepo(store.db)
    since = utcnow() - timedelta(seconds=1)
    await repo.save(
        "http://llm.test/v1", "m", context_tokens=2048, context_source="models", response_mode=None
    )
    await repo.save(
        "http://llm.test/v1", "m", context_tokens=4096, context_source="error", response_mode="text"
    )
    record = await repo.get("http://llm.test/v1", "m")
    assert record is not None and (record.context_tokens, record.response_mode) == (4096, "text")
    await repo.add_digest(ok=True, cause=None, detail="", requests=3)
    await repo.add_digest(ok=False, cause="timeout", detail="slow", requests=2)
    await repo.add_failures([("timeout", "first"), ("timeout", "second"), ("http", "500")])
    outcomes = await repo.outcomes_since(since)
    assert (outcomes.attempts, outcomes.succeeded, outcomes.requests) == (2, 1, 5)
    failures = await repo.failures_since(since)
    assert [(f.cause, f.count) for f in failures] == [("timeout", 2), ("http", 1)]
    assert failures[0].last_detail in {"first", "second"}


async def test_database_urls_name_the_engine(tmp_path: Path) -> None:
    by_url = await Store.open(f"sqlite:///{tmp_path}/by-url.sqlite3")  # sqlite:////abs/path
    try:
        assert by_url.dialect == "sqlite" and (tmp_path / "by-url.sqlite3").is_file()
    finally:
        await by_url.close()
    with pytest.raises(StoreError, match="must start with sqlite:/// or postgresql://, not mysql://"):
        await Store.open("mysql://bot@db/bot")
    with pytest.raises(
        StoreError, match=r"cannot connect to PostgreSQL at postgresql://bot:\*\*\*@127\.0\.0\.1:1/"
    ):
        await Store.open("postgresql://bot:hunter2@127.0.0.1:1/bot")


async def test_ask_ranks_the_passage_with_the_rarest_question_words_first(store: Store) -> None:
    from bench import ask_eval
    from bot.ask.indexer import drain
    from bot.ask.retrieve import retrieve
    from bot.store.ask import Filters

    await ask_eval.seed(store, GUILD)
    await drain(store.ask)
    found = await retrieve(store.ask, "How long is the context window of Llama 4 Scout?", Filters(GUILD))
    assert "ten million tokens" in found.passages[0].candidate.text
