"""Settings of the scaling path, and what a process refuses to run on SQLite."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import EXIT_RUN
from bot.scaling import TopologyError, check_topology, single_process
from bot.settings import Settings, SettingsError, load_settings
from tests.conftest import PYTHON, ROOT, bot_subprocess_env


def _settings(**overrides: object) -> Settings:
    return load_settings(_env_file=None, **overrides)


def test_database_url_defaults_to_the_sqlite_file_and_names_the_engine(tmp_path: Path) -> None:
    assert _settings(database_path=tmp_path / "a.db").database == tmp_path / "a.db"
    url = "postgresql://bot:secret@db.internal:5432/bot"
    pg = _settings(database_url=url, database_pool_size=25)
    assert (pg.database, pg.database_is_postgresql, pg.database_pool_size) == (url, True, 25)
    assert not _settings(database_url="sqlite:///data/other.db").database_is_postgresql
    with pytest.raises(SettingsError, match="DATABASE_URL: must be sqlite:///PATH or postgresql://"):
        _settings(database_url="mysql://bot@db/bot")
    with pytest.raises(SettingsError, match="DATABASE_URL: has an invalid port"):
        _settings(database_url="postgresql://bot@db:port/bot")


def test_shard_ids_are_parsed_and_checked_against_the_count() -> None:
    assert _settings(shard_count=4, shard_ids=" 2, 0 ").shards == (2, 0)
    assert _settings(shard_count="", shard_ids="").shards is None
    with pytest.raises(SettingsError, match="SHARD_IDS needs SHARD_COUNT"):
        _settings(shard_ids="0")
    with pytest.raises(SettingsError, match="SHARD_IDS 2 is not a shard of SHARD_COUNT 2"):
        _settings(shard_count=2, shard_ids="0,2")
    with pytest.raises(SettingsError, match="SHARD_IDS: must be shard numbers"):
        _settings(shard_count=2, shard_ids="0;1")
    with pytest.raises(SettingsError, match="names a shard twice"):
        _settings(shard_count=2, shard_ids="1,1")


def test_part_of_a_sharded_fleet_needs_postgresql(tmp_path: Path) -> None:
    with pytest.raises(TopologyError, match=r"runs 1 of SHARD_COUNT 2 shards.*set DATABASE_URL"):
        check_topology(_settings(database_path=tmp_path / "x.db", shard_count=2, shard_ids="1"))
    check_topology(_settings(database_path=tmp_path / "x.db", shard_count=2, shard_ids="0,1"))
    check_topology(_settings(database_url="postgresql://bot@db/bot", shard_count=2, shard_ids="0,1"))
    check_topology(_settings(database_url="postgresql://bot@db/bot", shard_count=2, shard_ids="1"))


def test_one_sqlite_file_serves_one_bot_process(tmp_path: Path) -> None:
    settings = _settings(database_path=tmp_path / "bot.sqlite3")
    with (
        single_process(settings),
        pytest.raises(TopologyError, match="another bot process is already running"),
        single_process(settings),
    ):
        pass
    with single_process(settings):  # released when the first one ended
        pass
    with (
        single_process(_settings(database_url="postgresql://bot@db/bot")),
        single_process(_settings(database_url="postgresql://bot@db/bot")),
    ):
        pass  # on PostgreSQL every process may run


def test_a_second_bot_process_on_the_same_file_is_refused_in_one_line(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    env = bot_subprocess_env(DISCORD_TOKEN="x" * 40, DATABASE_PATH=str(settings.database_path))
    with single_process(settings):
        done = subprocess.run(
            [PYTHON, "-m", "bot", "run"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == EXIT_RUN
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "another bot process is already running" in lines[0]
    assert "PostgreSQL" in lines[0]
