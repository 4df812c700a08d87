"""`python -m bot ask` as an operator runs it, the evaluation set's quality floor, and the budget rule."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bench import ask_eval
from bot.ask.service import AskService
from bot.cli import main
from bot.store import Store
from bot.store.ask import Filters
from tests.conftest import PYTHON, bot_subprocess_env
from tests.doubles.openai_double import Fault, OpenAIDouble


async def _seed(path: Path) -> None:
    store = await Store.open(path)
    try:
        await ask_eval.seed(store)
    finally:
        await store.close()


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.sqlite3"))
    asyncio.run(_seed(tmp_path / "bot.sqlite3"))

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["ask", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_json_answer_names_the_episode_the_moment_and_the_quote(cli: Any) -> None:
    code, out, err = cli("Where is the Stargate project being built?", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) >= {"answer", "citations", "backend", "fallback_reason"}
    assert data["backend"] == "offline" and data["fallback_reason"] is None
    first = data["citations"][0]
    assert set(first) >= {"n", "key", "title", "url", "published", "start_seconds", "quote"}
    assert (first["n"], first["key"].split("/")[1], first["start_seconds"]) == (1, "data-centers", 410.0)
    assert first["url"] == "https://cdn.example.test/audio/data-centers.mp3#t=410"
    assert first["published"].startswith("2025-11-03") and "Abilene, Texas" in first["quote"]
    assert "[1]" in data["answer"] and "Abilene" in data["answer"]


def test_text_answer_and_refusals(cli: Any) -> None:
    code, out, _ = cli("Who declined to sign the Paris summit declaration?")
    assert code == 0 and "[1] Europe's AI Act starts to bite (2025-02-14) at 8:20" in out
    code, out, _ = cli("Who won the football world cup?", "--backend", "offline")
    assert code == 0 and out.startswith("The archive does not support an answer")
    code, _, err = cli("what is the?")
    assert code == 2 and "Ask about something" in err
    code, _, err = cli("What is Codex?", "--backend", "llm")
    assert code == 2 and "no LLM is configured" in err


async def test_cli_with_an_llm_counts_its_tokens_and_falls_back_past_the_budget(tmp_path: Path) -> None:
    await _seed(tmp_path / "bot.sqlite3")
    async with OpenAIDouble() as double:
        double.script(
            Fault.answer(
                json.dumps(
                    {
                        "supported": True,
                        "sentences": [{"text": "Codex is a cloud coding agent.", "passages": [1]}],
                    }
                )
            )
        )
        env = bot_subprocess_env(
            DATABASE_PATH=str(tmp_path / "bot.sqlite3"), OPENAI_BASE_URL=double.base_url, OPENAI_MODEL="m"
        )
        process = await asyncio.create_subprocess_exec(
            PYTHON, "-m", "bot", "ask", "What is OpenAI Codex?", "--json",
            cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        data = json.loads(out)
        assert data["backend"] == "llm" and data["answer"].startswith("Codex is a cloud coding agent. [1]")
        assert data["citations"][0]["start_seconds"] == 195.0
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        assert (await store.digests.usage_today()).total == double.prompt_tokens + sum(
            r["usage"]["completion_tokens"] for r in double.requests if "usage" in r
        )
        # Past the day's budget the answer is the extractive one and says why; no request is made.
        async with OpenAIDouble() as second:
            service = AskService(store.ask, store.digests, llm=second.client(), daily_token_budget=10)
            answer = await service.answer("What is OpenAI Codex?", Filters())
            assert answer.backend == "offline" and "daily LLM token budget reached" in (
                answer.fallback_reason or ""
            )
            assert second.chat_requests == []
    finally:
        await store.close()


async def test_the_evaluation_set_is_answered_from_the_right_episode_and_minute(store: Store) -> None:
    await ask_eval.seed(store)
    service = AskService(store.ask, store.digests)
    right = 0
    for question in ask_eval.QUESTIONS:
        answer = await service.answer(question.question, Filters())
        first = answer.citations[0]
        assert first.start_seconds is not None
        right += (
            first.key.endswith("/" + question.episode)
            and abs(first.start_seconds // 60 - question.minute) <= 1
        )
    assert right / len(ask_eval.QUESTIONS) >= 0.8
    for question in ask_eval.UNANSWERABLE:
        assert not (await service.answer(question, Filters())).supported


async def test_newsletter_issues_and_digests_are_cited_without_a_moment(store: Store) -> None:
    from tests.announce.helpers import newsletter
    from tests.commands.seed import digest, episode, follow

    feed = await newsletter(store)
    await follow(store, 5, feed)
    issue = await episode(
        store,
        feed,
        "issue-9",
        "The newsletter on robotics",
        text="Figure raised a large round to build humanoid robots for warehouses. Investors were eager.",
    )
    await digest(store, issue, "Humanoid robots are the next hardware race, the issue argues.")
    answer = await AskService(store.ask, store.digests).answer(
        "Who is building humanoid robots for warehouses?", Filters(guild_id=5)
    )
    assert answer.supported
    first = answer.citations[0]
    assert (first.title, first.kind, first.source) == ("The newsletter on robotics", "newsletter", "notes")
    assert first.start_seconds is None and first.url == issue.link and first.at is None
    other = await AskService(store.ask, store.digests).answer(
        "Who is building humanoid robots for warehouses?", Filters(guild_id=6)
    )
    assert not other.supported and other.citations == []  # another server does not follow the newsletter
