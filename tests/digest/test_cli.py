"""`python -m bot digest` as an operator runs it: a subprocess, real files, a real database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.digest.offline import split_sentences
from bot.store import Store
from tests.conftest import PYTHON, bot_subprocess_env
from tests.digest.helpers import add_episode
from tests.digest.transcripts import SHORT, as_srt, as_vtt
from tests.doubles.openai_double import OpenAIDouble


async def run_cli(*args: str, cwd: Path, **env: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        "-m",
        "bot",
        "digest",
        *args,
        cwd=cwd,
        env=bot_subprocess_env(DATABASE_PATH=str(cwd / "bot.sqlite3"), **env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_vtt_file_is_digested_offline_as_json(tmp_path: Path) -> None:
    (tmp_path / "episode.vtt").write_text(as_vtt(SHORT))
    code, out, err = await run_cli("episode.vtt", "--json", cwd=tmp_path)
    assert code == 0, err
    data = json.loads(out)
    for key in ("tldr", "key_points", "topics", "entities", "quote", "poll", "backend", "source"):
        assert key in data
    assert (data["backend"], data["source"]) == ("offline", "file")
    assert set(data["poll"]) >= {"question", "answers"}
    sentences = split_sentences(" ".join(SHORT.split()))
    assert all(point in sentences for point in data["key_points"])
    assert not (tmp_path / "bot.sqlite3").exists()  # an offline file digest needs no database


# The cases below call the same entry point in-process (faster than a subprocess each).


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.sqlite3"))

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["digest", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_srt_and_html_files_print_a_readable_digest(tmp_path: Path, cli: Any) -> None:
    (tmp_path / "ep.srt").write_text(as_srt(SHORT))
    (tmp_path / "issue.html").write_text(
        "<html><body>" + "".join(f"<p>{line}</p>" for line in SHORT.splitlines())
    )
    for name in ("ep.srt", "issue.html"):
        code, out, err = cli(name)
        assert code == 0, err
        assert "TL;DR: " in out and "Key points:" in out and "Poll: " in out
        assert "-->" not in out and "<p>" not in out


def test_bad_sources_are_one_clear_line(tmp_path: Path, cli: Any) -> None:
    code, _, err = cli("missing.vtt")
    assert code == 3 and "no such file" in err
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    code, _, err = cli("no-such-episode")
    assert code == 3 and "neither a file nor the key of an episode" in err
    (tmp_path / "ep.txt").write_text("x")
    code, _, err = cli("ep.txt", "--backend", "llm")
    assert code == 2 and "OPENAI_BASE_URL" in err


async def test_llm_backend_through_the_double_is_cached_across_runs(tmp_path: Path) -> None:
    (tmp_path / "episode.vtt").write_text(as_vtt(SHORT))
    async with OpenAIDouble() as double:
        env = {"OPENAI_BASE_URL": double.base_url, "OPENAI_MODEL": "double-model"}
        code, out, err = await run_cli("episode.vtt", "--json", "--backend", "llm", cwd=tmp_path, **env)
        assert code == 0, err
        first = json.loads(out)
        assert (first["backend"], first["model"]) == ("llm", "double-model")
        assert first["tokens_in"] > 0
        code, out, err = await run_cli("episode.vtt", "--json", cwd=tmp_path, **env)
        assert code == 0, err
        assert json.loads(out)["tldr"] == first["tldr"]
        assert len(double.chat_requests) == 1  # the second run was served from the database


def test_an_episode_key_from_the_store(tmp_path: Path, cli: Any) -> None:
    async def seed() -> None:
        store = await Store.open(tmp_path / "bot.sqlite3")
        try:
            await add_episode(store, "guid-812", "Ep 812: open weights win?", SHORT)
        finally:
            await store.close()

    asyncio.run(seed())
    code, out, err = cli("guid-812", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["title"], data["source"], data["backend"]) == (
        "Ep 812: open weights win?",
        "show_notes",
        "offline",
    )
