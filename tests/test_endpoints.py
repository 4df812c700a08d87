from __future__ import annotations

from collections.abc import Callable, Iterator

import discord
import pytest
import yarl

from bot.client import apply_discord_endpoints, bot_intents
from bot.settings import Settings


@pytest.fixture
def restore_endpoints() -> Iterator[None]:
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


def test_endpoints_are_applied_to_discord_py(
    make_settings: Callable[..., Settings], restore_endpoints
) -> None:
    settings = make_settings(
        discord_api_base="http://127.0.0.1:8555/api/v10/", discord_gateway_url="ws://127.0.0.1:8555/"
    )
    apply_discord_endpoints(settings)
    assert discord.http.Route.BASE == "http://127.0.0.1:8555/api/v10"
    route = discord.http.Route("GET", "/users/@me")
    assert route.url == "http://127.0.0.1:8555/api/v10/users/@me"
    assert yarl.URL("ws://127.0.0.1:8555/") == discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    assert settings.endpoint_is_local()


def test_without_overrides_discord_py_talks_to_discord(
    make_settings: Callable[..., Settings], restore_endpoints
) -> None:
    apply_discord_endpoints(make_settings())
    assert discord.http.Route.BASE.startswith("https://discord.com/api/v")
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY).startswith("wss://gateway.discord.gg")


def test_no_privileged_intent_is_requested() -> None:
    intents = bot_intents()
    assert not intents.message_content
    assert not intents.members
    assert not intents.presences
    assert intents.guilds and intents.guild_messages and intents.polls
