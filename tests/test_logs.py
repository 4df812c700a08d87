from __future__ import annotations

import io
import logging

from bot.logs import register_secrets, setup_logging


def test_registered_secrets_never_reach_the_log() -> None:
    stream = io.StringIO()
    setup_logging("DEBUG", stream=stream)
    register_secrets(["MTIzNDU2.token.value", "sk-live-abcdef123456"])
    log = logging.getLogger("tests.secret")
    log.info("connecting with %s", "MTIzNDU2.token.value")
    try:
        raise RuntimeError("bad key sk-live-abcdef123456")
    except RuntimeError:
        log.exception("request failed")
    output = stream.getvalue()
    assert "MTIzNDU2.token.value" not in output
    assert "sk-live-abcdef123456" not in output
    assert output.count("[redacted]") >= 2
    assert "request failed" in output


def test_discord_http_is_kept_at_warning() -> None:
    setup_logging("DEBUG", stream=io.StringIO())
    assert logging.getLogger("discord.http").level == logging.WARNING
