"""`python -m bench [--quick] [--json | --markdown] [--only NAME] [--list]`: run every benchmark and print,
per figure, the measured value, the baseline measured in the same run, their ratio and the target.

Targets are reported, never asserted: the exit status is 1 only when a benchmark could not run at all.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import bench
from bench import _catalog
from bench.core import Figure, from_dict

SKIPPED_MODULES = {"core", "__main__"}
QUICK_BUDGET_S = 180.0  # the whole --quick run, on 2 cores (bench/fleet.py adds ~50 s of real processes)


@dataclass
class Entry:
    """One `figure_*` function (or a module that failed to import, with `function` None)."""

    module: str
    function_id: str
    function: Callable[[bool], Any] | None
    error: str = ""


@dataclass
class Outcome:
    entry: Entry
    figures: list[Figure] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0


def discover(package: Any = bench) -> list[Entry]:
    """Every `figure_*` function of every public module of the package, in a stable order.

    A module that fails to import becomes one failed entry, so the other benchmarks still run.
    """
    entries = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name in SKIPPED_MODULES or info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"{package.__name__}.{info.name}")
        except Exception:
            entries.append(Entry(info.name, f"{info.name}.*", None, traceback.format_exc()))
            continue
        for name in sorted(dir(module)):
            function = getattr(module, name)
            if name.startswith("figure_") and callable(function) and _defined_in(function, module.__name__):
                entries.append(Entry(info.name, f"{info.name}.{name.removeprefix('figure_')}", function))
    return entries


def _defined_in(function: Any, module_name: str) -> bool:
    """False for a `figure_*` function merely imported from another bench module (it runs there)."""
    return getattr(function, "__module__", module_name) == module_name


def as_figures(result: Any) -> list[Figure]:
    """A figure function may return a Figure, a dict, or a list of either."""
    items = result if isinstance(result, list) else [result]
    return [item if isinstance(item, Figure) else from_dict(item) for item in items]


def run(entries: Sequence[Entry], quick: bool, on_result: Callable[[Outcome], None]) -> list[Outcome]:
    """Run each entry once, in order. After a figure of a module fails, the module's remaining figures
    are not run (they nearly always share the failed measurement, and rerunning it would only spend the
    quick run's budget); they are reported as skipped."""
    outcomes = []
    failed_modules: set[str] = set()
    for entry in entries:
        outcome = Outcome(entry)
        started = time.perf_counter()
        if entry.function is None:
            outcome.error = entry.error
        elif entry.module in failed_modules:
            outcome.error = f"skipped: an earlier figure of bench/{entry.module}.py failed\n"
        else:
            try:
                outcome.figures = as_figures(entry.function(quick))
            except Exception:
                outcome.error = traceback.format_exc()
        outcome.seconds = time.perf_counter() - started
        if outcome.error:
            failed_modules.add(entry.module)
        outcomes.append(outcome)
        on_result(outcome)
    return outcomes


def _number(value: float) -> str:
    """Three significant digits below 1,000, whole numbers with separators up to a billion."""
    if 1000 <= abs(value) < 1e9:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _ratio(figure: Figure) -> str:
    ratio = figure.ratio
    return "n/a" if ratio == float("inf") else f"{_number(ratio)}×"


def text_row(figure: Figure) -> str:
    verdict = "meets" if figure.meets_target else "MISSES"
    value = f"{_number(figure.value):>10} {figure.unit:<12}"
    baseline = f"baseline {_number(figure.baseline):>10}"
    bound = f"target {figure.target_text:<18} {verdict}"
    return f"{figure.name:<52} {value} {baseline}  ratio {_ratio(figure):>8}  {bound}"


MARKDOWN_HEADER = "\n".join(
    [
        "| Figure | Value | Baseline (same run) | Ratio | Target | Meets |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
)


def markdown_row(figure: Figure) -> str:
    unit = f" {figure.unit}" if figure.unit else ""
    return (
        f"| {figure.name} | {_number(figure.value)}{unit} | {_number(figure.baseline)}{unit} "
        f"| {_ratio(figure)} | {figure.target_text} | {'yes' if figure.meets_target else '**no**'} |"
    )


def main(
    argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None, package: Any = bench
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller inputs and fewer repeats (CI)")
    style = parser.add_mutually_exclusive_group()
    style.add_argument("--json", action="store_true", help="one JSON object per figure, one per line")
    style.add_argument("--markdown", action="store_true", help="a Markdown table (for docs/benchmarks.md)")
    parser.add_argument("--only", metavar="NAME", action="append", help="run figures whose id contains NAME")
    parser.add_argument("--list", action="store_true", help="list the figure functions and exit")
    args = parser.parse_args(argv)

    entries = [
        e for e in discover(package) if not args.only or any(name in e.function_id for name in args.only)
    ]
    if args.list:
        for entry in entries:
            print(entry.function_id if entry.function else f"{entry.function_id} (import failed)", file=out)
        return 0
    if args.markdown:
        print(MARKDOWN_HEADER, file=out)

    def show(outcome: Outcome) -> None:
        if outcome.error:
            print(f"{outcome.entry.function_id}: FAILED\n{outcome.error}", file=err)
        for figure in outcome.figures:
            if args.json:
                print(json.dumps(figure.as_dict(), ensure_ascii=False, allow_nan=False), file=out)
            elif args.markdown:
                print(markdown_row(figure), file=out)
            else:
                print(text_row(figure), file=out)
                if figure.note:
                    print(f"    {figure.note}", file=out)
        out.flush()

    started = time.perf_counter()
    outcomes = run(entries, args.quick, show)
    elapsed = time.perf_counter() - started
    _summary(outcomes, entries, args.only is not None, elapsed, err)
    if args.quick and elapsed > QUICK_BUDGET_S:
        print(f"the quick run took {elapsed:.0f} s, over its {QUICK_BUDGET_S:.0f} s budget", file=err)
    return 1 if any(outcome.error for outcome in outcomes) else 0


def _summary(
    outcomes: list[Outcome], entries: list[Entry], filtered: bool, seconds: float, err: TextIO
) -> None:
    per_module: dict[str, float] = {}
    for outcome in outcomes:
        per_module[outcome.entry.module] = per_module.get(outcome.entry.module, 0.0) + outcome.seconds
    timing = ", ".join(f"{module} {spent:.1f} s" for module, spent in per_module.items())
    print(f"benchmarks finished in {seconds:.1f} s ({timing})", file=err)
    provided = [(o.entry.module, o.entry.function_id, f.name) for o in outcomes for f in o.figures]
    selected = {entry.module for entry in entries} if filtered else None
    for wanted in _catalog.missing(provided, selected):
        print(f"not provided by bench/{wanted.module}.py: {wanted.title}", file=err)
    failed = [o.entry.function_id for o in outcomes if o.error]
    if failed:
        print(f"failed: {', '.join(failed)}", file=err)


if __name__ == "__main__":
    raise SystemExit(main())
