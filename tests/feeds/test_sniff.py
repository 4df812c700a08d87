"""A body that is not a feed is refused before feedparser spends its time on it."""

from __future__ import annotations

import feedparser
import pytest

from bot.feeds.errors import NotAFeed
from bot.feeds.parse import parse_bytes, sniff
from tests.feeds.builders import Item, rss
from tests.feeds.corpus import CORPUS, corpus_files


def test_a_large_html_page_is_refused_as_a_page() -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>" + b"<div>x</div>" * 500_000
    )
    with pytest.raises(NotAFeed, match=r"not an RSS or Atom feed \(an HTML page\)"):
        parse_bytes(page)


def test_plain_text_is_refused_with_what_was_missing() -> None:
    with pytest.raises(NotAFeed, match="no <rss>, <feed> or <rdf:RDF> element"):
        sniff(b"502 Bad Gateway")


@pytest.mark.parametrize(
    "body",
    [
        rss([Item(guid="a", title="An RSS item")]),
        b'<?xml version="1.0"?>\n<!-- generated -->\n<feed xmlns="http://www.w3.org/2005/Atom"></feed>',
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"></rdf:RDF>',
        b'  {"version": "https://jsonfeed.org/version/1.1", "items": []}',
        "<rss version='2.0'></rss>".encode("utf-16"),
    ],
    ids=["rss", "atom", "rdf", "json feed", "utf-16 with a BOM"],
)
def test_feeds_of_every_kind_pass_the_sniff(body: bytes) -> None:
    sniff(body)


def test_an_rss_item_still_parses_after_the_sniff() -> None:
    feed, count = parse_bytes(rss([Item(guid="a", title="An RSS item")]))
    assert count == 1 and feed.items[0].title == "An RSS item"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared feedparser corpus is not present")
def test_the_sniff_refuses_no_corpus_document_that_feedparser_reads() -> None:
    refused_feeds = []
    for path in corpus_files():
        data = path.read_bytes()
        try:
            sniff(data)
        except NotAFeed:
            parsed = feedparser.parse(data)
            if parsed.get("version") or parsed.get("entries"):
                refused_feeds.append(path.name)
    assert refused_feeds == []
