"""Every extension loads together, and the command tree they build stays within Discord's limits.

Fails on clashing names, descriptions over the limits, undescribed options and anything the protocol
double's bulk-sync validation (Discord's rules) would refuse.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from discord import app_commands

from bot.client import CommunityBot
from bot.runner import create_bot, extension_names
from bot.settings import Settings
from bot.store import Store
from tests.doubles.discord.commands import validate_commands

NAME = re.compile(r"^[-_\w]{1,32}$")
UNDESCRIBED = "…"  # what discord.py puts where an option has no description
OWN_ROOTS = {"latest", "episode", "search", "help", "about"}
OWN_ADMIN = {"setup", "status", "audit"}


@pytest.fixture
async def loaded(store: Store, make_settings: Callable[..., Settings]) -> AsyncIterator[CommunityBot]:
    async with aiohttp.ClientSession() as session:
        bot = create_bot(make_settings(discord_token="x" * 40), store, session, sync_commands=False)
        async with bot:  # initialised without logging in: loops wait for a readiness that never comes
            await bot.setup_hook()
            yield bot


def _walk(payload: list[dict[str, Any]], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for item in payload:
        here = f"{path} {item['name']}".strip()
        yield here, item
        yield from _walk([o for o in item.get("options", []) if o.get("type") in (1, 2)], here)


async def test_every_extension_loads(loaded: CommunityBot) -> None:
    assert sorted(loaded.extensions) == extension_names()
    assert {"cogs.members", "cogs.console", "cogs.about"} <= set(loaded.extensions)


async def test_the_tree_passes_discords_validation_and_limits(loaded: CommunityBot) -> None:
    payload = loaded.command_payload()
    validate_commands(payload)  # raises what Discord's bulk overwrite would answer
    assert len(payload) <= 100
    roots = [item["name"] for item in payload]
    assert len(roots) == len(set(roots)), f"clashing top-level names: {roots}"
    problems = []
    for path, command in _walk(payload):
        if not NAME.match(command["name"]) or command["name"] != command["name"].lower():
            problems.append(f"/{path}: bad name")
        if not 1 <= len(command.get("description", "")) <= 100:
            problems.append(f"/{path}: description length {len(command.get('description', ''))}")
        children = command.get("options", [])
        names = [o["name"] for o in children]
        if len(names) != len(set(names)):
            problems.append(f"/{path}: clashing option or subcommand names {names}")
        if len(children) > 25:
            problems.append(f"/{path}: {len(children)} options")
        for option in _leaf_options(command):
            if not 1 <= len(option.get("description", "")) <= 100:
                problems.append(f"/{path} {option['name']}: option description length")
    assert problems == [], "\n".join(problems)


def _leaf_options(command: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in command.get("options", []) if o.get("type") not in (1, 2)]


def undescribed_options(payload: list[dict[str, Any]]) -> list[str]:
    """Options left without a description (discord.py then sends "…")."""
    return [
        f"/{path} {option['name']}"
        for path, command in _walk(payload)
        for option in _leaf_options(command)
        if option.get("description") in (None, "", UNDESCRIBED)
    ]


async def test_options_of_the_command_surface_are_described(loaded: CommunityBot) -> None:
    surface = [c.to_dict(loaded.tree) for c in loaded.tree.get_commands() if c.name in OWN_ROOTS]
    admin = loaded.tree.get_command("admin")
    assert isinstance(admin, app_commands.Group)
    surface += [
        {"name": "admin", "options": [c.to_dict(loaded.tree) for c in admin.commands if c.name in OWN_ADMIN]}
    ]
    assert undescribed_options(surface) == []


async def test_every_option_is_described(loaded: CommunityBot) -> None:
    assert undescribed_options(loaded.command_payload()) == []


async def test_admin_commands_are_hidden_guild_only_and_include_the_console(loaded: CommunityBot) -> None:
    admin = loaded.tree.get_command("admin")
    assert isinstance(admin, app_commands.Group)
    assert admin.default_permissions is not None and admin.default_permissions.manage_guild
    assert admin.guild_only
    assert {"setup", "status", "audit"} <= {c.name for c in admin.commands}
    for name in ("latest", "episode", "search"):
        command = loaded.tree.get_command(name)
        assert command is not None and command.guild_only and command.default_permissions is None
