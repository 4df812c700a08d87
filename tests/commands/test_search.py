"""Full-text search and title autocomplete against a real migrated store, through the search service."""

from __future__ import annotations

import pytest

from bot.digest.models import digest_key
from bot.search import QueryError, SearchService, parse_query
from bot.search.render import highlight, search_embed
from bot.store import Store
from bot.store.search import HIT_END, HIT_START, SearchRepo
from tests.announce.helpers import edit_item, newsletter
from tests.commands.seed import digest, episode, follow, podcast
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401  (store on both engines)

GUILD, OTHER = 111, 222


@pytest.fixture
def service(store: Store) -> SearchService:
    return SearchService(SearchRepo(store.db), page_size=2)


def test_member_syntax_becomes_a_safe_fts_expression() -> None:
    assert parse_query("open weights").to_fts() == '"open" AND "weights"'
    assert parse_query('"agentic coding" -llama').to_fts() == '("agentic coding") NOT "llama"'
    assert parse_query("gpt-4o").to_fts() == '"gpt 4o"'
    assert parse_query("bench*").to_fts() == '"bench"*'
    # FTS5 operators and stray quotes are only words to look for, never syntax.
    assert parse_query('NEAR(a b) OR title:x "unclosed').to_fts() == (
        '"near a" AND "b" AND "or" AND "title x" AND "unclosed"'
    )
    for nothing in ["", "   ", "-only", '""', "***", "-"]:
        with pytest.raises(QueryError):
            parse_query(nothing)


async def test_ranks_titles_first_and_highlights_where_it_matched(
    store: Store, service: SearchService
) -> None:
    feed = await podcast(store)
    await follow(store, GUILD, feed)
    in_title = await episode(store, feed, "a", "Open weights win", days_ago=3, text="Notes about chips.")
    in_notes = await episode(store, feed, "b", "Chip wars", days_ago=1, text="Why open weights matter.")
    in_transcript = await episode(store, feed, "c", "Agents", days_ago=2, text="Other notes.")
    transcript = "today we discuss open weights at length"
    await SearchRepo(store.db).store_transcript(digest_key(in_transcript), transcript)
    await digest(store, in_notes, "A digest line about regulation")

    page = await service.search(GUILD, "open weights")
    assert page.total == 3 and page.pages == 2
    assert [hit.item_id for hit in page.hits] == [in_title.id, in_notes.id]
    assert f"{HIT_START}Open{HIT_END} {HIT_START}weights{HIT_END}" in page.hits[0].title_snippet
    second = await service.search(GUILD, "open weights", page=1)
    assert [hit.item_id for hit in second.hits] == [in_transcript.id]
    assert "**open** **weights**" in highlight(second.hits[0].transcript_snippet)

    by_digest = await service.search(GUILD, "regulation")
    assert [hit.item_id for hit in by_digest.hits] == [in_notes.id]
    embed = search_embed(by_digest)
    assert "*Digest:*" in (embed.fields[0].value or "") and "**regulation**" in (embed.fields[0].value or "")


async def test_index_follows_edits_deletions_and_new_digests(store: Store, service: SearchService) -> None:
    feed = await podcast(store)
    await follow(store, GUILD, feed)
    item = await episode(store, feed, "a", "Original title", text="Plain notes.")
    assert (await service.search(GUILD, "original")).total == 1

    await edit_item(store, item, title="Renamed about robotics")
    assert (await service.search(GUILD, "original")).total == 0
    assert (await service.search(GUILD, "robotics")).total == 1

    await digest(store, item, "First digest mentions sovereignty")
    assert (await service.search(GUILD, "sovereignty")).total == 1
    await digest(store, item, "Regenerated digest mentions inference")
    assert (await service.search(GUILD, "inference")).total == 1

    await SearchRepo(store.db).store_transcript(digest_key(item), "a transcript about datacenters")
    assert (await service.search(GUILD, "datacenters")).total == 1
    await SearchRepo(store.db).store_transcript(digest_key(item), "a corrected transcript about power")
    assert (await service.search(GUILD, "datacenters")).total == 0
    assert (await service.search(GUILD, "power")).total == 1

    assert await SearchRepo(store.db).rebuild() == 1
    assert (await service.search(GUILD, "power")).total == 1


