"""What a feed and its server declare about how often to ask: read cheaply, without feedparser.

The channel part of a document (everything before its first item) may say how often it changes:
`<ttl>` (minutes, RSS 2.0), `<sy:updatePeriod>` with `<sy:updateFrequency>` (RSS 1.0 syndication module)
and `<podcast:updateFrequency rrule="FREQ=DAILY" dtstart="…" complete="false">` (Podcasting 2.0). The
server may answer `Cache-Control: max-age=N`. These are read with a small regex pass over the head, which
costs microseconds, so they are refreshed on every fetch that returns a body, even an unchanged one.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dateutil.rrule import DAILY, HOURLY, MINUTELY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr

log = logging.getLogger(__name__)

MAX_DECLARED = 30 * 86400.0  # a declaration beyond a month says "rarely"; cap it there
_TTL = re.compile(rb"<ttl\b[^>]*>\s*(\d{1,7})\s*</ttl\s*>", re.IGNORECASE)
_SY_PERIOD = re.compile(rb"<[\w.-]+:updatePeriod\b[^>]*>\s*(\w+)\s*</", re.IGNORECASE)
_SY_FREQUENCY = re.compile(rb"<[\w.-]+:updateFrequency\b[^>]*>\s*(\d{1,6})\s*</", re.IGNORECASE)
_UPDATE_FREQUENCY = re.compile(rb"<[\w.-]+:updateFrequency\b([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(rb"""([\w:-]+)\s*=\s*("[^"]*"|'[^']*')""")
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d{1,9})", re.IGNORECASE)
_PERIODS = {"hourly": 3600.0, "daily": 86400.0, "weekly": 7 * 86400.0, "monthly": 30 * 86400.0,
            "yearly": 365 * 86400.0}  # fmt: skip
_RRULE_PERIODS = {YEARLY: 365 * 86400.0, MONTHLY: 30 * 86400.0, WEEKLY: 7 * 86400.0, DAILY: 86400.0,
                  HOURLY: 3600.0, MINUTELY: 60.0}  # fmt: skip


@dataclass(frozen=True, slots=True)
class FeedHints:
    """The cadence a document declares: seconds between updates, a recurrence rule, or "complete"."""

    declared_interval: float | None = None
    rrule: str | None = None  # "DTSTART:…\nRRULE:…" as dateutil reads it, only with a start time
    complete: bool = False

    def as_fields(self) -> dict[str, object]:
        return {
            "declared_interval": self.declared_interval,
            "declared_rrule": self.rrule,
            "feed_complete": self.complete,
        }


def read_hints(head: bytes) -> FeedHints:
    """The declarations in a document's channel part (give it the bytes before the first item)."""
    intervals: list[float] = []
    if found := _TTL.search(head):
        minutes = int(found.group(1))
        if minutes > 0:
            intervals.append(minutes * 60.0)
    if found := _SY_PERIOD.search(head):
        period = _PERIODS.get(found.group(1).decode("ascii", "replace").lower())
        frequency = _SY_FREQUENCY.search(head)
        times = int(frequency.group(1)) if frequency else 1
        if period is not None and times > 0:
            intervals.append(period / times)
    rule, complete = None, False
    for found in _UPDATE_FREQUENCY.finditer(head):  # sy:updateFrequency has the same local name
        attributes = {
            key.decode("ascii", "replace").lower(): html.unescape(value[1:-1].decode("utf-8", "replace"))
            for key, value in _ATTRIBUTE.findall(found.group(1))
        }
        if "rrule" not in attributes and "complete" not in attributes:
            continue
        complete = attributes.get("complete", "").strip().lower() == "true"
        period, rule = _rrule(attributes.get("rrule", ""), attributes.get("dtstart", ""))
        if period is not None:
            intervals.append(period)
        break
    declared = min(max(intervals), MAX_DECLARED) if intervals else None
    return FeedHints(declared_interval=declared, rrule=rule, complete=complete)


def _rrule(text: str, start: str) -> tuple[float | None, str | None]:
    """The period of an RFC 5545 rule, and the rule with its start when the start gives a time of day."""
    text = text.strip().removeprefix("RRULE:")
    if not text or len(text) > 300:
        return None, None
    try:
        rule = rrulestr(text, dtstart=datetime(2000, 1, 3, tzinfo=UTC))
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        log.debug("unreadable podcast:updateFrequency rrule %r: %s", text, exc)
        return None, None
    if not isinstance(rule, rrule):
        return None, None
    interval = getattr(rule, "_interval", 1) or 1
    period = _RRULE_PERIODS.get(getattr(rule, "_freq", -1))
    per_period = _occurrences_per_period(rule)
    seconds = period * interval / per_period if period is not None else None
    when = parse_dtstart(start)
    if when is None:
        return seconds, None
    return seconds, f"DTSTART:{when.strftime('%Y%m%dT%H%M%SZ')}\nRRULE:{text}"


def _occurrences_per_period(rule: rrule) -> int:
    """How many occurrences one period holds (FREQ=WEEKLY;BYDAY=MO,WE,FR: three)."""
    count = 1
    for attribute in ("_byweekday", "_byhour", "_byminute"):
        values = getattr(rule, attribute, None)
        if values and (attribute != "_byweekday" or getattr(rule, "_freq", None) == WEEKLY):
            count *= len(values)
    return max(1, count)


def parse_dtstart(value: str) -> datetime | None:
    """An ISO 8601 start time (`2024-01-01T06:00:00-05:00`), as aware UTC; None without a usable one."""
    value = value.strip()
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def declared_times(rule: str, since: datetime, until: datetime, limit: int = 200) -> list[datetime]:
    """The occurrences of a stored rule between two times (a prior for a feed with little history)."""
    try:
        parsed = rrulestr(rule)
        found = parsed.between(since, until, inc=True) if isinstance(parsed, rrule) else []
    except (ValueError, TypeError, KeyError, OverflowError):
        return []
    return [moment.astimezone(UTC) for moment in found[-limit:]]


def max_age(cache_control: str | None) -> float | None:
    """Seconds a shared cache may keep the answer (`max-age`), None with `no-cache`/`no-store` or none."""
    if not cache_control:
        return None
    lowered = cache_control.lower()
    if "no-cache" in lowered or "no-store" in lowered:
        return None
    found = _MAX_AGE.search(cache_control)
    return float(found.group(1)) if found else None


def seconds_text(seconds: float) -> str:
    """ "30 s", "10 min", "2 h", "3 days": a duration as moderators read it."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{timedelta(seconds=seconds).days} days"
