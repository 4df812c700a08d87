"""The reliability suite prints its figures at the end of the run, passing or not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.reliability.fuzzing import Fuzz, running_bot
from tests.reliability.harness import FIGURES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for test, line in FIGURES:
        terminalreporter.write_line(f"{test}: {line}")


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    """The real bot and the Discord double on a background loop, once per module (see fuzzing.py)."""
    yield from running_bot(tmp_path_factory.mktemp("fuzz"))
