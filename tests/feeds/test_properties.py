"""Whatever text a feed carries, the stored item is well-formed (property-based, with hypothesis)."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.feeds.models import TEXT_LIMIT, TITLE_LIMIT
from bot.feeds.parse import parse_document, split_document
from tests.feeds.builders import Item, rss

XML_CHARS = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
TAGS = ["<p>", "</p>", "<b>", "</b>", "<script>x()</script>", "<a href='https://e.com'>", "</a>", "<br>",
        "@everyone", "<@123>", "&amp;", "&lt;p&gt;", "<!-- c -->", "\n", "  "]  # fmt: skip
HTMLISH = st.lists(st.one_of(st.text(XML_CHARS, max_size=40), st.sampled_from(TAGS)), max_size=30).map(
    "".join
)
RAW_TAG = re.compile(r"<(p|b|script|a|br)(\s[^>]*)?>", re.I)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=HTMLISH, notes=HTMLISH.filter(lambda text: "]]>" not in text))
def test_any_title_and_notes_give_a_well_formed_item(title: str, notes: str) -> None:
    feed = parse_document(split_document(rss([Item(guid="g", title=title, description=notes)])))
    [item] = feed.items
    assert item.title.strip() and len(item.title) <= TITLE_LIMIT and "\n" not in item.title
    assert len(item.text) <= TEXT_LIMIT
    # Markdown code spans may show markup as literal text (Discord renders it verbatim, never as HTML).
    for text in (item.title, CODE_SPAN.sub("", item.text)):
        assert not RAW_TAG.search(text)
        assert "@everyone" not in text and "<@123>" not in text
