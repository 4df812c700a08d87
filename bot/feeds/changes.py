"""Given what a feed holds now and what the store knows, decide what is new, edited, gone or a duplicate.

Pure logic (no I/O), so the rules can be read and tested on their own:
- a known key with a different content hash (title or text) is an edit; a different raw region with the
  same content (a new audio URL, a bumped date) is a silent update, never a new item;
- an unknown key whose normalized link belongs to exactly one known item, or whose normalized title
  belongs to a known item that left the feed in this very fetch (a GUID rewrite), is a duplicate;
- on a feed's first fetch everything is remembered and nothing announced, except the newest N asked for;
- items published before the window are never announced; past the daily cap a runaway feed is held back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.feeds.models import ParsedItem
from bot.store.feeds import ItemChange, KnownItem, NewItem


@dataclass(slots=True)
class ChangeSet:
    new: list[NewItem] = field(default_factory=list)
    changes: list[ItemChange] = field(default_factory=list)
    left_feed: list[int] = field(default_factory=list)
    back_in_feed: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.new or self.changes or self.left_feed or self.back_in_feed)


def publication_order(items: Sequence[ParsedItem], now: datetime) -> list[ParsedItem]:
    """Oldest first; undated items keep their document order (later in the document = older)."""
    return sorted(items, key=lambda item: (item.published or now, -item.position))


def compute_changes(
    parsed: Sequence[ParsedItem],
    known: Sequence[KnownItem],
    *,
    present_hashes: set[str],
    first_fetch: bool,
    announce_newest: int,
    now: datetime,
    window: timedelta,
    daily_cap: int,
    recent_new: int,
) -> ChangeSet:
    """The changes one fetch makes. `present_hashes` are the raw region hashes of the whole document."""
    result = ChangeSet()
    by_key = {k.key: k for k in known}
    present: set[int] = {k.id for k in known if k.raw_hash is not None and k.raw_hash in present_hashes}
    unknown: list[ParsedItem] = []
    for item in parsed:
        match = by_key.get(item.key)
        if match is None:
            unknown.append(item)
            continue
        present.add(match.id)
        if match.content_hash != item.content_hash:
            result.changes.append(ItemChange(match.id, item, edited=True))
        elif match.raw_hash != item.raw_hash:
            result.changes.append(ItemChange(match.id, item, edited=False))
    changed_ids = {change.item_id for change in result.changes}
    for k in known:
        if k.still_in_feed and k.id not in present:
            result.left_feed.append(k.id)
        elif not k.still_in_feed and k.id in present and k.id not in changed_ids:
            result.back_in_feed.append(k.id)

    link_counts = Counter(k.norm_link for k in known if k.norm_link)
    by_link = {k.norm_link: k.id for k in known if k.norm_link and link_counts[k.norm_link] == 1}
    gone_titles = {k.norm_title: k.id for k in known if k.norm_title and k.id not in present}
    newest = _newest_keys(unknown, announce_newest, now) if first_fetch else set()
    admitted = 0
    for item in publication_order(unknown, now):
        duplicate_of = (by_link.get(item.norm_link) if item.norm_link else None) or (
            gone_titles.get(item.norm_title) if item.norm_title else None
        )
        if duplicate_of is not None:
            result.new.append(NewItem(item, "skipped", "duplicate", duplicate_of))
        elif first_fetch and item.key not in newest:
            result.new.append(NewItem(item, "skipped", "first_run"))
        elif not first_fetch and item.published is not None and item.published < now - window:
            result.new.append(NewItem(item, "skipped", "too_old"))
        elif not first_fetch and recent_new + admitted >= daily_cap:
            result.new.append(NewItem(item, "skipped", "daily_cap"))
        else:
            admitted += 1
            result.new.append(NewItem(item, "new"))
    return result


def _newest_keys(items: Sequence[ParsedItem], n: int, now: datetime) -> set[str]:
    if n <= 0:
        return set()
    return {item.key for item in publication_order(items, now)[-n:]}
