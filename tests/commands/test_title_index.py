"""`/episode` autocomplete from the in-memory title index: the same answers as the definition of each match
class, and never staler than the store, whoever changed it.

The ranking tests compare `FeedTitles` with a plain reading of the rules (`expected`); the freshness tests
run the real store, its triggers and the search service, and change the data the way the bot does.
"""

from __future__ import annotations

import asyncio
import random
import re
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.search import SearchService
from bot.search.titles import FeedTitles, Typed, _Lines, fold
from bot.store import Store
from bot.store.feeds import NewItem
from bot.timeutil import utcnow
from tests.announce.helpers import edit_item, newsletter, parsed
from tests.commands.seed import episode, follow, podcast
from tests.postgres import commit_elsewhere, postgres_server, store_on_both_engines  # noqa: F401  (store on both engines)

GUILD, OTHER = 111, 222

# Few words, so titles share them often; accents and case to fold; words inside other words.
WORDS = ["open", "opening", "reopen", "weights", "Wéights", "AI", "ai_lab", "déjà", "DEJA", "gpt", "4o", "x"]


def expected(rows: list[tuple[int, str, int | None]], typed: str, limit: int = 25) -> list[tuple[int, int]]:
    """The rules of `bot.search.titles`, read literally: (class, item id), best class first, then newest."""
    words = re.findall(r"\w+", fold(typed))[:12]
    ranked = []
    for item_id, title, seconds in rows:
        have = re.findall(r"\w+", fold(title))
        if not words:
            klass: int | None = 0
        else:
            head, last = words[:-1], words[-1]

            def phrase_at(i: int, have: list[str] = have, head: list[str] = head, last: str = last) -> bool:
                return (
                    have[i : i + len(head)] == head
                    and len(have) > i + len(head)
                    and (have[i + len(head)].startswith(last))
                )

            if phrase_at(0):
                klass = 0
            elif any(phrase_at(i) for i in range(len(have))):
                klass = 1
            elif len(words) > 1 and all(any(w.startswith(t) for w in have) for t in words):
                klass = 2
            elif len(words) == 1 and len(last) >= 3 and any(last in w for w in have):
                klass = 3
            else:
                klass = None
        if klass is not None:
            ranked.append((klass, -(seconds or 0), -item_id))
    ranked.sort()
    return [(klass, -negative_id) for klass, _, negative_id in ranked[:limit]]


def answered(rows: list[tuple[int, str, int | None]], typed: str, limit: int = 25) -> list[tuple[int, int]]:
    feed = FeedTitles(1, rows)
    return [(klass, feed.ids[index]) for klass, index in feed.match(Typed.parse(typed), limit)]


titles = st.lists(st.sampled_from(WORDS), min_size=0, max_size=5).map(" ".join)
rows_strategy = st.lists(
    st.tuples(titles, st.one_of(st.none(), st.integers(0, 40))), min_size=0, max_size=120
).map(lambda pairs: [(n + 1, title, seconds) for n, (title, seconds) in enumerate(pairs)])
typed_strategy = st.one_of(
    st.lists(st.sampled_from([*WORDS, "op", "eig", "pen", "ope", "we", "déj", "4"]), max_size=3).map(
        " ".join
    ),
    st.text(max_size=12),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_strategy, typed=typed_strategy, limit=st.sampled_from([1, 3, 25]))
def test_every_answer_follows_the_ranking_rules(
    rows: list[tuple[int, str, int | None]], typed: str, limit: int
) -> None:
    assert answered(rows, typed, limit) == expected(rows, typed, limit)


