"""What every benchmark shares: the figure record, repeated measurement with medians, CPU timing."""

from __future__ import annotations

import math
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Direction = Literal["higher", "lower"]


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure beside its same-run baseline.

    `ratio` is value/baseline. `direction` says which way is better: "lower" means the ratio must be at
    most `target` (e.g. CPU of the fast path as a share of the baseline's) and the value at most `limit`;
    "higher" means at least. `target` is a bound on the ratio, `limit` an absolute bound on the value in
    `unit` (e.g. resident memory ≤ 150 MB); a figure has one or both.
    """

    name: str
    value: float
    baseline: float
    unit: str
    target: float | None
    direction: Direction
    note: str = ""
    limit: float | None = None

    @property
    def ratio(self) -> float:
        if self.baseline:
            return self.value / self.baseline
        return 0.0 if self.value == 0 else math.inf

    def _within(self, measured: float, bound: float) -> bool:
        return measured <= bound if self.direction == "lower" else measured >= bound

    @property
    def meets_target(self) -> bool:
        """Whether every bound the figure has (ratio target, absolute limit) is met."""
        checks = []
        if self.target is not None:
            checks.append(self._within(self.ratio, self.target))
        if self.limit is not None:
            checks.append(self._within(self.value, self.limit))
        return all(checks)

    @property
    def target_text(self) -> str:
        """The bounds as people read them: "≥ 20×", "≤ 150 MB", or both joined by "and"."""
        sign = "≤" if self.direction == "lower" else "≥"
        parts = []
        if self.target is not None:
            parts.append(f"{sign} {self.target:g}×")
        if self.limit is not None:
            parts.append(f"{sign} {self.limit:g} {self.unit}".rstrip())
        return " and ".join(parts) or "none"

    def as_dict(self) -> dict[str, Any]:
        """The JSON record: name, value, baseline, ratio, target, unit, meets_target (and note, direction).

        A ratio that is not finite (a zero baseline) is given as null, so the output stays valid JSON.
        """
        ratio = self.ratio
        return {
            "name": self.name,
            "value": self.value,
            "baseline": self.baseline,
            "ratio": ratio if math.isfinite(ratio) else None,
            "target": self.target_text,
            "unit": self.unit,
            "meets_target": self.meets_target,
            "direction": self.direction,
            "note": self.note,
        }


_BOUND = re.compile(
    r"^\s*(?P<sign>≤|≥|<=|>=|<|>)?\s*(?P<number>[-+]?\d[\d,_]*(?:\.\d+)?(?:e[-+]?\d+)?)\s*(?P<unit>.*)$"
)


def parse_bound(text: str) -> tuple[Direction | None, float, bool]:
    """Read "≤ 0.2×", ">= 20x" or "≤ 150 MB": (direction or None, number, whether it bounds the ratio)."""
    found = _BOUND.match(text)
    if found is None:
        raise ValueError(f"not a target: {text!r}")
    sign = found.group("sign")
    direction: Direction | None = None
    if sign:
        direction = "lower" if sign in {"≤", "<=", "<"} else "higher"
    number = float(found.group("number").replace(",", "").replace("_", ""))
    unit = found.group("unit").strip()
    return direction, number, unit in {"", "×", "x", "X"}


def from_dict(data: dict[str, Any]) -> Figure:
    """Accept a figure given as a mapping: name, value, baseline, unit, target (and optionally direction,
    ratio, meets_target, limit, note), as modules that return plain dicts do.

    `target` may be a number or text ("≤ 0.2×", "≥ 20×", "≤ 150 MB"). Without a sign or `direction`, the
    direction is the one that agrees with a given `meets_target`, else "higher" for targets ≥ 1 (speed-ups)
    and "lower" below 1 (shares of a baseline).
    """
    target: float | None = None
    limit = data.get("limit")
    direction: Direction | None = data.get("direction")
    raw = data.get("target")
    if isinstance(raw, str):
        sign, number, on_ratio = parse_bound(raw)
        direction = direction or sign
        if on_ratio:
            target = number
        else:
            limit = number
    elif raw is not None:
        target = float(raw)
    value, baseline = float(data["value"]), float(data["baseline"])
    if direction is None:
        bound = target if target is not None else limit
        claimed = data.get("meets_target")
        if bound is not None and isinstance(claimed, bool):
            measured = value / baseline if target is not None and baseline else value
            direction = "lower" if (measured <= bound) == claimed else "higher"
        else:
            direction = "higher" if (bound or 0) >= 1 else "lower"
    return Figure(
        name=str(data["name"]),
        value=value,
        baseline=baseline,
        unit=str(data.get("unit", "")),
        target=target,
        direction=direction,
        note=str(data.get("note", "")),
        limit=None if limit is None else float(limit),
    )


def median_of(repeats: int, measure: Callable[[], float]) -> float:
    """Run `measure` `repeats` times and return the median of what it returned."""
    return statistics.median(measure() for _ in range(max(1, repeats)))


def cpu_seconds(work: Callable[[], object]) -> float:
    """Process CPU time (user + system) spent in `work`: insensitive to other load on the machine."""
    start = time.process_time()
    work()
    return time.process_time() - start


def wall_seconds(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start
