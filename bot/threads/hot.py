"""The "hot" score: recent messages with time decay, weighted by how many people take part.

    score = Σ over the last 48 hours of  messages_in_hour × 0.5 ^ (age_in_hours / 6)
            × (1 + log2(unique participants))

A message loses half its weight every 6 hours and counts nothing after 48 hours, so a thread is hot while
it is busy *now*; a conversation between many people outranks one person posting as much (one participant
weighs 1×, two 2×, four 3×, eight 4×). Deleted threads are never hot; archived and locked ones can be
(they are marked in the listing). Ties go to the thread with the latest message.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.threads.models import TrackedThread

HALF_LIFE_HOURS = 6.0
WINDOW = timedelta(hours=48)


@dataclass(frozen=True, slots=True)
class HotThread:
    thread: TrackedThread
    score: float
    recent_messages: int


def decayed_messages(buckets: Iterable[tuple[datetime, int]], now: datetime) -> float:
    """Messages per hour bucket, each halved for every `HALF_LIFE_HOURS` of age (bucket middle to now)."""
    total = 0.0
    for hour, messages in buckets:
        age = (now - hour).total_seconds() / 3600 - 0.5
        if age * 3600 > WINDOW.total_seconds():
            continue
        total += messages * 0.5 ** (max(age, 0.0) / HALF_LIFE_HOURS)
    return total


def participant_weight(participants: int) -> float:
    return 1.0 + math.log2(max(participants, 1))


def rank_hot(
    rows: Iterable[tuple[TrackedThread, datetime, int]], now: datetime, limit: int = 10
) -> list[HotThread]:
    """Rank threads from their hourly buckets `(thread, hour, messages)` (see the module docstring)."""
    buckets: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    threads: dict[int, TrackedThread] = {}
    for thread, hour, messages in rows:
        if thread.state == "deleted":
            continue
        threads[thread.thread_id] = thread
        buckets[thread.thread_id].append((hour, messages))
    ranked = []
    for thread_id, thread in threads.items():
        decayed = decayed_messages(buckets[thread_id], now)
        if decayed <= 0:
            continue
        recent = sum(n for hour, n in buckets[thread_id] if now - hour <= WINDOW)
        ranked.append(HotThread(thread, decayed * participant_weight(thread.participant_count), recent))
    floor = datetime.min.replace(tzinfo=now.tzinfo)
    ranked.sort(key=lambda hot: (hot.score, hot.thread.last_activity_at or floor), reverse=True)
    return ranked[:limit]