def test_the_rules_on_a_feed_large_enough_to_read_in_batches() -> None:
    # 3,000 titles: the word lists run into the thousands, so lines are merged over several batches.
    rows = [
        (n, f"{WORDS[n % 12]} {WORDS[(n * 7) % 12]} {WORDS[(n * 5) % 11]}", n // 3) for n in range(1, 3001)
    ]
    for typed in ["o", "open", "ope we", "eig", "pen", "ai", "déjà x", "x x", "nothing", "", "4o gpt"]:
        assert answered(rows, typed) == expected(rows, typed), typed


@settings(max_examples=60)
@given(rng=st.randoms(use_true_random=False), count=st.integers(1, 8), span=st.integers(1, 1500))
def test_merged_line_lists_come_out_ascending_once_each(rng: random.Random, count: int, span: int) -> None:
    # Lists from empty to longer than several batches (32, then 128, ...), sharing numbers.
    lists = [sorted(rng.sample(range(span), rng.randint(0, span))) for _ in range(count)]
    merged = [n for batch in _Lines(lists, sum(map(len, lists))).batches() for n in batch]
    assert merged == sorted(set().union(*lists))


async def test_a_new_episode_is_suggested_on_the_next_keystroke(store: Store) -> None:
    feed = await podcast(store)
    await follow(store, GUILD, feed)
    await episode(store, feed, "a", "Open weights win", days_ago=2)
    service = SearchService(store.search)
    assert [c.title for c in await service.title_choices(GUILD, "open")] == ["Open weights win"]

    await episode(store, feed, "b", "Open models everywhere", days_ago=1)
    assert [c.title for c in await service.title_choices(GUILD, "open")] == [
        "Open models everywhere",
        "Open weights win",
    ]


async def test_retitled_and_deduplicated_items_are_suggested_as_they_are_now(store: Store) -> None:
    feed = await podcast(store)
    await follow(store, GUILD, feed)
    older = await episode(store, feed, "a", "Chips and policy", days_ago=3)
    newer = await episode(store, feed, "b", "Chips everywhere", days_ago=1)
    service = SearchService(store.search)
    assert [c.item_id for c in await service.title_choices(GUILD, "chips")] == [newer.id, older.id]

    await edit_item(store, older, title="Policy and chips")  # the feed retitled it
    choices = await service.title_choices(GUILD, "chips")
    assert [(c.item_id, c.match_class) for c in choices] == [(newer.id, 0), (older.id, 1)]
    assert [c.title for c in await service.title_choices(GUILD, "policy")] == ["Policy and chips"]

    await edit_item(store, newer, title="Policy chips recap")
    assert [c.item_id for c in await service.title_choices(GUILD, "policy")] == [newer.id, older.id]

    # A duplicate of another item is never offered; made eligible again by a backfill, it is.
    inserted, _ = await store.feeds.save_poll(
        feed.id,
        now=utcnow(),
        feed_fields={},
        new=[NewItem(parsed("c", "Chips everywhere again"), "skipped", "duplicate", duplicate_of=newer.id)],
    )
    assert "Chips everywhere again" not in [c.title for c in await service.title_choices(GUILD, "chips")]
    await store.feeds.backfill(feed.id, 5)
    assert "Chips everywhere again" in [c.title for c in await service.title_choices(GUILD, "chips")]
    assert inserted[0].id in [c.item_id for c in await service.title_choices(GUILD, "again")]


async def test_unfollowing_and_removing_a_feed_take_its_titles_away_at_once(store: Store) -> None:
    feed, letter = await podcast(store), await newsletter(store)
    await follow(store, GUILD, feed)
    await follow(store, GUILD, letter)
    await follow(store, OTHER, letter)
    await episode(store, feed, "p", "Compute from the podcast")
    await episode(store, letter, "n", "Compute in the newsletter", days_ago=1)
    service = SearchService(store.search)
    assert len(await service.title_choices(GUILD, "compute")) == 2

    await store.announcements.unsubscribe(GUILD, letter.id)
    assert [c.title for c in await service.title_choices(GUILD, "compute")] == ["Compute from the podcast"]
    assert [c.title for c in await service.title_choices(OTHER, "compute")] == ["Compute in the newsletter"]

    await store.feeds.remove_feed(letter.id)
    assert await service.title_choices(OTHER, "compute") == []


async def test_a_feed_id_used_again_never_brings_back_the_old_feeds_titles(store: Store) -> None:
    # SQLite hands out the highest feed id again once that feed is deleted (PostgreSQL never does).
    feed = await store.feeds.add_feed("https://example.com/one.xml")
    await follow(store, GUILD, feed)
    await episode(store, feed, "a", "Alpha release notes")
    service = SearchService(store.search)
    assert [c.title for c in await service.title_choices(GUILD, "release")] == ["Alpha release notes"]

    await store.feeds.remove_feed(feed.id)
    again = await store.feeds.add_feed("https://example.com/two.xml")
    assert again.id == feed.id or store.dialect == "postgresql"
    await follow(store, GUILD, again)
    assert await service.title_choices(GUILD, "release") == []
    await episode(store, again, "b", "Beta release notes")
    assert [c.title for c in await service.title_choices(GUILD, "release")] == ["Beta release notes"]


async def test_changes_made_by_another_process_are_seen(store: Store, tmp_path: Path) -> None:
    feed = await podcast(store)
    await follow(store, GUILD, feed)
    await episode(store, feed, "a", "Agents at work", days_ago=1)
    service = SearchService(store.search)
    assert len(await service.title_choices(GUILD, "agents")) == 1

    # As `python -m bot` run beside the bot would: its own connection to the same file.
    await commit_elsewhere(
        store, tmp_path, "UPDATE items SET title = 'Agents at rest' WHERE feed_id = ?", feed.id
    )
    assert [c.title for c in await service.title_choices(GUILD, "agents")] == ["Agents at rest"]


async def test_only_a_changed_feed_is_read_again(store: Store) -> None:
    feed, letter = await podcast(store), await newsletter(store)
    await follow(store, GUILD, feed)
    await follow(store, GUILD, letter)
    for n in range(30):
        await episode(store, feed, f"p{n}", f"Podcast {n} on models", days_ago=n + 1)
    await episode(store, letter, "n", "Newsletter on models", days_ago=0.5)
    service = SearchService(store.search)
    for typed in ["m", "mo", "mod", "models"]:
        assert len(await service.title_choices(GUILD, typed)) == 25
    assert service.titles.loads == 2  # each feed once, however many keystrokes

    await episode(store, letter, "m", "Newsletter on more models")
    choices = await service.title_choices(GUILD, "newsletter")
    assert [c.title for c in choices] == ["Newsletter on more models", "Newsletter on models"]
    assert service.titles.loads == 3  # the newsletter again, not the podcast's 30 titles


async def test_a_rolled_back_write_is_never_suggested(store: Store) -> None:
    feed = await podcast(store)
    await follow(store, GUILD, feed)
    await episode(store, feed, "a", "Kept episode")
    service = SearchService(store.search)
    written, release = asyncio.Event(), asyncio.Event()

    async def failing_poll() -> None:
        try:
            async with store.db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO items (feed_id, key, title, content_hash, first_seen_at, status) "
                    "VALUES (?, 'ghost', 'Ghost episode', 'h', ?, 'new')",
                    (feed.id, utcnow().isoformat()),
                )
                written.set()
                await release.wait()
                raise RuntimeError("the poll failed after writing")
        except RuntimeError:
            pass

    poll = asyncio.create_task(failing_poll())
    await written.wait()
    keystroke = asyncio.create_task(service.title_choices(GUILD, "episode"))
    await asyncio.sleep(0.05)
    release.set()
    await poll
    assert [c.title for c in await keystroke] == ["Kept episode"]
    assert [c.title for c in await service.title_choices(GUILD, "episode")] == ["Kept episode"]


async def test_accents_case_and_punctuation_do_not_matter(store: Store) -> None:
    feed = await podcast(store)
    await follow(store, GUILD, feed)
    cafe = await episode(store, feed, "a", "Déjà vu: GPT-4o returns", days_ago=1)
    service = SearchService(store.search)
    for typed in ["deja", "DÉJÀ VU", "gpt-4", "gpt 4o", "  déjà   vu  ", "ejà"]:
        assert [c.item_id for c in await service.title_choices(GUILD, typed)] == [cafe.id], typed
    choice = (await service.title_choices(GUILD, "returns"))[0]
    assert choice.published_at is not None
    assert abs(choice.published_at - (utcnow() - timedelta(days=1))) < timedelta(minutes=10)
