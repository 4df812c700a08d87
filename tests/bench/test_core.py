"""The figure record: ratios, bounds, the JSON keys the issue names, and figures given as plain dicts."""

from __future__ import annotations

import json
import math

import pytest

from bench.core import Figure, from_dict, median_of, parse_bound

ISSUE_KEYS = {"name", "value", "baseline", "ratio", "target", "unit", "meets_target"}


def test_a_speed_up_meets_its_target_only_when_high_enough() -> None:
    fast = Figure("events", value=40_000, baseline=800, unit="events/s", target=20, direction="higher")
    slow = Figure("events", value=8_000, baseline=800, unit="events/s", target=20, direction="higher")
    assert fast.ratio == 50 and fast.meets_target
    assert slow.ratio == 10 and not slow.meets_target
    assert fast.target_text == "≥ 20×"


def test_an_absolute_limit_is_checked_on_the_value_not_the_ratio() -> None:
    light = Figure("rss", value=120, baseline=40, unit="MB", target=None, direction="lower", limit=150)
    heavy = Figure("rss", value=160, baseline=80, unit="MB", target=None, direction="lower", limit=150)
    assert light.ratio == 3 and light.meets_target  # a 3× ratio does not matter, 120 MB ≤ 150 MB does
    assert heavy.ratio == 2 and not heavy.meets_target
    assert light.target_text == "≤ 150 MB"


def test_a_figure_with_both_bounds_must_meet_both() -> None:
    figure = Figure("x", value=120, baseline=100, unit="MB", target=1.1, direction="lower", limit=150)
    assert not figure.meets_target
    assert figure.target_text == "≤ 1.1× and ≤ 150 MB"


def test_json_record_has_the_issue_keys_and_stays_valid_with_a_zero_baseline() -> None:
    figure = Figure("odd", value=3, baseline=0, unit="s", target=2, direction="lower")
    record = figure.as_dict()
    assert set(record) >= ISSUE_KEYS
    assert record["ratio"] is None and record["meets_target"] is False
    assert json.loads(json.dumps(record, allow_nan=False))["target"] == "≤ 2×"
    zero = Figure("rerun", value=0, baseline=14_000, unit="tokens", target=0, direction="lower")
    assert zero.ratio == 0 and zero.meets_target


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("≤ 0.2×", ("lower", 0.2, True)),
        (">= 20x", ("higher", 20.0, True)),
        ("≤ 150 MB", ("lower", 150.0, False)),
        ("1,500 ms", (None, 1500.0, False)),
        ("20", (None, 20.0, True)),
    ],
)
def test_targets_are_read_from_text(text: str, expected: tuple[str | None, float, bool]) -> None:
    assert parse_bound(text) == expected


def test_text_that_is_not_a_target_is_refused() -> None:
    with pytest.raises(ValueError, match="not a target"):
        parse_bound("fast enough")


def test_dicts_from_modules_become_figures_with_the_right_direction() -> None:
    tokens = from_dict(
        {"name": "t", "value": 18_000, "baseline": 14_700, "unit": "tokens", "target": "≤ 1.3×"}
    )
    assert tokens.direction == "lower" and tokens.meets_target and math.isclose(tokens.ratio, 18_000 / 14_700)
    memory = from_dict({"name": "m", "value": 160, "baseline": 40, "unit": "MB", "target": "≤ 150 MB"})
    assert memory.limit == 150 and memory.target is None and not memory.meets_target
    # a bare number: the direction that agrees with the module's own verdict
    share = from_dict({"name": "s", "value": 1, "baseline": 10, "target": 0.2, "meets_target": True})
    assert share.direction == "lower" and share.meets_target
    speed = from_dict({"name": "v", "value": 30, "baseline": 1, "target": 20, "meets_target": True})
    assert speed.direction == "higher" and speed.meets_target
    # nothing to go by: speed-ups (≥ 1) are "higher", shares of a baseline "lower"
    assert from_dict({"name": "v", "value": 1, "baseline": 1, "target": 20}).direction == "higher"
    assert from_dict({"name": "v", "value": 1, "baseline": 1, "target": 0.5}).direction == "lower"


def test_median_of_repeats_the_measurement() -> None:
    samples = iter([5.0, 1.0, 3.0])
    assert median_of(3, lambda: next(samples)) == 3.0
