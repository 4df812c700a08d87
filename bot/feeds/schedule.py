"""When to poll a feed next: often inside the windows it publishes in, rarely outside, within a budget.

`learn()` reads a feed's publication times and builds a `Pattern`: the week cut into 5-minute bins, each
with the expected number of publications in it, smoothed over time of day (a Gaussian kernel), a little
shared across weekdays (a show that skips a Tuesday still publishes at its usual hour on Wednesday) and a
little spread over the whole week (an episode off the schedule is still found). Recent weeks count more
(a half-life), so a show that changes its hour is followed. Times are read in the time zone, among a few
common ones, whose clock makes the history's hours cluster best: a show published at 06:00 in New York
moves by an hour in UTC twice a year, and is learned at 06:00 New York time, unmoved. While no change of
clocks in the history tells such zones apart, a window is kept at each of their clocks.

Each bin then gets a poll interval. Minimising the expected delay Σ pᵢ·dᵢ/2 for a fixed number of requests
Σ L/dᵢ gives dᵢ ∝ 1/√pᵢ; the scale is found by bisection so a week costs at most `budget × 7` requests
less the `reserve`, and every interval stays within [`min_interval`, `max_interval`].

`plan()` combines the pattern with the newest publication (the rest of its window is quiet; a usual
publication that is late is looked for every `2 × min_interval`, paid from the reserve) and with
everything else that decides a poll (push active, a complete feed, a declared cadence,
`Cache-Control: max-age`, `Retry-After`), and says why, for `/admin status`.
"""

from __future__ import annotations

import bisect
import cmath
import functools
import itertools
import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.feeds.hints import seconds_text

if TYPE_CHECKING:
    from bot.settings import Settings

BIN = 300  # seconds per bin; UTC offsets are whole multiples of it, so bins align in every zone
WEEK = 7 * 86400
DAY = 86400
BINS = WEEK // BIN
ZONES = ("UTC", "America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London",
         "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney")  # fmt: skip


@functools.cache
def _zone(name: str) -> ZoneInfo:
    """ZoneInfo keeps only 8 zones strongly cached; the candidates are more, so keep them here."""
    return ZoneInfo(name)


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    """The knobs of the schedule (settings `FEED_POLL_*` and `FEED_SCHEDULE_*`)."""

    interval: float = 600.0  # the fixed interval of a feed with too little history
    budget: float = 144.0  # requests per feed per day at most (144 = fixed 600 s polling)
    min_interval: float = 30.0
    max_interval: float = 3600.0
    push_interval: float = 3600.0  # the safety net while push (WebSub) delivers
    min_history: int = 6  # publications needed before a pattern is learned
    history_days: float = 84.0
    half_life_days: float = 28.0
    kernel: float = 600.0  # σ of the time-of-day smoothing, seconds
    shared: float = 0.1  # share of each publication spread over the same hour of the other weekdays
    anywhere: float = 0.03  # share of publications assumed to fall anywhere in the week
    jitter: float = 0.1  # of the fixed interval
    learn: bool = True  # False: every feed polls at the fixed interval
    reserve: float = 0.15  # share of the budget kept for a publication that is late
    late_after: float = 0.5  # expected publications gone by without one: the next one is late
    late_for: float = 2 * 3600.0  # how long a late publication is looked for closely


