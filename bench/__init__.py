"""Benchmarks: every figure is a ratio against a baseline measured in the same run.

Run `python -m bench [--quick] [--json]`. Each module under `bench/` exposes functions named
`figure_<name>(quick: bool) -> Figure` (or returning the same keys as a dict); the runner collects them.
"""
