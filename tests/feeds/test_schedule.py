"""The learned schedule: windows where a feed publishes, its budget, its time zone, and what overrides it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.feeds.hints import declared_times, max_age, read_hints
from bot.feeds.planner import observed
from bot.feeds.schedule import Inputs, Pattern, ScheduleConfig, learn, plan
from bot.store.feeds import Published

NEW_YORK = ZoneInfo("America/New_York")
CONFIG = ScheduleConfig()


def weekday_show(
    start: datetime, days: int, *, hour: int = 6, jitter_min: float = 8, seed: int = 1
) -> list[datetime]:
    """A show published on weekdays around `hour` New York time, with jitter."""
    rng = random.Random(seed)
    times = []
    for n in range(days):
        day = (start + timedelta(days=n)).astimezone(NEW_YORK)
        if day.weekday() < 5:
            local = day.replace(hour=hour, minute=0, second=0) + timedelta(minutes=rng.gauss(0, jitter_min))
            times.append(local.astimezone(UTC))
    return times


def at_local(day: datetime, hour: int, minute: int = 0) -> datetime:
    return day.astimezone(NEW_YORK).replace(hour=hour, minute=minute, second=0).astimezone(UTC)


def polls_in_a_week(pattern: Pattern, start: datetime) -> list[datetime]:
    polls, now = [], start
    while True:
        now, _ = pattern.next_poll(now)
        if now >= start + timedelta(days=7):
            return polls
        polls.append(now)


def test_a_daily_show_is_polled_often_in_its_window_and_rarely_outside_within_the_budget() -> None:
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)  # a Saturday, before the US clocks change
    pattern = learn(weekday_show(now - timedelta(days=56), 56), now, CONFIG)
    assert pattern is not None and pattern.zone in ("UTC", "America/New_York")
    monday = datetime(2025, 3, 3, 12, tzinfo=UTC)
    assert pattern.interval_at(at_local(monday, 6)) <= 60
    assert pattern.interval_at(at_local(monday, 18)) >= 600
    assert pattern.interval_at(at_local(monday, 6)) < pattern.interval_at(
        at_local(monday + timedelta(days=5), 6)
    )
    polls = polls_in_a_week(pattern, monday)
    assert len(polls) <= CONFIG.budget * 7
    in_window = [p for p in polls if abs((p - at_local(p, 6)).total_seconds()) < 900 and p.weekday() < 5]
    assert len(in_window) >= 5 * 15  # at least every minute in ±15 min on each weekday


def test_the_next_poll_waits_for_the_window_rather_than_overshooting_it() -> None:
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    pattern = learn(weekday_show(now - timedelta(days=56), 56), now, CONFIG)
    assert pattern is not None
    before = at_local(datetime(2025, 3, 3, 12, tzinfo=UTC), 5, 20)  # 40 minutes before the usual hour
    due, _ = pattern.next_poll(before)
    assert due <= at_local(before, 5, 50)  # not 20 min+ into the window


def test_daylight_saving_does_not_move_a_show_learned_in_its_own_time_zone() -> None:
    now = datetime(2025, 4, 15, 12, tzinfo=UTC)  # five weeks after the US switch to summer time
    history = weekday_show(now - timedelta(days=84), 84, jitter_min=5)
    pattern = learn(history, now, CONFIG)
    assert pattern is not None and pattern.zone == "America/New_York"
    tuesday = datetime(2025, 4, 15, 12, tzinfo=UTC)
    assert pattern.interval_at(at_local(tuesday, 6)) <= 60  # 10:00 UTC now, 11:00 UTC in winter
    assert "around 06:0" in pattern.summary and "Mon–Fri" in pattern.summary


def test_one_off_outliers_do_not_open_a_window() -> None:
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    history = weekday_show(now - timedelta(days=56), 56)
    history += [at_local(now - timedelta(days=9), 15), at_local(now - timedelta(days=23), 15)]
    pattern = learn(history, now, CONFIG)
    assert pattern is not None
    assert pattern.interval_at(at_local(datetime(2025, 3, 4, 12, tzinfo=UTC), 15)) >= 300


def test_too_little_history_falls_back_to_the_fixed_interval() -> None:
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    assert learn(weekday_show(now - timedelta(days=5), 5), now, CONFIG) is None
    decision = plan(now, Inputs(history=3), CONFIG)
    assert 540 <= (decision.at - now).total_seconds() <= 660
    assert "too little history" in decision.reason and "3 publications" in decision.reason


def test_push_active_polls_at_the_safety_net_rate_and_inactive_uses_the_pattern() -> None:
    now = datetime(2025, 3, 3, 11, 0, tzinfo=UTC)  # Monday 06:00 in New York: inside the window
    pattern = learn(weekday_show(now - timedelta(days=56), 56), now, CONFIG)
    config = ScheduleConfig(push_interval=5400)
    pushed = plan(now, Inputs(pattern=pattern, push_active=True), config)
    assert pushed.at == now + timedelta(seconds=5400) and "push" in pushed.reason
    polled = plan(now, Inputs(pattern=pattern), config)
    assert (polled.at - now).total_seconds() <= 60 and "inside its publishing windows" in polled.reason


def test_declarations_cache_and_retry_after_only_ever_delay() -> None:
    now = datetime(2025, 3, 3, 11, 0, tzinfo=UTC)
    declared = plan(now, Inputs(declared_interval=7200), CONFIG)
    assert (declared.at - now).total_seconds() >= 3240  # capped at max_interval, with its jitter
    assert "declares updates every 2 h" in declared.reason
    pattern = learn(weekday_show(now - timedelta(days=56), 56), now, CONFIG)
    cached = plan(now, Inputs(pattern=pattern, max_age=300), CONFIG)
    assert cached.at == now + timedelta(seconds=300) and "cache" in cached.reason
    waited = plan(now, Inputs(pattern=pattern, retry_after=4000), CONFIG)
    assert waited.at == now + timedelta(seconds=4000) and "Retry-After" in waited.reason
    complete = plan(now, Inputs(pattern=pattern, complete=True), CONFIG)
    assert complete.at == now + timedelta(seconds=CONFIG.max_interval) and "complete" in complete.reason


def test_a_small_budget_is_respected() -> None:
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    config = ScheduleConfig(budget=24)
    pattern = learn(weekday_show(now - timedelta(days=56), 56), now, config)
    assert pattern is not None
    assert len(polls_in_a_week(pattern, datetime(2025, 3, 3, 12, tzinfo=UTC))) <= 24 * 7 + 1


def test_hints_read_what_the_channel_declares() -> None:
    head = (
        b'<rss><channel><ttl>60</ttl><sy:updatePeriod xmlns:sy="x">daily</sy:updatePeriod>'
        b"<sy:updateFrequency>2</sy:updateFrequency>"
    )
    assert read_hints(head).declared_interval == 43200  # twice a day beats a 60 min cache time
    both = read_hints(
        head + b'<podcast:updateFrequency rrule="FREQ=WEEKLY" complete="true">W</podcast:updateFrequency>'
    )
    assert both.complete and both.declared_interval == 7 * 86400
    podcast = read_hints(
        b'<channel><podcast:updateFrequency rrule="FREQ=WEEKLY;BYDAY=MO,WE,FR" '
        b'dtstart="2024-01-01T06:00:00-05:00">Three times a week</podcast:updateFrequency>'
    )
    assert podcast.declared_interval is not None and round(podcast.declared_interval) == 7 * 86400 // 3
    assert podcast.rrule is not None and not podcast.complete
    occurrences = declared_times(
        podcast.rrule, datetime(2025, 3, 2, 12, tzinfo=UTC), datetime(2025, 3, 9, 10, tzinfo=UTC)
    )
    assert [t.weekday() for t in occurrences] == [0, 2, 4] and {t.hour for t in occurrences} == {11}
    done = read_hints(b'<channel><podcast:updateFrequency complete="true" rrule="FREQ=DAILY"/>')
    assert done.complete and done.declared_interval == 86400
    assert (
        read_hints(b"<channel><ttl>soon</ttl><podcast:updateFrequency rrule='NONSENSE'/>").declared_interval
        is None
    )
    assert max_age("public, max-age=300") == 300 and max_age("no-cache, max-age=300") is None
    assert max_age(None) is None


def test_after_the_days_episode_the_rest_of_its_window_is_quiet_and_a_late_one_is_watched() -> None:
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    pattern = learn(weekday_show(now - timedelta(days=56), 56, jitter_min=15), now, CONFIG)
    monday = datetime(2025, 3, 3, 12, tzinfo=UTC)
    friday = at_local(datetime(2025, 2, 28, 12, tzinfo=UTC), 6)

    published = at_local(monday, 5, 55)
    quiet = plan(at_local(monday, 5, 57), Inputs(pattern=pattern, last_published=published), CONFIG)
    assert (
        quiet.at - at_local(monday, 5, 57)
    ).total_seconds() >= 600 and "published 2 min ago" in quiet.reason
    waiting = plan(at_local(monday, 5, 57), Inputs(pattern=pattern, last_published=friday), CONFIG)
    assert (waiting.at - at_local(monday, 5, 57)).total_seconds() <= 60  # today's is still to come

    late = plan(at_local(monday, 7, 0), Inputs(pattern=pattern, last_published=friday), CONFIG)
    assert (late.at - at_local(monday, 7, 0)).total_seconds() <= 2 * CONFIG.min_interval
    assert "is late" in late.reason
    given_up = plan(at_local(monday, 10, 0), Inputs(pattern=pattern, last_published=friday), CONFIG)
    assert (given_up.at - at_local(monday, 10, 0)).total_seconds() >= 600  # a skipped day costs little


def test_a_history_without_a_clock_change_keeps_a_window_at_every_clock_it_could_follow() -> None:
    now = datetime(2025, 3, 8, 12, tzinfo=UTC)  # the US clocks change tomorrow; the history never saw it
    pattern = learn(weekday_show(now - timedelta(days=56), 56, jitter_min=5), now, CONFIG)
    assert pattern is not None and pattern.alternatives
    monday = datetime(2025, 3, 10, 12, tzinfo=UTC)
    assert pattern.interval_at(at_local(monday, 6)) <= 60  # 10:00 UTC: New York's clock moved
    assert pattern.interval_at(at_local(monday, 7)) <= 60  # 11:00 UTC: as if it had not


def test_impossible_publication_times_give_way_to_when_the_item_was_first_seen() -> None:
    seen = datetime(2025, 3, 3, 11, 2, tzinfo=UTC)
    stated = datetime(2025, 3, 3, 11, 0, tzinfo=UTC)
    assert observed(Published(stated, seen, first_run=False), 3600) == stated
    future = Published(seen + timedelta(hours=5), seen, first_run=False)  # a wrong zone or a scheduled post
    assert observed(future, 3600) == seen
    midnight = Published(datetime(2025, 3, 3, tzinfo=UTC), seen, first_run=False)  # a date-only stamp
    assert observed(midnight, 3600) == seen
    back_catalogue = Published(datetime(2024, 5, 1, 11, tzinfo=UTC), seen, first_run=True)
    assert observed(back_catalogue, 3600) == datetime(2024, 5, 1, 11, tzinfo=UTC)
    assert observed(Published(None, seen, first_run=True), 3600) is None