@dataclass(frozen=True, slots=True)
class Pattern:
    """A learned week: poll intervals per local bin (`base` for every bin not listed), the expected
    publications per bin, and the usual gap between two publications."""

    zone: str
    intervals: dict[int, float]
    base: float
    observations: int
    summary: str  # "Mon–Fri around 06:00 America/New_York"
    expected: dict[int, float] = field(default_factory=dict)
    gap: float = 0.0  # median seconds between consecutive publications
    #: Zones that explain the history as well as `zone` (no clock change in it tells them apart): until
    #: one does, a window is kept at each of their clocks, so the first publication after a change of
    #: clocks is not missed, whichever way the clocks went.
    alternatives: tuple[tuple[str, int], ...] = ()  # (zone, bins its clock is ahead of `zone`'s)

    def bin_of(self, when: datetime, zone: str | None = None) -> int:
        local = when.astimezone(_zone(zone or self.zone))
        return (local.weekday() * DAY + local.hour * 3600 + local.minute * 60) // BIN

    def interval_at(self, when: datetime) -> float:
        interval = self.intervals.get(self.bin_of(when), self.base)
        for zone, shift in self.alternatives:
            own = (self.bin_of(when, zone) - shift) % BINS
            interval = min(interval, self.intervals.get(own, self.base))
        return interval

    def quiet_until(self, last: datetime | None) -> datetime | None:
        """After a publication, the rest of its window is quiet: the next one is about a gap away."""
        return last + timedelta(seconds=self.gap / 2) if last is not None and self.gap else None

    def next_poll(self, now: datetime, quiet_until: datetime | None = None) -> tuple[datetime, float]:
        """The first moment at which the time since `now` reaches the interval of the bin it falls in.

        Entering a window whose interval has already elapsed polls at the window's start; bins before
        `quiet_until` count as outside every window. Returns the moment and the interval that decided it.
        """
        start = now
        boundary = datetime.fromtimestamp((now.timestamp() // BIN + 1) * BIN, UTC)
        for _ in range(BINS + 1):
            quiet = quiet_until is not None and start < quiet_until
            interval = self.base if quiet else self.interval_at(start)
            due = now + timedelta(seconds=interval)
            if due < boundary:
                return max(due, start), interval
            start, boundary = boundary, boundary + timedelta(seconds=BIN)
        return now + timedelta(seconds=self.base), self.base  # pragma: no cover (base < a week)

    def missed(self, since: datetime, now: datetime) -> float:
        """Publications expected between two moments (at most a day apart), by the learned pattern."""
        first, count = self.bin_of(since), math.ceil((now - since).total_seconds() / BIN)
        return sum(self.expected.get((first + k) % BINS, 0.0) for k in range(max(0, count)))


@dataclass(frozen=True, slots=True)
class Decision:
    at: datetime
    reason: str


@dataclass(slots=True)
class Inputs:
    """Everything besides the clock that decides a feed's next poll."""

    pattern: Pattern | None = None
    history: int = 0  # usable publications seen (for the "too little history" reason)
    last_published: datetime | None = None  # the newest publication seen
    declared_interval: float | None = None
    max_age: float | None = None
    retry_after: float | None = None
    complete: bool = False
    push_active: bool = False


def plan(now: datetime, inputs: Inputs, config: ScheduleConfig) -> Decision:
    """The next poll and why. Push, a complete feed, the pattern or the fixed interval decide; then the
    server's `Cache-Control: max-age` (capped at `max_interval`) and `Retry-After` may only delay it."""
    if inputs.push_active:
        at = now + timedelta(seconds=config.push_interval)
        reason = f"push (WebSub) is active: safety-net poll every {seconds_text(config.push_interval)}"
    elif inputs.complete:
        at = now + timedelta(seconds=config.max_interval)
        reason = "the feed declares itself complete (no new episodes expected)"
    elif inputs.pattern is not None:
        at, reason = _learned(now, inputs.pattern, inputs.last_published, config)
    else:
        interval = config.interval
        reason = f"fixed interval, too little history to learn a schedule ({inputs.history} publications)"
        if inputs.declared_interval and inputs.declared_interval > interval:
            interval = min(inputs.declared_interval, config.max_interval)
            reason = f"the feed declares updates every {seconds_text(inputs.declared_interval)}"
        spread = interval * config.jitter
        at = now + timedelta(seconds=interval + random.uniform(-spread, spread))
    if inputs.max_age and now + timedelta(seconds=min(inputs.max_age, config.max_interval)) > at:
        at = now + timedelta(seconds=min(inputs.max_age, config.max_interval))
        reason += f"; the server's cache keeps it {seconds_text(inputs.max_age)}"
    if inputs.retry_after and now + timedelta(seconds=inputs.retry_after) > at:
        at = now + timedelta(seconds=inputs.retry_after)
        reason += "; the server asked us to wait (Retry-After)"
    return Decision(at, reason)


def _learned(
    now: datetime, pattern: Pattern, last: datetime | None, config: ScheduleConfig
) -> tuple[datetime, str]:
    """Poll by the pattern, quietly after a publication; closely when the usual one is late."""
    quiet = pattern.quiet_until(last)
    at, interval = pattern.next_poll(now, quiet)
    if interval >= pattern.base and quiet is not None and now < quiet:
        reason = f"published {_ago(now, last)}; the next is due later ({pattern.summary}): every "
        return at, reason + seconds_text(interval)
    since = max(quiet or now - timedelta(seconds=config.late_for), now - timedelta(seconds=config.late_for))
    late_interval = 2 * config.min_interval
    if interval > late_interval and pattern.missed(since, now) >= config.late_after:
        return now + timedelta(seconds=late_interval), (
            f"the usual publication ({pattern.summary}) is late: every {seconds_text(late_interval)}"
        )
    where = "inside" if interval < pattern.base else "outside"
    return at, f"{where} its publishing windows ({pattern.summary}): every {seconds_text(interval)}"


def _ago(now: datetime, last: datetime | None) -> str:
    return "recently" if last is None else f"{seconds_text(max(0.0, (now - last).total_seconds()))} ago"


# --- learning ------------------------------------------------------------------------------------------


def learn(times: Sequence[datetime], now: datetime, config: ScheduleConfig) -> Pattern | None:
    """The pattern of these publication times (aware), or None when there are too few recent ones."""
    if not config.learn:
        return None
    since = now - timedelta(days=config.history_days)
    recent = sorted(t for t in times if since <= t <= now + timedelta(minutes=5))
    if len(recent) < config.min_history:
        return None
    weights = [0.5 ** ((now - t).total_seconds() / (config.half_life_days * DAY)) for t in recent]
    zone, alternatives = _best_zone(recent, weights)
    tz = _zone(zone)
    positions = [_position(t.astimezone(tz)) for t in recent]
    span_weeks = max(1.0, (now - recent[0]).total_seconds() / WEEK)
    rate = len(recent) / span_weeks  # publications per week
    density = _density(positions, weights, config)
    total = sum(density.values()) or 1.0
    expected = {b: rate * (1 - config.anywhere) * mass / total for b, mass in density.items()}
    floor = rate * config.anywhere / BINS
    intervals, base = _allocate(expected, floor, config)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(recent)]
    gap = statistics.median(gaps) if gaps else 0.0
    summary = _summary(positions, weights, zone)
    return Pattern(zone, intervals, base, len(recent), summary, expected, gap, alternatives)


def _position(local: datetime) -> float:
    return local.weekday() * DAY + local.hour * 3600 + local.minute * 60 + local.second


def _best_zone(
    times: Sequence[datetime], weights: Sequence[float]
) -> tuple[str, tuple[tuple[str, int], ...]]:
    """The zone whose local clock makes the times of day most clustered (UTC unless another beats it),
    and the zones that do exactly as well because their clock kept a fixed distance from it throughout."""
    scores = [_clustering(times, weights, _zone(zone)) for zone in ZONES]
    best = max(scores)
    tolerance = 1e-6 * best
    chosen = next(zone for zone, score in zip(ZONES, scores, strict=True) if score >= best - tolerance)
    alternatives = []
    for zone, score in zip(ZONES, scores, strict=True):
        if zone == chosen or score < best - tolerance:
            continue
        shifts = {_offset(t, zone) - _offset(t, chosen) for t in times}
        if len(shifts) == 1:
            alternatives.append((zone, shifts.pop() // BIN))
    return chosen, tuple(alternatives)


def _clustering(times: Sequence[datetime], weights: Sequence[float], tz: ZoneInfo) -> float:
    """Σ h² of the smoothed time-of-day histogram: higher when publications gather at the same hours."""
    per_day = DAY // BIN
    histogram = [0.0] * per_day
    for t, w in zip(times, weights, strict=True):
        centre = int((_position(t.astimezone(tz)) % DAY) // BIN)
        for offset, k in ((-2, 0.14), (-1, 0.61), (0, 1.0), (1, 0.61), (2, 0.14)):
            histogram[(centre + offset) % per_day] += w * k
    return sum(h * h for h in histogram)


def _offset(when: datetime, zone: str) -> int:
    delta = when.astimezone(_zone(zone)).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def _density(
    positions: Sequence[float], weights: Sequence[float], config: ScheduleConfig
) -> dict[int, float]:
    """Kernel-smoothed mass per bin: each publication at its weekday and hour, a share at the same hour on
    the other weekdays."""
    reach = max(1, math.ceil(3 * config.kernel / BIN))
    kernel = [math.exp(-0.5 * ((k * BIN) / config.kernel) ** 2) for k in range(-reach, reach + 1)]
    norm = sum(kernel)
    density: dict[int, float] = {}
    for position, weight in zip(positions, weights, strict=True):
        centre = int(position // BIN)
        day = centre // (DAY // BIN)
        for other in range(7):
            share = (1 - config.shared) if other == day else config.shared / 6
            shifted = centre + (other - day) * (DAY // BIN)
            for offset, k in enumerate(kernel, start=-reach):
                b = (shifted + offset) % BINS
                density[b] = density.get(b, 0.0) + weight * share * k / norm
    return density


def _allocate(
    expected: dict[int, float], floor: float, config: ScheduleConfig
) -> tuple[dict[int, float], float]:
    """Intervals per bin, dᵢ = clamp(c/√pᵢ), with the smallest c whose week fits the budget."""
    allowed = config.budget * 7 * (1 - config.reserve)
    lo_i, hi_i = config.min_interval, config.max_interval
    if WEEK / hi_i > allowed:  # the budget cannot even pay for max_interval everywhere
        return {}, WEEK / allowed
    # Bins whose mass is negligible next to the floor are polled like the rest of the week.
    expected = {b: p for b, p in expected.items() if p > 0.05 * floor}
    others = BINS - len(expected)
    scales = [1 / math.sqrt(p + floor) for p in expected.values()]
    base_scale = 1 / math.sqrt(floor) if floor > 0 else math.inf

    ordered = sorted(scales)
    prefix = [0.0, *itertools.accumulate(1 / v for v in ordered)]

    def cost(c: float) -> float:
        """Requests a week costs at scale c (O(log n): the bins clamped low, free, clamped high)."""
        base = min(hi_i, max(lo_i, c * base_scale))
        low_end = bisect.bisect_left(ordered, lo_i / c)
        high_start = bisect.bisect_right(ordered, hi_i / c, lo=low_end)
        free = (prefix[high_start] - prefix[low_end]) / c
        return BIN * (others / base + low_end / lo_i + (len(ordered) - high_start) / hi_i + free)

    low, high = 1e-3, 1e7
    for _ in range(40):
        middle = math.sqrt(low * high)
        if cost(middle) > allowed:
            low = middle
        else:
            high = middle
    base = min(hi_i, max(lo_i, high * base_scale))
    chosen = {b: min(hi_i, max(lo_i, high * s)) for b, s in zip(expected, scales, strict=True)}
    return {b: d for b, d in chosen.items() if d < base}, base


def _summary(positions: Sequence[float], weights: Sequence[float], zone: str) -> str:
    """ "Mon–Fri around 06:00 America/New_York": the weekdays holding most publications, and their hour."""
    per_day = [0.0] * 7
    for position, weight in zip(positions, weights, strict=True):
        per_day[int(position // DAY)] += weight
    top = max(per_day) or 1.0
    days = [WEEKDAYS[d] for d in range(7) if per_day[d] >= 0.25 * top]
    angle = cmath.phase(
        sum(w * cmath.exp(2j * math.pi * (p % DAY) / DAY) for p, w in zip(positions, weights, strict=True))
    )
    seconds = int((angle / (2 * math.pi)) * DAY) % DAY
    runs = _runs(days)
    return f"{runs} around {seconds // 3600:02d}:{seconds % 3600 // 60:02d} {zone}"


def _runs(days: list[str]) -> str:
    indexes = [WEEKDAYS.index(d) for d in days]
    if len(indexes) >= 3 and indexes == list(range(indexes[0], indexes[-1] + 1)):
        return f"{days[0]}–{days[-1]}"
    return ", ".join(days)


def schedule_config(settings: Settings) -> ScheduleConfig:
    """The schedule's knobs from the settings (`FEED_POLL_*`, `FEED_SCHEDULE_*`, `FEED_PUSH_*`)."""
    return ScheduleConfig(
        interval=settings.feed_poll_interval,
        budget=settings.feed_budget,
        min_interval=min(settings.feed_schedule_min_interval, settings.feed_poll_interval),
        max_interval=max(settings.feed_schedule_max_interval, settings.feed_poll_interval),
        push_interval=settings.feed_push_poll_interval,
        learn=settings.feed_schedule_learn,
    )
