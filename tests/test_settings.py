from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.settings import NEWSLETTER_FEED, PODCAST_FEED, Settings, SettingsError, load_settings


def test_defaults_follow_the_real_feeds(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    assert settings.podcast_feed_url == PODCAST_FEED == "https://anchor.fm/s/f7cac464/podcast/rss"
    assert settings.newsletter_feed_url == NEWSLETTER_FEED
    assert settings.discord_token is None
    assert settings.feed_allow_private_hosts is False
    assert not settings.llm_configured


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "abc.def.ghi")
    monkeypatch.setenv("FEED_POLL_INTERVAL", "120")
    monkeypatch.setenv("FEED_ALLOW_PRIVATE_HOSTS", "true")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "abc.def.ghi"
    assert settings.feed_poll_interval == 120
    assert settings.feed_allow_private_hosts is True
    assert settings.log_level == "DEBUG"
    assert settings.llm_configured


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    (tmp_path / ".env").write_text("OPENAI_MODEL=llama3.1:8b\nDISCORD_TOKEN=from-dotenv\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.openai_model == "llama3.1:8b"
    assert settings.discord_token is not None


def test_secrets_never_show_in_repr(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(discord_token="super-secret-token", openai_api_key="sk-very-secret")
    text = repr(settings) + str(settings) + settings.model_dump_json()
    assert "super-secret-token" not in text
    assert "sk-very-secret" not in text


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("FEED_POLL_INTERVAL", "-5", "FEED_POLL_INTERVAL"),
        ("FEED_POLL_INTERVAL", "soon", "FEED_POLL_INTERVAL"),
        ("PODCAST_FEED_URL", "not a url", "PODCAST_FEED_URL"),
        ("NEWSLETTER_FEED_URL", "ftp://example.com/feed", "NEWSLETTER_FEED_URL"),
        ("DISCORD_API_BASE", "discord.com/api", "DISCORD_API_BASE"),
        ("DISCORD_GATEWAY_URL", "http://127.0.0.1:1/", "DISCORD_GATEWAY_URL"),
        ("OPENAI_BASE_URL", "localhost:11434", "OPENAI_BASE_URL"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("FEED_ALLOW_PRIVATE_HOSTS", "perhaps", "FEED_ALLOW_PRIVATE_HOSTS"),
        ("POLL_SECRET", "short", "POLL_SECRET"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path, variable: str, value: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_blank_token_counts_as_unset(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "  ")
    assert load_settings().discord_token is None


def test_env_example_documents_every_setting() -> None:
    from tests.conftest import ROOT

    text = (ROOT / ".env.example").read_text()
    lines = text.splitlines()
    for name in Settings.model_fields:
        variable = name.upper()
        index = next((i for i, line in enumerate(lines) if line.startswith(f"{variable}=")), None)
        assert index is not None, f"{variable} missing from .env.example"
        assert lines[index - 1].startswith("# "), f"{variable} has no comment line above it"