async def test_a_guild_only_finds_what_it_follows(store: Store, service: SearchService) -> None:
    feed, letter = await podcast(store), await newsletter(store)
    await follow(store, GUILD, feed)
    await follow(store, OTHER, letter)
    await episode(store, feed, "p", "Podcast about compute")
    await episode(store, letter, "n", "Newsletter about compute")

    mine = await service.search(GUILD, "compute")
    theirs = await service.search(OTHER, "compute")
    assert [hit.title for hit in mine.hits] == ["Podcast about compute"]
    assert [hit.title for hit in theirs.hits] == ["Newsletter about compute"]
    assert [c.title for c in await service.title_choices(OTHER, "")] == ["Newsletter about compute"]
    assert (await service.search(333, "compute")).total == 0


async def test_stale_page_buttons_land_on_the_last_page(store: Store, service: SearchService) -> None:
    feed = await podcast(store)
    await follow(store, GUILD, feed)
    for n in range(3):
        await episode(store, feed, f"k{n}", f"Agents part {n}", days_ago=n)
    page = await service.search(GUILD, "agents", page=7)
    assert page.page == 1 and len(page.hits) == 1 and not page.has_next and page.has_previous


async def test_autocomplete_ranks_prefix_then_word_then_words_then_substring(
    store: Store, service: SearchService
) -> None:
    feed = await podcast(store)
    await follow(store, GUILD, feed)
    substring = await episode(store, feed, "s", "Reopening the lab", days_ago=0)
    words = await episode(store, feed, "w", "Weights are open now", days_ago=1)
    word_new = await episode(store, feed, "n", "Why open weights won", days_ago=2)
    word_old = await episode(store, feed, "o", "The open weights debate", days_ago=9)
    prefix_old = await episode(store, feed, "p", "Open weights, a year later", days_ago=30)
    prefix_new = await episode(store, feed, "q", "Open weights everywhere", days_ago=5)
    await episode(store, feed, "x", "Unrelated chips story", days_ago=0)

    choices = await service.title_choices(GUILD, "open wei")
    assert [c.item_id for c in choices] == [prefix_new.id, prefix_old.id, word_new.id, word_old.id, words.id]
    assert [c.match_class for c in choices] == [0, 0, 1, 1, 2]
    assert [c.item_id for c in await service.title_choices(GUILD, "pening")] == [substring.id]
    newest = [c.title for c in await service.title_choices(GUILD, "")]
    assert len(newest) == 7 and set(newest[:2]) == {"Reopening the lab", "Unrelated chips story"}
    assert newest[-1] == "Open weights, a year later"
    for hostile in ['"', "*", "NEAR(", "^", "-", "a:b", "'; DROP TABLE items; --"]:
        assert isinstance(await service.title_choices(GUILD, hostile), list)


async def test_autocomplete_stops_at_25_newest(store: Store, service: SearchService) -> None:
    feed = await podcast(store)
    await follow(store, GUILD, feed)
    for n in range(30):
        await episode(store, feed, f"e{n}", f"Daily brief number {n}", days_ago=n)
    choices = await service.title_choices(GUILD, "daily")
    assert len(choices) == 25
    assert [c.title for c in choices[:2]] == ["Daily brief number 0", "Daily brief number 1"]


async def test_compacting_merges_the_index_and_keeps_every_hit(store: Store, service: SearchService) -> None:
    feed = await podcast(store)
    await follow(store, GUILD, feed)
    for n in range(40):  # one transaction each: one small index segment each
        await episode(store, feed, f"k{n}", f"Episode {n} about compaction", text=f"Notes {n}.")

    async def segments() -> int:
        if store.dialect == "postgresql":  # GIN's pending list: entries not yet merged into the index
            await store.db.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
            return int(
                await store.db.fetchval("SELECT pending_pages FROM pgstatginindex('search_fts_document')")
            )
        return int(await store.db.fetchval("SELECT count(*) FROM search_fts_data"))

    before = await segments()
    await store.search.compact()
    assert await segments() < before
    assert (await service.search(GUILD, "compaction")).total == 40
