"""Timed cues, passages with their start times, and the passage index kept in step with the archive."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from bench import ask_eval
from bot.ask.indexer import drain
from bot.ask.passages import MAX_WORDS, clock, from_cues, from_text
from bot.digest.cues import Cue, captions_to_cues, json_to_cues, timed_cues
from bot.digest.service import DigestService
from bot.digest.source import to_clean_text
from bot.feeds.fetch import Fetcher
from bot.feeds.models import Transcript
from bot.store import Store
from bot.store.ask import Filters
from bot.store.db import Database, load_migrations
from tests.commands.seed import digest, episode, follow, podcast
from tests.doubles.feed_server import FeedServer

VTT = """WEBVTT

NOTE written for this test

intro
00:00:01.000 --> 00:00:04.000
<v Host>Welcome to the show.</v>

00:01:02.500 --> 00:01:06.000
Meta released Llama 4
with open weights.

00:01:06.000 --> 00:01:09.000
with open weights.
And developers &amp; researchers cheered.
"""

SRT = """1
00:12:34,000 --> 00:12:37,000
Nvidia shares fell.

2
01:02:03,500 --> 01:02:05,000
Much later, a closing remark.
"""


def test_cues_keep_the_timings_the_prose_path_drops() -> None:
    cues = captions_to_cues(VTT)
    assert cues == [
        Cue(1.0, "Welcome to the show."),
        Cue(62.5, "Meta released Llama 4 with open weights."),
        Cue(66.0, "And developers & researchers cheered."),  # the rolling repeat is dropped
    ]
    assert timed_cues(SRT, "application/x-subrip") == [
        Cue(754.0, "Nvidia shares fell."),
        Cue(3723.5, "Much later, a closing remark."),
    ]
    podcasting = json.dumps(
        {"segments": [{"startTime": 5.5, "body": "Hello."}, {"startTime": "bad", "body": "x"}, {"body": "y"}]}
    )
    assert json_to_cues(podcasting) == [Cue(5.5, "Hello.")]
    assert timed_cues("Plain text has no timings.") == []
    assert timed_cues("{not json") == []
    # The prose path is unchanged.
    assert to_clean_text(VTT) == (
        "Welcome to the show. Meta released Llama 4 with open weights. And developers & researchers cheered."
    )


def test_passages_start_where_their_first_word_is_said() -> None:
    cues = [Cue(0, "Intro line one."), Cue(8, "Intro line two.")] + [
        Cue(300 + 8 * n, f"Segment sentence number {n} about chips.") for n in range(3)
    ]
    passages = from_cues(cues)
    assert [p.start_seconds for p in passages] == [0, 300]  # the five-minute pause starts a new passage
    assert passages[1].text.startswith("Segment sentence number 0")
    assert clock(754) == "12:34" and clock(3723.5) == "1:02:03"


def test_run_on_text_is_cut_and_sentences_kept_whole() -> None:
    run_on = " ".join(f"word{n}" for n in range(350))
    cut = from_text(run_on, "transcript")
    assert all(len(p.text.split()) <= MAX_WORDS for p in cut) and len(cut) >= 4
    prose = " ".join(f"Sentence {n} has exactly six words." for n in range(30))
    for passage in from_text(prose, "notes"):
        assert passage.text.startswith("Sentence") and passage.text.endswith("words.")
        assert passage.start_seconds is None


async def test_a_fetched_timed_transcript_becomes_timed_passages(store: Store) -> None:
    feed = await podcast(store)
    await follow(store, 1, feed)
    async with FeedServer() as server:
        filler = "".join(
            f"\n{n}\n00:20:{n:02d},000 --> 00:20:{n:02d},900\nClosing words, part {n} of the episode.\n"
            for n in range(3, 12)
        )
        server.set_feed("/ep.srt", (SRT + filler).encode(), content_type="application/x-subrip")
        item = await episode(
            store,
            feed,
            "ep-1",
            "An episode with captions",
            transcripts=[Transcript(server.url("/ep.srt"), "application/x-subrip", "en")],
        )
        async with aiohttp.ClientSession() as session:
            service = DigestService(
                store.digests,
                fetcher=Fetcher(session, allow_private=True, timeout=5),
                on_transcript=store.search.store_transcript,
            )
            await service.ensure_digest(item)
    await drain(store.ask)
    found = await store.ask.candidates('"nvidia"', Filters(guild_id=1), limit=5)
    timed = [(c.item_id, c.start_seconds) for c in found if c.source == "transcript"]
    assert timed == [(item.id, 754.0)]


async def test_passages_follow_every_change_and_the_archive_is_backfilled(tmp_path: Path) -> None:
    # An archive written before the passage table existed: it is queued by the migration.
    migrations = load_migrations()
    path = tmp_path / "old.sqlite3"
    db = await Database.open(path, migrations=migrations[:-1])
    old = Store(db)
    feed = await podcast(old)
    item = await episode(old, feed, "old", "Before /ask", text="Quantum chips arrived at last.")
    await old.close()

    store = await Store.open(path)
    try:
        assert await store.ask.pending_count() >= 1
        await drain(store.ask)
        assert await store.ask.pending_count() == 0
        everywhere = Filters()
        assert [c.item_id for c in await store.ask.candidates('"quantum"', everywhere, limit=5)] == [item.id]

        await digest(store, item, "A digest about photonic interconnects.")  # a new digest: queued again
        assert await store.ask.pending_count() == 1
        await drain(store.ask)
        hits = await store.ask.candidates('"photonic"', everywhere, limit=5)
        assert [c.source for c in hits] == ["digest"]

        await store.db.execute("DELETE FROM items WHERE id = ?", (item.id,))  # retention deletes an item
        assert await store.ask.candidates('"quantum"', everywhere, limit=5) == []
        assert await store.ask.pending_count() == 0
        await store.ask.compact()
        # The external-content index agrees with its table (rank 1: compared with the content; FTS5 raises
        # "database disk image is malformed" on any mismatch).
        await store.db.execute("INSERT INTO ask_fts (ask_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        await store.close()


async def test_eval_episodes_cover_every_transcript_format() -> None:
    formats = {episode.format for episode in ask_eval.EPISODES}
    assert formats == {"vtt", "srt", "json"} and len(ask_eval.EPISODES) >= 5
    assert len(ask_eval.QUESTIONS) >= 20
    for fixture in ask_eval.EPISODES:
        body, mime = fixture.transcript()
        cues = timed_cues(body, mime)
        assert [cue.start for cue in cues] == [start for start, _ in fixture.cues()]
