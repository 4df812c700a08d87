"""Secrets: the Discord token, the OpenAI key and the poll secret never leave the process.

The real `python -m bot run` in a subprocess, at DEBUG, with recognisable secrets. Errors are forced on
every side: the LLM answers 500s, garbage and schema violations; Discord answers 401, 500 and 429; a
moderator regenerates digests and reads every status command; then the bot starts with a token Discord
rejects, and with a bad setting. Every byte the bot wrote (its log, stdout and stderr), every message and
interaction reply recorded by the Discord double, and every request body sent to Discord and to the LLM
is searched for the secrets.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from pathlib import Path
from typing import Any

import pytest

from bot.store import Store
from tests.announce.helpers import add_item, podcast
from tests.conftest import PYTHON, ROOT, bot_subprocess_env
from tests.doubles.discord import DiscordDouble, P
from tests.doubles.openai_double import Fault, OpenAIDouble
from tests.e2e.process import BotProcess
from tests.reliability.harness import figure, leaf_commands

TOKEN = "MTE5OTk5.Gsecret.DISCORD-TOKEN-do-not-leak-7Qx"
API_KEY = "sk-proj-OPENAI-KEY-do-not-leak-91Zp"
POLL_SECRET = "poll-secret-do-not-leak-55Kw"
SECRETS = (TOKEN, API_KEY, POLL_SECRET)


def leaks(text: str) -> list[str]:
    """Which secrets (or a recognisable half of one) appear in `text`."""
    found = []
    for secret in SECRETS:
        if secret in text or secret[: len(secret) // 2] in text or secret[len(secret) // 2 :] in text:
            found.append(secret[:12] + "…")
    return found


def message_text(message: Any) -> str:
    return json.dumps(
        {"content": message.content, "embeds": message.embeds, "components": message.components},
        default=str,
    )


@pytest.mark.timeout(120)
async def test_secrets_never_reach_logs_messages_or_requests(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    store = await Store.open(db)
    try:
        feed = await podcast(store, "http://127.0.0.1:9/podcast.xml")
        await add_item(store, feed, "ep-secret", "Open weights and closed doors", text="Notes. " * 50)
    finally:
        await store.close()

    llm = await OpenAIDouble().start()
    try:
        async with DiscordDouble(token=TOKEN) as double:
            guild = double.add_guild("AI Daily Brief")
            double.add_text_channel(guild, "general")
            mod = double.add_member(guild, "mod", permissions=P.MANAGE_GUILD)
            member = double.add_member(guild, "ada")
            env = {
                "DISCORD_TOKEN": TOKEN,
                "DISCORD_API_BASE": double.api_base,
                "DISCORD_GATEWAY_URL": double.gateway_url,
                "GUILD_READY_TIMEOUT": "0.05",
                "DATABASE_PATH": str(db),
                "PODCAST_FEED_URL": "http://127.0.0.1:9/podcast.xml",
                "NEWSLETTER_FEED_URL": "http://127.0.0.1:9/newsletter.xml",
                "FEED_POLL_INTERVAL": "3600",
                "OPENAI_API_KEY": API_KEY,
                "OPENAI_BASE_URL": llm.base_url,
                "LLM_TIMEOUT": "2",
                "LLM_MAX_RETRIES": "0",
                "POLL_SECRET": POLL_SECRET,
                "LOG_LEVEL": "DEBUG",
            }
            process = await BotProcess(env, tmp_path).start()
            replies: list[str] = []
            try:
                await double.wait_for(
                    lambda: bool(double.gateway.identifies) and double.command_store.sync_log != [],
                    timeout=30,
                    description="the bot to sync its commands and connect",
                )
                double.expect_errors(50035, 0)
                # The LLM fails in every way, one request at a time.
                llm.script(
                    Fault.server_error(),
                    Fault.malformed_json(),
                    Fault.schema_violation(),
                    Fault.broken_body(),
                    Fault.rate_limit(),
                )
                for backend in ("llm", "llm", "auto", "llm"):
                    record = await double.invoke(
                        guild, mod, "admin digest regenerate", {"episode": "Open weights", "backend": backend}
                    )
                    replies.append(message_text(await record.wait_final(timeout=8)))
                # Discord fails: 401 and 500 on the next replies, a 429 on a follow-up.
                double.inject("POST /interactions/**", status=401, times=1)
                double.inject("PATCH /webhooks/**", status=500, times=2)
                double.inject("POST /webhooks/**", status=429, retry_after=0.05, times=1)
                for leaf in leaf_commands(double.commands()):
                    if leaf.name.endswith("status") or leaf.name in {"about", "help", "admin feed list"}:
                        record = await double.invoke(guild, mod, leaf.name, {})
                        # an injected failure may eat a reply; the log is checked below
                        with contextlib.suppress(AssertionError):
                            replies.append(message_text(await record.wait_final(timeout=6)))
                record = await double.invoke(guild, member, "digest", {"episode": "Open weights"})
                with contextlib.suppress(AssertionError):
                    replies.append(message_text(await record.wait_final(timeout=8)))
                await process.stop(signal.SIGTERM)
            finally:
                await process.kill_quietly()
            run_log = process.log

            # Discord rejects the token: the refusal is explained without echoing it.
            bad = {**env, "DISCORD_TOKEN": TOKEN[::-1]}
            rejected = await _run_once(bad, tmp_path)
        # A bad setting next to the secrets: the error names the setting, not the values around it.
        invalid = await _run_once({**env, "LLM_TIMEOUT": "not-a-number"}, tmp_path)
    finally:
        await llm.close()

    assert "Traceback" in run_log or "error" in run_log.lower()  # errors really happened and were logged
    assert "Discord rejected DISCORD_TOKEN" in rejected and TOKEN[::-1] not in rejected
    assert "LLM_TIMEOUT" in invalid
    sources: dict[str, str] = {
        "bot log": run_log,
        "rejected-token run": rejected,
        "bad-setting run": invalid,
        "replies": "\n".join(replies),
        "messages": "\n".join(message_text(m) for m in double.world.messages.values()),
        "requests to Discord": "\n".join(json.dumps(r.json, default=str) for r in double.requests),
        "requests to the LLM": "\n".join(json.dumps(r, default=str) for r in llm.requests),
    }
    found = {name: leaks(text) for name, text in sources.items() if leaks(text)}
    assert found == {}, found
    size = sum(len(text) for text in sources.values())
    figure(
        "secrets",
        f"searched {size / 1024:.0f} KB of logs, replies, messages and request bodies "
        f"({len(double.requests)} Discord requests, {len(llm.requests)} LLM requests, "
        f"{run_log.count('Traceback')} tracebacks logged): token, API key and poll secret found 0 times",
    )


async def _run_once(env: dict[str, str], cwd: Path) -> str:
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env=bot_subprocess_env(**env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode != 0
    del cwd
    return out.decode(errors="replace")
