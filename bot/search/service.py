"""The search operations the commands need, independent of Discord."""

from __future__ import annotations

import logging
import math
import sqlite3
from dataclasses import dataclass

from bot.render.limits import AUTOCOMPLETE_CHOICES
from bot.search.query import ParsedQuery, QueryError, parse_query
from bot.search.titles import TitleChoice, TitleIndex
from bot.store.search import SearchHit, SearchRepo

log = logging.getLogger(__name__)

PAGE_SIZE = 5
MAX_PAGES = 40


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of results and where it sits among all of them."""

    query: ParsedQuery
    text: str
    page: int  # 0-based, clamped into range
    total: int
    hits: list[SearchHit]
    page_size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return min(MAX_PAGES, max(1, math.ceil(self.total / self.page_size)))

    @property
    def has_previous(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return self.page + 1 < self.pages


class SearchService:
    """Ranked full-text search and title autocomplete over one guild's feeds."""

    def __init__(self, repo: SearchRepo, *, page_size: int = PAGE_SIZE) -> None:
        self.repo = repo
        self.page_size = page_size
        self.titles = TitleIndex(repo)

    async def search(self, guild_id: int, text: str, page: int = 0) -> SearchPage:
        """The `page`-th page of results for `text` (raises `QueryError` for text with nothing to find)."""
        parsed = parse_query(text)
        match = parsed.to_fts()
        try:
            page = max(0, min(page, MAX_PAGES - 1))
            hits, total = await self.repo.search(
                match, guild_id, limit=self.page_size, offset=page * self.page_size
            )
            if not hits and page > 0:  # past the end (a stale button): show the last page instead
                total = await self.repo.count(match, guild_id)
                page = max(0, min(page, math.ceil(total / self.page_size) - 1, MAX_PAGES - 1))
                hits, total = await self.repo.search(
                    match, guild_id, limit=self.page_size, offset=page * self.page_size
                )
        except sqlite3.OperationalError as exc:
            # The parser quotes every term, so this is not expected; say so plainly rather than fail.
            log.warning("search expression %r was refused by FTS5: %s", match, exc)
            raise QueryError("I couldn't understand that search; try plain words.") from exc
        return SearchPage(
            query=parsed, text=text, page=page, total=total, hits=hits, page_size=self.page_size
        )

    async def title_choices(self, guild_id: int, typed: str) -> list[TitleChoice]:
        """Up to 25 items whose title fits what was typed so far (`bot.search.titles` says how they rank);
        the newest items when nothing word-like was typed."""
        try:
            return await self.titles.choices(guild_id, typed, AUTOCOMPLETE_CHOICES)
        except sqlite3.OperationalError as exc:  # a locked or damaged store: no suggestions, not an error
            log.warning("title autocomplete for %r failed: %s", typed, exc)
            return []


__all__ = ["AUTOCOMPLETE_CHOICES", "PAGE_SIZE", "QueryError", "SearchPage", "SearchService"]
