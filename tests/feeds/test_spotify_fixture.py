"""The 1,500-episode fixture in the Spotify for Creators format parses into 1,500 well-formed episodes."""

from __future__ import annotations

from datetime import UTC

from bot.feeds.parse import parse_document, parse_regions, split_document
from tests.feeds.builders import SPOTIFY_FIXTURE, spotify_feed


def test_the_committed_fixture_is_what_the_generator_writes() -> None:
    assert SPOTIFY_FIXTURE.read_bytes() == spotify_feed()


def test_all_1500_episodes_are_well_formed_and_keyed_on_their_guid() -> None:
    doc = split_document(SPOTIFY_FIXTURE.read_bytes())
    assert len(doc.regions) == 1500
    feed = parse_document(doc)
    assert feed.title == "The AI Daily Brief (sample fixture)"
    assert len(feed.items) == 1500 and len({i.key for i in feed.items}) == 1500
    assert all(i.key == f"guid:{i.guid}" for i in feed.items)
    assert all(i.published is not None and i.published.tzinfo == UTC for i in feed.items)
    assert all(600 <= (i.duration_seconds or 0) < 3600 for i in feed.items)
    assert all(i.audio_url and i.audio_type == "audio/mpeg" and i.audio_length for i in feed.items)
    assert all(
        "<" not in i.text and "[example.com](https://example.com/sponsor/" in i.text for i in feed.items
    )
    assert all(i.raw_hash == doc.hashes[i.position] for i in feed.items)
    newest = feed.items[0]
    assert newest.title.startswith("Episode 1500:") and newest.link and "/episodes/" in newest.link
    partial = parse_regions(doc, [0])
    assert partial is not None and partial.items == [newest]
