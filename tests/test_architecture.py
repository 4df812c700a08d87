"""The dependency rules of docs/architecture.md, checked on the source: the core never reaches into its
adapters, cogs never reach into the store, and the runner's extension list names every cog module."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import cogs
from bot.runner import EXTENSIONS

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path, root: Path) -> set[str]:
    """Every module a file imports, absolute (relative imports are resolved against its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def violations(folder: str, forbidden: tuple[str, ...], root: Path = ROOT) -> list[str]:
    """Each import of a module under `forbidden` by a file of the package `folder`."""
    found = []
    for path in sorted((root / folder).rglob("*.py")):
        for module in imported_modules(path, root):
            if any(module == name or module.startswith(name + ".") for name in forbidden):
                found.append(f"{path.relative_to(root).as_posix()} imports {module}")
    return sorted(set(found))


def test_the_core_never_imports_its_adapters_or_the_benchmarks() -> None:
    assert violations("bot", ("cogs", "bench", "tests")) == []


def test_cogs_never_touch_the_store_or_the_database_driver() -> None:
    assert violations("cogs", ("bot.store", "aiosqlite", "sqlite3")) == []


def test_the_rule_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    (tmp_path / "bot" / "feeds").mkdir(parents=True)
    (tmp_path / "bot" / "feeds" / "probe.py").write_text(
        "from cogs.polls import views\nimport bench.core\nfrom ..store import db\n", encoding="utf-8"
    )
    assert violations("bot", ("cogs", "bench", "bot.store"), root=tmp_path) == [
        "bot/feeds/probe.py imports bench.core",
        "bot/feeds/probe.py imports bot.store",
        "bot/feeds/probe.py imports bot.store.db",
        "bot/feeds/probe.py imports cogs.polls",
        "bot/feeds/probe.py imports cogs.polls.views",
    ]


def test_the_runner_loads_every_cog_module() -> None:
    modules = {
        info.name
        for info in pkgutil.iter_modules(cogs.__path__, prefix="cogs.")
        if not info.name.rsplit(".", 1)[-1].startswith("_")
    }
    assert set(EXTENSIONS) == modules


def import_cycles(folder: str, root: Path = ROOT) -> list[list[str]]:
    """Cycles among the modules of package `folder` (type-only imports count: they couple the modules)."""
    modules = {
        ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): path
        for path in (root / folder).rglob("*.py")
    }
    graph = {
        name: sorted(m for m in imported_modules(path, root) if m in modules and m != name)
        for name, path in modules.items()
    }
    cycles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        for target in graph[name]:
            if target in trail:
                cycle = trail[trail.index(target) :]
                if cycle[0] == min(cycle) and cycle not in cycles:
                    cycles.append(cycle)
            elif len(trail) < 8:
                visit(target, [*trail, target])

    for name in sorted(graph):
        visit(name, [name])
    return cycles


def test_no_import_cycles_among_the_cogs() -> None:
    assert import_cycles("cogs") == []


def test_the_cycle_finder_sees_a_cycle(tmp_path: Path) -> None:
    (tmp_path / "cogs" / "x").mkdir(parents=True)
    (tmp_path / "cogs" / "x" / "a.py").write_text("from cogs.x.b import B\n", encoding="utf-8")
    (tmp_path / "cogs" / "x" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cogs.x.a import A\n", encoding="utf-8"
    )
    assert import_cycles("cogs", root=tmp_path) == [["cogs.x.a", "cogs.x.b"]]


def store_reaches(folder: str, root: Path = ROOT) -> list[str]:
    """Each `x.store` / `x.repo` attribute read in the package `folder` (a cog reaching past its services)."""
    found = []
    for path in sorted((root / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"store", "repo"}:
                found.append(f"{path.relative_to(root).as_posix()}:{node.lineno} .{node.attr}")
    return found


def test_cogs_make_no_store_call() -> None:
    assert store_reaches("cogs") == []


def test_the_store_reach_finder_sees_one(tmp_path: Path) -> None:
    (tmp_path / "cogs").mkdir()
    (tmp_path / "cogs" / "x.py").write_text("async def f(bot):\n    await bot.store.feeds.get(1)\n")
    assert store_reaches("cogs", root=tmp_path) == ["cogs/x.py:2 .store"]
