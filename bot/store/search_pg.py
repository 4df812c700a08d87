"""Full-text search on PostgreSQL: the statements `SearchRepo` runs there instead of FTS5's.

The index is the `search_fts` table of `migrations/postgresql/0007_commands.sql`: the same four texts per
item as FTS5's table, with a generated `tsvector` (title weight A, digest B, show notes C, transcript D) under
a GIN index. The repository receives FTS5 MATCH expressions (`bot.search.query.ParsedQuery.to_fts`: quoted
terms, `*` prefixes, AND / OR / NOT, parentheses, an optional `column :` filter); `to_tsquery_text` turns one
into the text of a `tsquery`, each word quoted, so no member input is ever read as tsquery syntax.
Ranking is `ts_rank` with the weights FTS5's bm25 gives the columns (title 8, digest 3, notes 2,
transcript 1), negated so that smaller is better as with bm25; snippets are `ts_headline`.
"""

from __future__ import annotations

import re

# Column -> tsvector weight label, as set in the migration.
WEIGHTS = {"title": "A", "digest": "B", "notes": "C", "transcript": "D"}
# ts_rank's weights are given for D, C, B, A: transcript 1, notes 2, digest 3, title 8 (scaled to <= 1).
RANK_WEIGHTS = "{0.125, 0.25, 0.375, 1.0}"

_TOKENS = re.compile(r'"((?:[^"]|"")*)"(\*?)|(\()|(\))|(\w+)\s*:(?!:)|(\w+)(\*?)|(\S)', re.UNICODE)


class ExpressionError(ValueError):
    """The FTS5 expression uses something this translation does not know."""


def _lexeme(word: str, prefix: bool, weight: str) -> str:
    quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    marks = ("*" if prefix else "") + weight
    return f"{quoted}:{marks}" if marks else quoted


def _phrase(text: str, prefix: bool, weight: str) -> str:
    words = re.findall(r"\w+", text.replace('""', '"'), re.UNICODE)
    if not words:
        raise ExpressionError("an empty search term")
    parts = [_lexeme(w, prefix and i == len(words) - 1, weight) for i, w in enumerate(words)]
    return parts[0] if len(parts) == 1 else "(" + " <-> ".join(parts) + ")"


def to_tsquery_text(match: str) -> str:
    """The tsquery text (for `to_tsquery('simple', …)`) of an FTS5 MATCH expression."""
    out: list[str] = []
    weight = ""
    need_operator = False
    for token in _TOKENS.finditer(match):
        phrase, phrase_prefix, opening, closing, column, word, word_prefix, other = token.groups()
        if column is not None:
            if column not in WEIGHTS:
                raise ExpressionError(f"no column {column!r}")
            weight = WEIGHTS[column]
            continue
        if word is not None and word in ("AND", "OR", "NOT") and not word_prefix:
            out.append({"AND": "&", "OR": "|", "NOT": "& !"}[word])
            need_operator = False
            continue
        if other is not None:
            raise ExpressionError(f"unexpected {other!r}")
        if closing:
            out.append(")")
            need_operator = True
            continue
        if need_operator:  # FTS5 reads juxtaposed terms as AND
            out.append("&")
        if opening:
            out.append("(")
            need_operator = False
            continue
        if phrase is not None:
            out.append(_phrase(phrase, bool(phrase_prefix), weight))
        else:
            out.append(_phrase(word, bool(word_prefix), weight))
        need_operator = True
    if not out:
        raise ExpressionError("an empty search")
    return " ".join(out)


IN_GUILD = "i.duplicate_of IS NULL AND i.feed_id IN (SELECT feed_id FROM subscriptions WHERE guild_id = ?)"

COUNT = (
    "SELECT count(*) FROM search_fts s JOIN items i ON i.id = s.item_id "  # noqa: S608 (constants)
    f"WHERE s.document @@ to_tsquery('simple', ?) AND {IN_GUILD}"
)


def search_sql(columns: dict[str, int]) -> str:
    """One page of ranked matches with a snippet per column (`s0` … `s3`), the total as `total`.

    Parameters: the tsquery text, the guild, limit, offset, then the `ts_headline` options."""
    snippets = ", ".join(
        f"ts_headline('simple', s.{name}, q.query, ?) AS s{index}" for name, index in columns.items()
    )
    return (
        "WITH q AS (SELECT to_tsquery('simple', ?) AS query), "  # noqa: S608 (constants)
        "ranked AS MATERIALIZED ("
        f"SELECT i.id, i.feed_id, i.title, i.link, i.published_at, "
        f"-ts_rank('{RANK_WEIGHTS}', s.document, q.query) AS rank "
        f"FROM search_fts s JOIN items i ON i.id = s.item_id CROSS JOIN q "
        f"WHERE s.document @@ q.query AND {IN_GUILD}), "
        "page AS (SELECT ranked.*, count(*) OVER () AS total FROM ranked "
        "ORDER BY rank, published_at DESC, id DESC LIMIT ? OFFSET ?) "
        f"SELECT page.*, {snippets} FROM page JOIN search_fts s ON s.item_id = page.id CROSS JOIN q "
        "ORDER BY page.rank, page.published_at DESC, page.id DESC"
    )


def headline_options(start: str, end: str, words: int) -> str:
    return f'StartSel="{start}", StopSel="{end}", MaxWords={words}, MinWords={max(1, words // 2)}'


FEED_TITLES = (
    "SELECT id, title, CAST(floor(extract(epoch FROM CAST(coalesce(published_at, first_seen_at) "
    "AS timestamptz))) AS BIGINT) FROM items WHERE feed_id = ? AND duplicate_of IS NULL"
)

REBUILD = (
    "INSERT INTO search_fts (item_id, title, notes, transcript, digest) "
    "SELECT i.id, i.title, coalesce(i.shown_text, i.summary_text), search_transcript_of(i.digest_key), "
    "search_digest_of(i.digest_key) FROM items i"
)
