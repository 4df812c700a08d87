"""Every file of feedparser's own test corpus goes through parsing and normalization without an unhandled
exception, and every item kept is well-formed. Skips when `../shared/corpora/feedparser` is absent."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.feeds.errors import NotAFeed
from bot.feeds.models import KEY_LIMIT, TEXT_LIMIT, TITLE_LIMIT, ParsedItem
from bot.feeds.parse import parse_document, parse_regions, split_document
from tests.feeds.corpus import CORPUS, corpus_files

RAW_HTML = re.compile(
    r"<(p|div|span|script|style|br|img|a|table|iframe|b|i|em|strong|ul|li)(\s[^>]*)?/?>", re.I
)
CODE_SPAN = re.compile(r"`[^`]*`")  # escaped markup shown as code is text, not HTML
MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")


def check_item(item: ParsedItem, where: str) -> None:
    assert item.key and len(item.key) <= KEY_LIMIT + 4, where
    assert item.title.strip() and len(item.title) <= TITLE_LIMIT, where
    assert len(item.text) <= TEXT_LIMIT, where
    assert not RAW_HTML.search(CODE_SPAN.sub("", item.title)), where
    assert not RAW_HTML.search(CODE_SPAN.sub("", item.text)), where
    assert not MENTION.search(item.title) and not MENTION.search(item.text), where
    if item.published is not None:
        assert item.published.tzinfo is not None and item.published.utcoffset() == timedelta(0), where
        assert item.published <= datetime.now(UTC) + timedelta(hours=2), where
    for url in (
        item.link,
        item.audio_url,
        item.image_url,
        item.chapters_url,
        *(t.url for t in item.transcripts),
    ):
        assert url is None or url.startswith(("http://", "https://")), where


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared feedparser corpus is not present")
def test_every_corpus_feed_is_handled_and_every_item_is_well_formed() -> None:
    files = corpus_files()
    assert len(files) >= 2000
    items = refused = 0
    for path in files:
        where = str(path.relative_to(CORPUS))
        doc = split_document(path.read_bytes())
        try:
            feed = parse_document(doc, base_url="http://example.com/feed.xml")
        except NotAFeed as exc:
            assert exc.reason, where
            refused += 1
            continue
        keys = [item.key for item in feed.items]
        assert len(keys) == len(set(keys)), where
        for item in feed.items:
            check_item(item, where)
        if doc.regions:  # the incremental path must agree with the full parse wherever it is taken
            partial = parse_regions(
                doc, list(range(len(doc.regions))), base_url="http://example.com/feed.xml"
            )
            if partial is not None:
                for item in partial.items:
                    check_item(item, where)
        items += len(feed.items)
    assert items > 1000 and refused < len(files) // 20
