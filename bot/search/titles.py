"""Title autocomplete for `/episode`, answered from an index in memory.

Discord asks for choices on every keystroke, so this is the bot's most frequent query. The titles of each
followed feed are held here, newest first, with an index of their words (`FeedTitles`). A keystroke costs
one small read, which feeds the guild follows and each one's version (`SearchRepo.title_versions`, a
`peek` that needs no trip to the database thread), then a few bisections and string tests that stop as
soon as 25 titles are found. A feed whose version has moved since it was loaded is read again first:
triggers of migration 0008 raise the version whenever an item's title, date, feed or duplicate mark
changes, or an item comes or goes, whichever process made the change. So the index is never staler than
the keystroke, and nothing else has to remember to invalidate it.

What was typed ranks titles in four classes, newest first within each:

0. the title starts with it ("open wei" → "Open weights everywhere");
1. a word of the title starts with it ("The open weights debate");
2. each typed word starts some word of the title ("Weights are open now");
3. one typed word of three characters or more, inside a word of the title ("pening" → "Reopening the lab").

Words are runs of letters, digits and underscores after folding case and accents, as `/search` splits them;
the last typed word may be unfinished.
"""

from __future__ import annotations

import asyncio
import unicodedata
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate
from typing import TYPE_CHECKING, NamedTuple

from bot.search.query import MAX_QUERY_CHARS, MAX_TERMS, WORD

if TYPE_CHECKING:
    from bot.store.search import SearchRepo

SUBSTRING_MIN_CHARS = 3
CACHED_FEEDS = 64  # feeds kept in memory; the least recently asked for is dropped first


class TitleChoice(NamedTuple):
    """An autocomplete candidate: the item, its title, and how well the title matched (0 = best).

    A named tuple, the cheapest record to make: up to 25 are made per keystroke."""

    item_id: int
    title: str
    seconds: int | None  # publication time (or first seen) in Unix seconds
    match_class: int

    @property
    def published_at(self) -> datetime | None:
        return datetime.fromtimestamp(self.seconds, UTC) if self.seconds else None


