"""The reliability suite prints its figures at the end of the run, passing or not."""

from __future__ import annotations

from typing import Any

from tests.reliability.harness import FIGURES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for test, line in FIGURES:
        terminalreporter.write_line(f"{test}: {line}")
