from __future__ import annotations

import logging
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.polls.ballots import BallotKey, load_ballot_key, secret_path
from bot.settings import Settings


def test_the_secret_file_is_created_once_private_and_reused(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    first = load_ballot_key(settings)
    path = secret_path(settings.database_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_ballot_key(settings)
    assert first.ballot(1, 42) == again.ballot(1, 42)


def test_poll_secret_setting_wins_and_is_never_shown(make_settings: Callable[..., Settings]) -> None:
    key = load_ballot_key(make_settings(poll_secret="a-very-long-configured-secret"))
    assert not secret_path(make_settings().database_path).exists()
    assert "configured" not in repr(key)
    assert key.ballot(1, 42) != load_ballot_key(
        make_settings(poll_secret="another-long-secret-value")
    ).ballot(1, 42)


def test_ballots_differ_per_member_and_per_poll_and_hide_the_id() -> None:
    key = BallotKey(b"k" * 32)
    ballots = {key.ballot(poll, member) for poll in (1, 2) for member in (10, 11)}
    assert len(ballots) == 4
    assert all(b"10" not in ballot and len(ballot) == 32 for ballot in ballots)


def test_a_world_readable_secret_file_is_reported(
    make_settings: Callable[..., Settings], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings()
    path = secret_path(settings.database_path)
    path.write_text("f" * 64)
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        load_ballot_key(settings)
    assert "readable by others" in caplog.text
    assert "f" * 64 not in caplog.text
