from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PYTHON, ROOT, bot_subprocess_env


def run_cli(*args: str, cwd: Path, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "bot", *args],
        cwd=cwd,
        env=bot_subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("command", ["run", "migrate", "sync", "preview", "digest"])
def test_every_command_has_help(tmp_path: Path, command: str) -> None:
    result = run_cli(command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "usage: python -m bot" in result.stdout
    assert command in result.stdout


def test_top_level_help_lists_the_commands(tmp_path: Path) -> None:
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("run", "migrate", "sync", "preview", "digest"):
        assert command in result.stdout


def test_bad_setting_is_one_line_without_traceback(tmp_path: Path) -> None:
    result = run_cli("migrate", cwd=tmp_path, FEED_POLL_INTERVAL="-1")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "FEED_POLL_INTERVAL" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("explode", cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_migrate_creates_the_database(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "bot.sqlite3"
    result = run_cli("migrate", cwd=tmp_path, DATABASE_PATH=str(db))
    assert result.returncode == 0, result.stderr
    assert "schema version" in result.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 1


def test_migrate_refuses_a_newer_database_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "future.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 4242")
    result = run_cli("migrate", cwd=tmp_path, DATABASE_PATH=str(db))
    assert result.returncode == 4
    assert "4242" in result.stderr
    assert "Traceback" not in result.stderr


def test_sync_without_a_token_says_what_to_set(tmp_path: Path) -> None:
    result = run_cli("sync", cwd=tmp_path, DATABASE_PATH=str(tmp_path / "db.sqlite3"))
    assert result.returncode == 5
    assert "DISCORD_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_project_runs_as_a_module_from_the_repo() -> None:
    result = run_cli("--version", cwd=ROOT)
    assert result.returncode == 0
    assert "python -m bot" in result.stdout
