"""Shared fixtures: settings that ignore the developer's `.env`, a real migrated SQLite store, and the
end-to-end pair `double` (the Discord protocol double) and `runner` (the real bot against it; see
`tests/harness.py` for how a folder customises them)."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from bot.store import Store
from tests.doubles.discord import DiscordDouble
from tests.harness import BotRunner, serve_double

ROOT = Path(__file__).resolve().parents[1]

# Variables the bot reads; cleared so a developer's shell cannot change what a test sees.
_BOT_ENV = [name.upper() for name in Settings.model_fields]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _BOT_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Build settings from keyword overrides only (no `.env`), with the database in a temp folder."""

    def build(**overrides: Any) -> Settings:
        overrides.setdefault("database_path", tmp_path / "bot.sqlite3")
        return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]

    return build


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A real, migrated store in a temporary file."""
    opened = await Store.open(tmp_path / "store.sqlite3")
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    """A running Discord double that discord.py talks to; the test fails if the bot got an undeclared error.

    A folder that needs options or route wrappers overrides this fixture with its own `serve_double(...)`.
    """
    async with serve_double() as running:
        yield running


@pytest.fixture
def runner_class() -> type[BotRunner]:
    """The `BotRunner` (sub)class the `runner` fixture builds; a folder overrides this for its defaults."""
    return BotRunner


@pytest.fixture
async def runner(
    runner_class: type[BotRunner], double: DiscordDouble, store: Store, make_settings: Callable[..., Settings]
) -> AsyncIterator[BotRunner]:
    """A stopped bot runner on `store` against `double`; the test calls `start()`. Stopped at teardown."""
    running = runner_class(double, store, make_settings)
    try:
        yield running
    finally:
        await running.stop()


def bot_subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for running `python -m bot` in a subprocess: no inherited bot settings."""
    env = {key: value for key, value in os.environ.items() if key not in _BOT_ENV}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


PYTHON = sys.executable