def fold(text: str) -> str:
    """Text as it is matched: accents removed, case folded (so "Déjà" and "deja" are the same)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


@dataclass(frozen=True, slots=True)
class Typed:
    """The words a member typed, folded as titles are; the last may be unfinished."""

    words: tuple[str, ...]

    @classmethod
    def parse(cls, typed: str) -> Typed:
        return cls(tuple(WORD.findall(fold(typed[:MAX_QUERY_CHARS]))[:MAX_TERMS]))


class FeedTitles:
    """One feed's titles at one version, newest first, indexed by word.

    Each title becomes a line, `" " + its folded words joined by spaces`, so the classes are plain string
    tests on a line: class 0 `line.startswith(" open wei")`, class 1 `" open wei" in line`. Which lines to
    test comes from two word indexes, each a sorted list of distinct words with the lines holding each word
    (ascending line numbers, newest first): every word of the titles, and the first word of each title. The
    lines holding any word with a given prefix are a contiguous range of that list, found by bisection, and
    their count is known before reading them, so each class reads the lines of the most selective word and
    stops at `limit` matches.
    """

    __slots__ = ("first", "ids", "lines", "seconds", "titles", "version", "words")

    def __init__(
        self,
        version: int,
        rows: Iterable[tuple[int, str, int | None]],
        *,
        previous: FeedTitles | None = None,
    ) -> None:
        # Newest first; the id breaks ties between items of the same second, as the store orders them.
        ordered = sorted(rows, key=lambda row: (row[2] or 0, row[0]), reverse=True)
        self.version = version
        self.ids = [row[0] for row in ordered]
        self.titles = [row[1] for row in ordered]
        self.seconds = [row[2] for row in ordered]
        self.lines: list[str] = []
        # A new version usually differs by an item or two: titles seen before keep their folded line.
        known = dict(zip(previous.titles, previous.lines, strict=True)) if previous is not None else {}
        every: dict[str, list[int]] = {}
        first: dict[str, list[int]] = {}
        for index, title in enumerate(self.titles):
            line = known.get(title)
            if line is None:
                line = " " + " ".join(WORD.findall(fold(title)))
            self.lines.append(line)
            words = line.split()
            for word in dict.fromkeys(words):
                every.setdefault(word, []).append(index)
            if words:
                first.setdefault(words[0], []).append(index)
        self.words = _WordIndex(every)
        self.first = _WordIndex(first)

    def match(self, typed: Typed, limit: int) -> list[tuple[int, int]]:
        """This feed's best `limit` titles for `typed`, as (class, line index), best and newest first."""
        if not typed.words:
            return [(0, index) for index in range(min(limit, len(self.ids)))]
        found: dict[int, int] = {}  # line index → class; insertion order is class, then newest first
        words = typed.words
        phrase = " " + " ".join(words)
        # Every typed word starts a word of a matching title, whatever its class: the rarest one's lines
        # hold them all. Class 0 may do better still with the titles whose first word is the first typed.
        anchor = min((self.words.prefixed(word) for word in words), key=lambda lines: lines.count)
        starts = self.first.prefixed(words[0]) if len(words) == 1 else self.first.exactly(words[0])
        starts = min(starts, anchor, key=lambda lines: lines.count)
        self._collect(starts, 0, found, limit, at_start=phrase)
        self._collect(anchor, 1, found, limit, containing=(phrase,))
        if len(found) < limit and len(words) > 1:
            self._collect(anchor, 2, found, limit, containing=tuple(" " + word for word in words))
        elif len(found) < limit and len(words[0]) >= SUBSTRING_MIN_CHARS:
            # Class 3: inside a word ("penai" in "openai"); the words holding it are found in the list of
            # distinct words, a small fraction of the text.
            self._collect(self.words.containing(words[0]), 3, found, limit)
        return [(klass, index) for index, klass in found.items()]

    def _collect(
        self,
        candidates: _Lines,
        klass: int,
        found: dict[int, int],
        limit: int,
        *,
        at_start: str | None = None,
        containing: tuple[str, ...] = (),
    ) -> None:
        """Give class `klass` to the newest candidate lines that start with `at_start` and hold every text
        in `containing`, not already found, until `limit` are found. Candidates come in batches, each
        filtered by a comprehension per test rather than a function call per line."""
        lines = self.lines
        if len(found) >= limit:
            return
        for batch in candidates.batches():
            if at_start is not None:
                batch = [index for index in batch if lines[index].startswith(at_start)]
            for text in containing:
                batch = [index for index in batch if text in lines[index]]
            for index in batch:
                if len(found) >= limit:
                    return
                found.setdefault(index, klass)
            if len(found) >= limit:
                return

    def choice(self, index: int, klass: int) -> TitleChoice:
        return TitleChoice(self.ids[index], self.titles[index], self.seconds[index], klass)


class _WordIndex:
    """Distinct words in sorted order, each with its ascending line numbers."""

    __slots__ = ("joined", "offsets", "postings", "totals", "vocabulary")

    def __init__(self, postings: dict[str, list[int]]) -> None:
        self.vocabulary = sorted(postings)
        self.postings = [postings[word] for word in self.vocabulary]
        # totals[i]: how many line numbers the first i words hold, to size a range without reading it.
        self.totals = list(accumulate(map(len, self.postings), initial=0))
        # The words as one string, "\nword" each, to find the words holding some text with str.find.
        self.joined = "".join("\n" + word for word in self.vocabulary)
        self.offsets = list(accumulate((len(word) + 1 for word in self.vocabulary), initial=0))[:-1]

    def _range(self, low: int, high: int) -> _Lines:
        return _Lines(self.postings[low:high], self.totals[high] - self.totals[low])

    def exactly(self, word: str) -> _Lines:
        low = bisect_left(self.vocabulary, word)
        high = low + 1 if low < len(self.vocabulary) and self.vocabulary[low] == word else low
        return self._range(low, high)

    def prefixed(self, prefix: str) -> _Lines:
        low = bisect_left(self.vocabulary, prefix)
        return self._range(low, bisect_left(self.vocabulary, prefix + _HIGHEST, low))

    def containing(self, text: str) -> _Lines:
        """The lines of words holding `text` anywhere but at their start (those are `prefixed`)."""
        chosen: list[list[int]] = []
        position = self.joined.find(text)
        while position != -1:
            word = bisect_right(self.offsets, position) - 1
            if position != self.offsets[word] + 1:
                chosen.append(self.postings[word])
            # The next word's "\n": a word holding `text` twice is taken once.
            following = self.offsets[word + 1] if word + 1 < len(self.offsets) else len(self.joined)
            position = self.joined.find(text, following)
        return _Lines(chosen, sum(map(len, chosen)))


