"""A transcript fetched for a digest becomes searchable with /search (the digest → search handoff)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import aiohttp

from bot.digest.service import DigestService
from bot.feeds.fetch import Fetcher
from bot.feeds.models import Transcript
from bot.search import SearchService
from bot.store import Store
from tests.commands.seed import episode, follow, podcast
from tests.digest.transcripts import SHORT, as_vtt
from tests.doubles.feed_server import FeedServer

GUILD = 4242


async def test_a_fetched_transcript_is_indexed_for_search(store: Store) -> None:
    feed = await podcast(store)
    await follow(store, GUILD, feed)
    async with FeedServer() as server:
        server.set_feed("/ep.vtt", as_vtt(SHORT).encode(), content_type="text/vtt")
        item = await episode(
            store,
            feed,
            "ep-1",
            "An episode with a transcript",
            text="Short notes.",
            transcripts=[Transcript(server.url("/ep.vtt"), "text/vtt", "en")],
        )
        word = next(w.strip(".,") for w in SHORT.split() if len(w) > 8 and w.isalpha())
        search = SearchService(store.search)
        assert (await search.search(GUILD, word)).total == 0

        async with aiohttp.ClientSession() as session:
            service = DigestService(
                store.digests,
                fetcher=Fetcher(session, allow_private=True, timeout=5),
                on_transcript=store.search.store_transcript,
            )
            digest = await service.ensure_digest(item)

    assert digest.source == "transcript"
    page = await search.search(GUILD, word)
    assert [hit.item_id for hit in page.hits] == [item.id]
    assert page.hits[0].transcript_snippet


async def test_a_transcript_is_fetched_once_for_every_guild_and_again_on_regenerate(store: Store) -> None:
    feed = await podcast(store)
    async with FeedServer() as server:
        server.set_feed("/ep.vtt", as_vtt(SHORT).encode(), content_type="text/vtt")
        server.set_feed("/ep-fixed.vtt", as_vtt(SHORT).encode(), content_type="text/vtt")
        item = await episode(
            store,
            feed,
            "ep-1",
            "An episode many servers follow",
            transcripts=[Transcript(server.url("/ep.vtt"), "text/vtt", "en")],
        )
        async with aiohttp.ClientSession() as session:
            service = DigestService(store.digests, fetcher=Fetcher(session, allow_private=True, timeout=5))
            # The announcer asks once per guild that follows the feed, some of them at the same moment.
            digests = await asyncio.gather(*(service.ensure_digest(item) for _ in range(5)))
            assert {d.source for d in digests} == {"transcript"}
            assert len(server.requests_for("/ep.vtt")) == 1  # the show's host is asked once, not 5 times

            await service.ensure_digest(item, force=True)  # a moderator's regenerate fetches it anew
            assert len(server.requests_for("/ep.vtt")) == 2

            # The feed points at a corrected transcript: that one is fetched.
            moved = replace(item, transcripts=[Transcript(server.url("/ep-fixed.vtt"), "text/vtt", "en")])
            assert (await service.ensure_digest(moved)).source == "transcript"
            assert len(server.requests_for("/ep-fixed.vtt")) == 1
