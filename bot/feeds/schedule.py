"""When to poll a feed next: often inside the windows it publishes in, rarely outside, within a budget.

`learn()` reads a feed's publication times and builds a `Pattern`: the week cut into 5-minute bins, each
with the expected number of publications in it, smoothed over time of day (a Gaussian kernel), a little
shared across weekdays (a show that skips a Tuesday still publishes at its usual hour on Wednesday) and a
little spread over the whole week (an episode off the schedule is still found). Recent weeks count more
(a half-life), so a show that changes its hour is followed. Times are read in the time zone, among a few
common ones, whose clock makes the history most regular: a show published at 06:00 in New York moves by
an hour in UTC twice a year, and is learned at 06:00 New York time, unmoved.

Each bin then gets a poll interval. Minimising the expected delay Σ pᵢ·dᵢ/2 for a fixed number of requests
Σ L/dᵢ gives dᵢ ∝ 1/√pᵢ; the scale is found by bisection so a week costs at most `budget × 7` requests,
and every interval stays within [`min_interval`, `max_interval`].

`plan()` combines the pattern with everything else that decides a poll (push active, a complete feed,
a declared cadence, `Cache-Control: max-age`, `Retry-After`) and says why, for `/admin status`.
"""

from __future__ import annotations

import bisect
import cmath
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.feeds.hints import seconds_text

BIN = 300  # seconds per bin; UTC offsets are whole multiples of it, so bins align in every zone
WEEK = 7 * 86400
DAY = 86400
BINS = WEEK // BIN
ZONES = ("UTC", "America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London",
         "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney")  # fmt: skip
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


@dataclass(frozen=True, slots=True)
class Pattern:
    """A learned week: poll intervals per local bin (`base` for every bin not listed)."""

    zone: str
    intervals: dict[int, float]
    base: float
    observations: int
    summary: str  # "Mon–Fri around 06:00 America/New_York"

    def bin_of(self, when: datetime) -> int:
        local = when.astimezone(ZoneInfo(self.zone))
        return (local.weekday() * DAY + local.hour * 3600 + local.minute * 60) // BIN

    def interval_at(self, when: datetime) -> float:
        return self.intervals.get(self.bin_of(when), self.base)

    def next_poll(self, now: datetime) -> tuple[datetime, float]:
        """The first moment at which the time since `now` reaches the interval of the bin it falls in.

        Entering a window whose interval has already elapsed polls at the window's start. Returns the
        moment and the interval that decided it.
        """
        start = now
        boundary = datetime.fromtimestamp((now.timestamp() // BIN + 1) * BIN, UTC)
        for _ in range(BINS + 1):
            interval = self.interval_at(start)
            due = now + timedelta(seconds=interval)
            if due < boundary:
                return max(due, start), interval
            start, boundary = boundary, boundary + timedelta(seconds=BIN)
        return now + timedelta(seconds=self.base), self.base  # pragma: no cover (base < a week)


@dataclass(frozen=True, slots=True)
class Decision:
    at: datetime
    reason: str


@dataclass(slots=True)
class Inputs:
    """Everything besides the clock that decides a feed's next poll."""

    pattern: Pattern | None = None
    history: int = 0  # usable publications seen (for the "too little history" reason)
    declared_interval: float | None = None
    max_age: float | None = None
    retry_after: float | None = None
    complete: bool = False
    push_active: bool = False
    extra: list[str] = field(default_factory=list)


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
        at, interval = inputs.pattern.next_poll(now)
        where = "inside" if interval < inputs.pattern.base else "outside"
        reason = f"{where} its publishing windows ({inputs.pattern.summary}): every {seconds_text(interval)}"
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
    zone = _best_zone(recent, weights)
    tz = ZoneInfo(zone)
    positions = [_position(t.astimezone(tz)) for t in recent]
    span_weeks = max(1.0, (now - recent[0]).total_seconds() / WEEK)
    rate = len(recent) / span_weeks  # publications per week
    density = _density(positions, weights, config)
    total = sum(density.values()) or 1.0
    expected = {b: rate * (1 - config.anywhere) * mass / total for b, mass in density.items()}
    floor = rate * config.anywhere / BINS
    intervals, base = _allocate(expected, floor, config)
    return Pattern(zone, intervals, base, len(recent), _summary(positions, weights, zone))


def _position(local: datetime) -> float:
    return local.weekday() * DAY + local.hour * 3600 + local.minute * 60 + local.second


def _best_zone(times: Sequence[datetime], weights: Sequence[float]) -> str:
    """The zone whose local clock makes the times of day most concentrated (UTC unless another beats it)."""
    best, best_score = ZONES[0], -1.0
    for zone in ZONES:
        tz = ZoneInfo(zone)
        vector = sum(
            (w * cmath.exp(2j * math.pi * (_position(t.astimezone(tz)) % DAY) / DAY))
            for t, w in zip(times, weights, strict=True)
        )
        score = abs(vector)
        if score > best_score + 1e-6 * sum(weights):
            best, best_score = zone, score
    return best


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
    allowed = config.budget * 7
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
