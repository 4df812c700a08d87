"""Items stored before the cleaned text existed get it from maintenance, and search stops matching footers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.feeds.html import html_to_markdown
from bot.maintenance import Maintenance
from bot.search import SearchService
from bot.store import Store
from bot.store.search import SearchRepo
from tests.announce.helpers import add_item, podcast
from tests.commands.seed import follow
from tests.feeds.footers import ANCHOR

GUILD = 4242


async def test_maintenance_cleans_the_text_of_items_stored_before_it_existed(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    store = await Store.open(path)
    try:
        feed = await podcast(store)
        await follow(store, GUILD, feed)
        item = await add_item(store, feed, "old", "Open weights", text=html_to_markdown(ANCHOR))
        with sqlite3.connect(path) as conn:  # as an item stored by the previous version looks
            conn.execute("UPDATE items SET shown_text = NULL WHERE id = ?", (item.id,))
        search = SearchService(SearchRepo(store.db), page_size=5)
        assert (await search.search(GUILD, "KPMG")).total == 1  # the raw notes are still indexed

        report = await Maintenance(store).run()

        assert not report.errors
        assert (await search.search(GUILD, "KPMG")).total == 0
        assert (await search.search(GUILD, "price cuts")).total == 1
        stored = await store.feeds.get_item(item.id)
        assert stored is not None and "KPMG" in stored.summary_text  # the feed's text is kept
    finally:
        await store.close()
