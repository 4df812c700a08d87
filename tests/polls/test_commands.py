"""The `/poll` command group as Discord receives it: names, descriptions and options within the limits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from bot.client import CommunityBot
from bot.runner import create_bot
from bot.settings import Settings
from bot.store import Store


@pytest.fixture
async def offline_bot(make_settings: Callable[..., Settings], store: Store) -> AsyncIterator[CommunityBot]:
    async with aiohttp.ClientSession() as session:
        bot = create_bot(make_settings(), store, session, extensions=["cogs.polls"], sync_commands=False)
        await bot.load_extension("cogs.polls")
        try:
            yield bot
        finally:
            await bot.unload_extension("cogs.polls")
            await bot.close()


def _walk(options: list[dict]) -> list[dict]:
    found = []
    for option in options:
        found.append(option)
        found += _walk(option.get("options", []))
    return found


async def test_every_poll_command_and_option_fits_discords_limits(offline_bot: CommunityBot) -> None:
    group = offline_bot.tree.get_command("poll")
    assert group is not None
    payload = group.to_dict(offline_bot.tree)
    subcommands = {option["name"] for option in payload["options"]}
    assert subcommands == {"create", "close", "results", "trend", "settings"}
    for option in [payload, *_walk(payload["options"])]:
        assert 1 <= len(option["description"]) <= 100, option["name"]
        assert option["name"] == option["name"].lower() and len(option["name"]) <= 32
    options = {o["name"]: o for o in _walk(payload["options"])}
    assert options["poll"]["autocomplete"] is True
    assert {c["value"] for c in options["mode"]["choices"]} == {"native", "anonymous"}
    assert payload["dm_permission"] is False  # guild only


async def test_anonymous_vote_buttons_fit_discords_component_limits(
    offline_bot: CommunityBot, store: Store
) -> None:
    from cogs.polls.views import vote_view

    cog = offline_bot.get_cog("Polls")
    service = cog.service  # type: ignore[union-attr]
    from datetime import timedelta

    from bot.polls.models import PollMode
    from bot.polls.spec import build_spec
    from bot.timeutil import utcnow

    spec = build_spec(
        question="q", answers=[f"answer {i} " + "x" * 44 for i in range(10)], duration_hours=1,
        multiple=False, mode=PollMode.ANONYMOUS,
    )  # fmt: skip
    poll, _ = await service.repo.create(
        spec,
        guild_id=1,
        channel_id=2,
        nonce="p" + "9" * 19,
        created_at=utcnow(),
        closes_at=utcnow() + timedelta(hours=1),
    )
    poll = poll.__class__(**{**{f: getattr(poll, f) for f in poll.__dataclass_fields__}, "id": 10**18})
    rows = vote_view(poll).to_components()
    assert len(rows) == 3
    buttons = [button for row in rows for button in row["components"]]
    assert len(buttons) == 12
    assert all(len(button["custom_id"]) <= 100 and len(button["label"]) <= 80 for button in buttons)
    assert buttons[0]["custom_id"] == f"polls:vote:{10**18}:1"
