"""Turning what a member typed into a safe SQLite FTS5 query.

Members type free text; FTS5 has its own query language in which `"`, `*`, `-`, `:`, `^`, `AND`, `NEAR` and
parentheses mean something, and a stray one is a syntax error. So the text is never passed through: it is
split into words and quoted phrases, each term is re-quoted, and the terms are joined with AND. The small
syntax members expect from a search box is honoured:

- `open weights` → both words, anywhere (AND);
- `"open weights"` → the exact phrase;
- `-llama` → items without the word;
- `gpt*` → words starting with "gpt".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_QUERY_CHARS = 200
MAX_TERMS = 12

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
WORD = re.compile(r"\w+", re.UNICODE)  # what a word is, for /search and title autocomplete alike


class QueryError(ValueError):
    """The text has nothing that can be searched for; the message says what to type instead."""


@dataclass(frozen=True, slots=True)
class Term:
    """One search term: a word or phrase (its words), negated or not, prefix or not."""

    words: tuple[str, ...]
    negated: bool = False
    prefix: bool = False

    def to_fts(self) -> str:
        quoted = '"' + " ".join(self.words).replace('"', '""') + '"'
        return quoted + ("*" if self.prefix else "")


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A member's query as terms, plus the words to highlight in results."""

    terms: tuple[Term, ...] = field(default_factory=tuple)

    @property
    def positive(self) -> tuple[Term, ...]:
        return tuple(term for term in self.terms if not term.negated)

    def to_fts(self, column: str | None = None) -> str:
        """The FTS5 MATCH expression (optionally restricted to one column)."""
        positive = " AND ".join(term.to_fts() for term in self.positive)
        negative = "".join(f" NOT {term.to_fts()}" for term in self.terms if term.negated)
        expression = f"({positive}){negative}" if negative else positive
        return f"{column} : ({expression})" if column else expression

    def describe(self) -> str:
        """The query as it was understood, for the reply header."""
        parts = []
        for term in self.terms:
            text = " ".join(term.words)
            text = f'"{text}"' if len(term.words) > 1 else text
            parts.append(("-" if term.negated else "") + text + ("*" if term.prefix else ""))
        return " ".join(parts)


def parse_query(text: str) -> ParsedQuery:
    """Parse free text into terms; raises `QueryError` when nothing searchable remains."""
    text = (text or "").strip()[:MAX_QUERY_CHARS]
    terms: list[Term] = []
    for match in _TOKEN.finditer(text):
        if len(terms) >= MAX_TERMS:
            break
        if match.group(3) is not None:
            raw = match.group(3)
            negated = raw.startswith("-") and len(raw) > 1
            prefix = raw.endswith("*")
            words = WORD.findall(raw.lower())
            if not words:
                continue
            # "gpt-4o" is one thing to a member: keep its pieces together as a phrase.
            terms.append(Term(tuple(words), negated=negated, prefix=prefix))
        else:
            words = WORD.findall(match.group(2).lower())
            if words:
                terms.append(Term(tuple(words), negated=match.group(1) == "-"))
    if not any(not term.negated for term in terms):
        raise QueryError(
            "Type at least one word to search for, for example `/search open weights` "
            'or `/search "agentic coding"`.'
        )
    return ParsedQuery(tuple(terms))
