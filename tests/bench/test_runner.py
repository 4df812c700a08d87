"""`python -m bench`: discovery, output formats, failures reported without stopping the run, and the
figures the issue asks for that no module provides."""

from __future__ import annotations

import importlib
import io
import json
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from bench import __main__ as runner
from bench import _catalog

ISSUE_KEYS = {"name", "value", "baseline", "ratio", "target", "unit", "meets_target"}

MODULES = {
    "threads.py": """
        from bench.core import Figure

        CALLS = []

        def figure_ingest_rate(quick):
            CALLS.append(quick)
            return Figure("threads ingest", 50.0, 1.0, "events/s", 20, "higher", note="50 events")

        def helper_not_a_figure(quick):
            raise AssertionError("only figure_* functions run")
    """,
    "digest.py": """
        def figure_tokens(quick):
            return [
                {"name": "digest tokens", "value": 12, "baseline": 10, "unit": "tokens", "target": "≤ 1.3×"},
                {"name": "digest rerun tokens", "value": 0, "baseline": 10, "unit": "tokens",
                 "target": "≤ 0×"},
            ]
    """,
    "search.py": """
        def figure_fts_vs_like(quick):
            raise RuntimeError("the index is missing")
    """,
    "feeds.py": """
        import a_module_that_does_not_exist
    """,
    "_helpers.py": """
        def figure_never(quick):
            raise AssertionError("private modules are not benchmarks")
    """,
}


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    root = tmp_path / "fakebench"
    root.mkdir()
    (root / "__init__.py").write_text("")
    for name, source in MODULES.items():
        (root / name).write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m == "fakebench" or m.startswith("fakebench.")]:
        monkeypatch.delitem(sys.modules, name)
    return importlib.import_module("fakebench")


def run(package: ModuleType, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = runner.main(list(argv), out, err, package=package)
    return code, out.getvalue(), err.getvalue()


def test_json_prints_one_object_per_figure_with_the_issue_keys(package: ModuleType) -> None:
    code, out, err = run(package, "--quick", "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["name"] for r in records] == ["digest tokens", "digest rerun tokens", "threads ingest"]
    assert all(set(r) >= ISSUE_KEYS for r in records)
    assert records[0]["ratio"] == pytest.approx(1.2) and records[0]["meets_target"] is True
    assert records[2]["note"] == "50 events" and records[2]["unit"] == "events/s"
    assert records[2]["target"] == "≥ 20×" and records[2]["ratio"] == 50
    assert sys.modules["fakebench.threads"].CALLS == [True]  # --quick reached the function
    # a failing benchmark and a module that does not import are reported; the others still ran
    assert code == 1
    assert "search.fts_vs_like: FAILED" in err and "the index is missing" in err
    assert "feeds.*: FAILED" in err and "a_module_that_does_not_exist" in err


def test_text_output_shows_value_baseline_ratio_target_and_verdict(package: ModuleType) -> None:
    _, out, _ = run(package, "--only", "threads")
    row, note = out.splitlines()
    assert row.startswith("threads ingest")
    for part in ("50", "events/s", "baseline", "1", "ratio", "50×", "target ≥ 20×", "meets"):
        assert part in row
    assert note.strip() == "50 events"


def test_markdown_output_is_a_table(package: ModuleType) -> None:
    _, out, _ = run(package, "--markdown", "--only", "digest")
    lines = out.splitlines()
    assert lines[0].startswith("| Figure | Value |") and lines[1].startswith("| --- |")
    assert lines[2] == "| digest tokens | 12 tokens | 10 tokens | 1.2× | ≤ 1.3× | yes |"
    assert lines[3] == "| digest rerun tokens | 0 tokens | 10 tokens | 0× | ≤ 0× | yes |"


def test_figures_the_issue_asks_for_and_nobody_provides_are_named(package: ModuleType) -> None:
    _, _, err = run(package, "--quick")
    assert "not provided by bench/feeds.py: feed poll cycle" in err
    assert "not provided by bench/feeds.py: one new episode" in err
    assert "not provided by bench/memory.py" in err
    assert "not provided by bench/threads.py" not in err
    assert "not provided by bench/digest.py" not in err
    # with --only, only the selected modules are checked
    _, _, err = run(package, "--only", "threads")
    assert "not provided" not in err


def test_list_names_every_figure_function_without_running_it(package: ModuleType) -> None:
    code, out, _ = run(package, "--list")
    assert code == 0
    assert out.splitlines() == [
        "digest.tokens",
        "feeds.* (import failed)",
        "search.fts_vs_like",
        "threads.ingest_rate",
    ]
    assert sys.modules["fakebench.threads"].CALLS == []


def test_the_real_suite_provides_every_figure_the_issue_asks_for() -> None:
    entries = runner.discover()
    assert [e.function_id for e in entries if e.function is None] == []  # every module imports
    provided = [(e.module, e.function_id, "") for e in entries]
    assert [wanted.title for wanted in _catalog.missing(provided)] == []


def test_after_a_failure_the_rest_of_that_module_is_skipped_not_rerun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "failbench"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "search.py").write_text(
        textwrap.dedent(
            """
            CALLS = []

            def figure_a(quick):
                CALLS.append("a")
                raise RuntimeError("the shared measurement failed")

            def figure_b(quick):
                CALLS.append("b")
                raise RuntimeError("the shared measurement failed")
            """
        )
    )
    (root / "threads.py").write_text(
        "def figure_rate(quick):\n    return {'name': 'rate', 'value': 2, 'baseline': 1, 'target': '≥ 1×'}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    package = importlib.import_module("failbench")
    code, out, err = run(package)
    assert code == 1
    assert sys.modules["failbench.search"].CALLS == ["a"]
    assert "search.b: FAILED\nskipped: an earlier figure of bench/search.py failed" in err
    assert out.startswith("rate ")  # other modules still run