_HIGHEST = chr(0x10FFFF)  # sorts after every character, so `prefix + _HIGHEST` bounds the words it starts


class _Lines:
    """The union of ascending lists of line numbers, read in ascending order without duplicates.

    Read a batch at a time: the `take` smallest unread numbers of each list, sorted together, are final up
    to the smallest number not yet read from a list that has more. `take` grows fourfold per batch, so a
    reader that stops after 25 lines reads little more than that, and one that reads everything is linear.
    """

    __slots__ = ("count", "lists")

    def __init__(self, lists: list[list[int]], count: int) -> None:
        self.lists = lists
        self.count = count  # how many line numbers the lists hold (a line in several counts again)

    def batches(self) -> Iterator[list[int]]:
        """The numbers in ascending order, as lists of growing length (32, 128, 512, ...)."""
        done, take = -1, 32
        if len(self.lists) == 1:  # one word: its own list, sliced
            only, start = self.lists[0], 0
            while start < len(only):
                yield only[start : start + take]
                start, take = start + take, take * 4
            return
        while True:
            batch: set[int] = set()
            bound: int | None = None  # the smallest number not yet read, of the lists that have more
            for lines in self.lists:
                low = bisect_right(lines, done)
                batch.update(lines[low : low + take])
                if low + take < len(lines) and (bound is None or lines[low + take] < bound):
                    bound = lines[low + take]
            ready = sorted(batch) if bound is None else sorted(n for n in batch if n < bound)
            if ready:
                yield ready
            if bound is None or not ready:
                return
            done, take = ready[-1], take * 4


class TitleIndex:
    """The titles of followed feeds, loaded on first use and again whenever a feed's version moves."""

    def __init__(self, repo: SearchRepo, *, cached_feeds: int = CACHED_FEEDS) -> None:
        self.repo = repo
        self.cached_feeds = cached_feeds
        self.loads = 0  # how many times a feed's titles were read from the store
        self._feeds: OrderedDict[int, FeedTitles] = OrderedDict()
        self._load_lock = asyncio.Lock()

    async def choices(self, guild_id: int, typed: str, limit: int) -> list[TitleChoice]:
        """Up to `limit` titles of the guild's feeds for what was typed, best class first, then newest."""
        parsed = Typed.parse(typed)
        followed = await self.repo.title_versions(guild_id)
        if len(followed) == 1:  # most guilds: the feed's own order is the answer
            feed = await self._feed(*followed[0])
            return [feed.choice(index, klass) for klass, index in feed.match(parsed, limit)]
        ranked: list[tuple[int, int, int, FeedTitles, int]] = []
        for feed_id, version in followed:
            feed = await self._feed(feed_id, version)
            for klass, index in feed.match(parsed, limit):
                ranked.append((klass, -(feed.seconds[index] or 0), -feed.ids[index], feed, index))
        # Each feed gave its own best `limit`; the best `limit` of all are among them.
        ranked.sort(key=lambda entry: entry[:3])
        return [feed.choice(index, klass) for klass, _, _, feed, index in ranked[:limit]]

    async def _feed(self, feed_id: int, version: int) -> FeedTitles:
        feed = self._feeds.get(feed_id)
        if feed is None or feed.version < version:
            async with self._load_lock:  # one load per feed and version, however many keystrokes wait
                feed = self._feeds.get(feed_id)
                if feed is None or feed.version < version:
                    loaded, rows = await self.repo.feed_titles(feed_id)
                    # Tens of milliseconds for 10,000 titles: in a worker thread, so the event loop (the
                    # gateway heartbeat, other interactions) keeps getting turns while it is built.
                    feed = await asyncio.to_thread(FeedTitles, loaded, rows, previous=feed)
                    self.loads += 1
                    self._feeds[feed_id] = feed
                    while len(self._feeds) > self.cached_feeds:
                        self._feeds.popitem(last=False)
        if feed_id in self._feeds:
            self._feeds.move_to_end(feed_id)
        return feed


__all__ = ["CACHED_FEEDS", "FeedTitles", "TitleChoice", "TitleIndex", "Typed", "fold"]
