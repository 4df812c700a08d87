"""What every benchmark shares: the figure record, repeated measurement with medians, CPU timing."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

Direction = Literal["higher", "lower"]


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure beside its same-run baseline.

    `ratio` is value/baseline. `direction` says which way is better for the ratio: "lower" means the
    ratio must be at most `target` (e.g. CPU of the fast path as a share of the baseline's), "higher"
    means at least `target` (e.g. a speed-up).
    """

    name: str
    value: float
    baseline: float
    unit: str
    target: float
    direction: Direction
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")

    @property
    def meets_target(self) -> bool:
        return self.ratio <= self.target if self.direction == "lower" else self.ratio >= self.target

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        data["meets_target"] = self.meets_target
        data["target"] = f"{'≤' if self.direction == 'lower' else '≥'} {self.target:g}×"
        return data


def from_dict(data: dict[str, Any]) -> Figure:
    """Accept a figure given as a mapping (name, value, baseline, unit, target, direction)."""
    target = data["target"]
    direction = data.get("direction")
    if isinstance(target, str):
        direction = "lower" if target.strip().startswith(("≤", "<=")) else "higher"
        target = float(target.strip().lstrip("≤≥<=> ").rstrip("×x "))
    return Figure(
        name=data["name"],
        value=float(data["value"]),
        baseline=float(data["baseline"]),
        unit=data.get("unit", ""),
        target=float(target),
        direction=direction or "higher",
        note=data.get("note", ""),
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
