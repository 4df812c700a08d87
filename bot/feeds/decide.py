"""The poller's decision for each item of a fetch, one pure function the worker and the preview share.

`decide_stored` is what `FeedWorker` runs on every fetch of a stored feed (the feed's state and its last
day's announcements, then `decide` over `compute_changes`, the rules themselves); `python -m bot preview`
runs the very same calls, `decide_stored` for a feed in the bot's database and `decide` for one it has
not stored, so what it prints (announce, first run, too old, over the daily cap, duplicate of …, already
known) is what a real poll would do. `explain` turns the outcome into a decision and a reason a person
can read, `summary` into one line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from bot.feeds.changes import ChangeSet, compute_changes
from bot.feeds.models import Feed, ParsedItem
from bot.store.feeds import KnownItem, NewItem

if TYPE_CHECKING:
    from bot.store.feeds import FeedRepo

Decision = Literal["announce", "first_run", "too_old", "daily_cap", "duplicate", "known"]
LABELS: dict[Decision, str] = {
    "announce": "announce",
    "first_run": "first run",
    "too_old": "too old",
    "daily_cap": "over the daily cap",
    "duplicate": "duplicate",
    "known": "already known",
}
KNOWN = "already stored: an item is announced once, when a poll first sees it"


@dataclass(frozen=True, slots=True)
class PollRules:
    """What a poll weighs: the feed's state (first read or not, newest N asked for, items already
    announced in the last day) and the operator's limits (age window, daily cap)."""

    first_fetch: bool
    announce_newest: int
    now: datetime
    window: timedelta
    daily_cap: int
    recent_new: int = 0


@dataclass(frozen=True, slots=True)
class ItemDecision:
    """What the poll does with one new item, and why, in words."""

    decision: Decision
    reason: str

    @property
    def label(self) -> str:
        return LABELS[self.decision]


def decide(
    parsed: Sequence[ParsedItem],
    known: Sequence[KnownItem],
    *,
    present_hashes: set[str],
    rules: PollRules,
) -> ChangeSet:
    """The changes one fetch makes under `rules`: new items (each announced or skipped with a reason),
    edits, items that left the feed or came back."""
    return compute_changes(
        parsed,
        known,
        present_hashes=present_hashes,
        first_fetch=rules.first_fetch,
        announce_newest=rules.announce_newest,
        now=rules.now,
        window=rules.window,
        daily_cap=rules.daily_cap,
        recent_new=rules.recent_new,
    )


async def decide_stored(
    repo: FeedRepo,
    feed: Feed,
    parsed: Sequence[ParsedItem],
    *,
    known: Sequence[KnownItem],
    present_hashes: set[str],
    now: datetime,
    window: timedelta,
    daily_cap: int,
) -> tuple[ChangeSet, PollRules]:
    """A poll's decision for the stored `feed` (what `FeedWorker` runs, and the preview for a stored feed):
    its state and the items it announced in the last day, then `decide`."""
    rules = PollRules(
        first_fetch=not feed.first_fetch_done,
        announce_newest=feed.announce_newest,
        now=now,
        window=window,
        daily_cap=daily_cap,
        recent_new=await repo.count_new_since(feed.id, now - timedelta(days=1)),
    )
    return decide(parsed, known, present_hashes=present_hashes, rules=rules), rules


def _days(window: timedelta) -> str:
    days = window.total_seconds() / 86400
    return f"{days:g}-day"


def _reason(new: NewItem, rules: PollRules, titles: dict[int, str]) -> ItemDecision:
    item = new.item
    published = item.published.strftime("%Y-%m-%d") if item.published else None
    old = item.published is not None and item.published < rules.now - rules.window
    if new.status == "new":
        if rules.first_fetch:
            return ItemDecision("announce", f"one of the newest {rules.announce_newest} asked for")
        return ItemDecision("announce", "new since the last poll, within the window and the daily cap")
    if new.skip_reason == "first_run":
        note = f"; published {published}, outside the {_days(rules.window)} window too" if old else ""
        return ItemDecision("first_run", f"a newly added feed's items are remembered, not announced{note}")
    if new.skip_reason == "too_old":
        return ItemDecision("too_old", f"published {published}, before the {_days(rules.window)} window")
    if new.skip_reason == "daily_cap":
        return ItemDecision("daily_cap", f"{rules.daily_cap} new items of this feed in a day already")
    original = titles.get(new.duplicate_of or 0)
    return ItemDecision("duplicate", f"of “{original}”" if original else "of an item already known")


def explain(
    changes: ChangeSet, rules: PollRules, known_titles: dict[int, str] | None = None
) -> dict[str, ItemDecision]:
    """Each new item's decision and reason, by item key (`known_titles`: stored item id -> title)."""
    titles = known_titles or {}
    return {new.item.key: _reason(new, rules, titles) for new in changes.new}


def summary(decisions: Sequence[ItemDecision]) -> str:
    """`would announce 2 of 18: 16 first run` (skips counted by reason, in a fixed order)."""
    counts = Counter(d.decision for d in decisions)
    order: tuple[Decision, ...] = ("first_run", "too_old", "daily_cap", "duplicate", "known")
    skipped = [f"{counts[d]} {LABELS[d]}" for d in order if counts[d]]
    head = f"would announce {counts['announce']} of {len(decisions)}"
    return f"{head}: {', '.join(skipped)}" if skipped else head
