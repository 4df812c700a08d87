"""Search over the stored episodes and issues: FTS5 ranked queries with snippets, title autocomplete.

`SearchService` is what the cogs call; `bot.store.search.SearchRepo` holds the SQL; `bot.search.query`
turns member text into a safe FTS5 expression; `bot.search.titles` answers title autocomplete from memory;
`bot.search.render` turns results into Discord text.
"""

from __future__ import annotations

from bot.search.query import ParsedQuery, QueryError, parse_query
from bot.search.service import PAGE_SIZE, SearchPage, SearchService
from bot.search.titles import TitleChoice, TitleIndex

__all__ = [
    "PAGE_SIZE",
    "ParsedQuery",
    "QueryError",
    "SearchPage",
    "SearchService",
    "TitleChoice",
    "TitleIndex",
    "parse_query",
]
