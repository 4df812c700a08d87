"""Parsing and normalization: the podcast namespace, durations, newsletters, and malformed input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.feeds.errors import NotAFeed
from bot.feeds.models import TEXT_LIMIT, TITLE_LIMIT
from bot.feeds.parse import parse_bytes, parse_document, parse_regions, split_document
from bot.feeds.podcast import extract, parse_duration
from tests.feeds.builders import Item, rss

EPISODE = Item(
    guid="ep-1",
    title="Open vs closed: round 12",
    link="https://example.com/ep1",
    published=datetime(2025, 2, 1, 10, 30, tzinfo=UTC),
    description="<p>Show notes</p>",
    audio_url="https://cdn.example.com/ep1.mp3?updated=1700000000",
    audio_length=12345678,
    duration="01:02:03",
    season=2,
    episode=12,
    image="https://cdn.example.com/ep1.jpg",
    chapters="https://cdn.example.com/ep1.chapters.json",
    transcripts=[
        ("https://cdn.example.com/ep1.vtt", "text/vtt", "en", "captions"),
        ("https://cdn.example.com/ep1.srt", "application/x-subrip", "en", None),
        ("https://cdn.example.com/ep1.json", "application/json", "es", None),
    ],
)


def test_every_transcript_and_the_podcast_extras_survive() -> None:
    body = rss([EPISODE], channel_extra="<podcast:guid>917393e3-1b1e-5cef-ace4-edaa54e1f810</podcast:guid>")
    feed = parse_document(split_document(body))
    item = feed.items[0]
    assert feed.podcast_guid == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert [(t.url.rsplit(".", 1)[1], t.type, t.language, t.rel) for t in item.transcripts] == [
        ("vtt", "text/vtt", "en", "captions"),
        ("srt", "application/x-subrip", "en", None),
        ("json", "application/json", "es", None),
    ]
    assert item.chapters_url == "https://cdn.example.com/ep1.chapters.json"
    assert (item.duration_seconds, item.season, item.episode_number) == (3723, 2, 12)
    assert item.image_url == "https://cdn.example.com/ep1.jpg"
    assert (item.audio_url, item.audio_type, item.audio_length) == (EPISODE.audio_url, "audio/mpeg", 12345678)
    assert item.key == "guid:ep-1"
    assert item.published == datetime(2025, 2, 1, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("01:02:03", 3723), ("62:03", 3723), ("3723", 3723), ("3723.4", 3723), ("0:45", 45), ("", None),
     ("abc", None), ("-5", None), ("0", None)],
)  # fmt: skip
def test_itunes_duration_in_both_forms(raw: str, seconds: int | None) -> None:
    assert parse_duration(raw) == seconds


def test_a_prefix_other_than_podcast_still_reads_the_namespace() -> None:
    body = (
        b'<rss version="2.0" xmlns:p20="https://podcastindex.org/namespace/1.0"><channel><title>x</title>'
        b'<item><guid>a</guid><title>t</title><p20:transcript url="https://e.com/a.vtt" type="text/vtt"/>'
        b'<p20:transcript url="https://e.com/a.txt" type="text/plain"/></item></channel></rss>'
    )
    assert [t.type for t in parse_document(split_document(body)).items[0].transcripts] == [
        "text/vtt",
        "text/plain",
    ]


def test_newsletter_html_becomes_markdown_without_raw_html() -> None:
    html = (
        "<div class='beehiiv'><h2>Top story</h2><p>Labs <b>race</b> to ship <a href='https://x.com/a'>agents</a>"
        "</p><script>track()</script><style>p{}</style><img src='https://t.example/pixel.gif'>"
        "<ul><li>First</li><li>Second</li></ul><table><tr><td>cell</td></tr></table></div>"
    )
    item = parse_document(split_document(rss([Item(guid="n1", title="Issue", content=html)]))).items[0]
    assert "## Top story" in item.text
    assert "**race**" in item.text and "[agents](https://x.com/a)" in item.text
    assert "- First\n- Second" in item.text
    assert "<" not in item.text.replace("<https", "") and "track()" not in item.text


def test_missing_title_gets_a_fallback_and_mentions_are_defanged() -> None:
    items = [
        Item(guid="a", title=None, description="@everyone look at this"),
        Item(guid="b", title=None, description=None, published=datetime(2025, 1, 2, tzinfo=UTC)),
        Item(guid="c", title="<b>Bold</b> &amp; <@123456>"),
    ]
    parsed = parse_document(split_document(rss(items))).items
    assert parsed[0].title.startswith("@\u200beveryone")
    assert parsed[1].title == "Untitled item of 2025-01-02"
    assert parsed[2].title.startswith("Bold & <") and "<@123456>" not in parsed[2].title


def test_naive_and_future_dates_become_aware_utc_without_breaking_order() -> None:
    now = datetime.now(UTC)
    items = [
        Item(guid="naive", published="2025-01-05T10:00:00"),
        Item(guid="future", published=now + timedelta(days=400)),
        Item(guid="garbage", published="not a date at all"),
    ]
    parsed = {i.guid: i for i in parse_document(split_document(rss(items))).items}
    assert parsed["naive"].published == datetime(2025, 1, 5, 10, 0, tzinfo=UTC)
    future = parsed["future"].published
    assert future is not None and future.tzinfo is not None and future <= datetime.now(UTC)
    assert parsed["garbage"].published is None


def test_huge_fields_are_bounded() -> None:
    item = Item(
        guid="g" * 5000, title="T" * 5000, description="word " * 20000, link="https://e.com/" + "a" * 5000
    )
    parsed = parse_document(split_document(rss([item]))).items[0]
    assert len(parsed.title) <= TITLE_LIMIT and parsed.title.endswith("…")
    assert len(parsed.text) <= TEXT_LIMIT
    assert len(parsed.key) <= 300 and parsed.link is None


def test_duplicate_guids_fall_back_to_other_fields() -> None:
    items = [
        Item(guid="same", title="One", link="https://e.com/1"),
        Item(guid="same", title="Two", link="https://e.com/2"),
    ]
    parsed = parse_document(split_document(rss(items))).items
    assert all(i.key.startswith("fp:") for i in parsed) and parsed[0].key != parsed[1].key


def test_a_page_that_is_not_a_feed_is_refused() -> None:
    with pytest.raises(NotAFeed):
        parse_bytes(b"<!doctype html><html><body><p>Hello</p></body></html>")
    with pytest.raises(NotAFeed):
        parse_bytes(b"")


def test_entity_declarations_are_refused_by_our_xml_pass() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]>'
        b"<rss><channel><item>&a;</item></channel></rss>"
    )
    assert extract(body) is None


def test_only_the_build_date_changing_keeps_the_item_fingerprint() -> None:
    items = [EPISODE, Item(guid="ep-0", title="Earlier")]
    one = split_document(rss(items, build_date=datetime(2025, 3, 1, tzinfo=UTC)))
    two = split_document(rss(items, build_date=datetime(2025, 3, 2, tzinfo=UTC)))
    assert one.body != two.body
    assert (one.fingerprint, one.head_hash) == (two.fingerprint, two.head_hash)
    three = split_document(rss([Item(guid="new", title="New"), *items]))
    assert three.fingerprint != one.fingerprint and three.hashes[1:] == one.hashes


def test_parsing_only_changed_regions_gives_the_same_items_as_a_full_parse() -> None:
    items = [Item(guid=f"g{i}", title=f"Item {i}", description=f"<p>{i}</p>") for i in range(6)]
    doc = split_document(rss(items, channel_extra="<podcast:guid>pg</podcast:guid>"))
    full = {i.key: i for i in parse_document(doc).items}
    partial = parse_regions(doc, [0, 3])
    assert partial is not None and partial.podcast_guid == "pg"
    assert [i.key for i in partial.items] == ["guid:g0", "guid:g3"]
    for item in partial.items:
        assert item == full[item.key]
