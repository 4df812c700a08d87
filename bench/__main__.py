"""`python -m bench [--quick] [--json] [--only NAME]`: run every benchmark and print its figures."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import bench
from bench.core import Figure, from_dict


def discover() -> Iterator[tuple[str, Callable[[bool], Any]]]:
    """Every `figure_*` function of every module in the bench package, in a stable order."""
    for module_info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if module_info.name in {"core", "__main__"} or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{module_info.name}")
        for name in sorted(dir(module)):
            if name.startswith("figure_") and callable(getattr(module, name)):
                yield f"{module_info.name}.{name.removeprefix('figure_')}", getattr(module, name)


def as_figures(result: Any) -> list[Figure]:
    items = result if isinstance(result, list) else [result]
    return [item if isinstance(item, Figure) else from_dict(item) for item in items]


def format_row(figure: Figure) -> str:
    mark = "meets" if figure.meets_target else "MISSES"
    sign = "≤" if figure.direction == "lower" else "≥"
    return (
        f"{figure.name:<44} {figure.value:>12.4g} {figure.unit:<10} baseline {figure.baseline:>12.4g}  "
        f"ratio {figure.ratio:>8.3g}×  target {sign} {figure.target:g}×  {mark}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller inputs and fewer repeats (CI)")
    parser.add_argument("--json", action="store_true", help="one JSON object per figure")
    parser.add_argument("--only", metavar="NAME", help="run only figures whose name contains NAME")
    args = parser.parse_args(argv)
    failures = 0
    started = time.perf_counter()
    for name, function in discover():
        if args.only and args.only not in name:
            continue
        try:
            figures = as_figures(function(args.quick))
        except Exception:
            failures += 1
            print(f"{name}: FAILED", file=sys.stderr)
            traceback.print_exc()
            continue
        for figure in figures:
            if args.json:
                print(json.dumps(figure.as_dict(), ensure_ascii=False))
            else:
                print(format_row(figure))
            sys.stdout.flush()
    if not args.json:
        print(f"benchmarks finished in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
