"""The pure rules of the console: permissions needed per channel use, ping roles, audit arguments."""

from __future__ import annotations

from datetime import UTC, datetime

import discord

from bot.audit import HIDDEN, audit_line, is_audited, render_arguments
from bot.console.permissions import channel_uses, check_channel, check_role, missing_for
from bot.store import Store
from bot.store.audit import NewAuditEntry
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401  (store on both engines)

ALL_TEXT = discord.Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    create_public_threads=True,
    send_messages_in_threads=True,
    manage_threads=True,
)


def test_each_use_needs_its_permissions_named_as_discord_shows_them() -> None:
    assert missing_for(ALL_TEXT, ("announce_text", "modlog")) == ()
    no_threads = discord.Permissions(ALL_TEXT.value)
    no_threads.create_public_threads = no_threads.manage_threads = False
    assert missing_for(no_threads, ("announce_text",)) == ("Create Public Threads", "Manage Threads")
    assert missing_for(no_threads, ("announce_forum",)) == ("Manage Threads",)  # forums need no thread create
    no_send = discord.Permissions(ALL_TEXT.value)
    no_send.send_messages = False
    assert missing_for(no_send, ("announce_forum",)) == ("Create Posts",)
    assert missing_for(no_send, ("announce_text", "modlog")) == ("Send Messages",)  # each name once
    assert missing_for(discord.Permissions(administrator=True), ("announce_text",)) == ()
    check = check_channel(5, discord.Permissions.none(), ("modlog",))
    assert check.describe() == "❌ <#5> (mod-log): missing View Channel, Send Messages, Embed Links"


def test_a_channel_used_twice_is_checked_for_both_uses() -> None:
    uses = channel_uses(announce={1: False, 2: True}, modlog=1, threads={3, 2})
    assert uses == {1: ("announce_text", "modlog"), 2: ("announce_forum",), 3: ("threads",)}


def test_ping_roles_must_be_assignable() -> None:
    manage = discord.Permissions(manage_roles=True)
    common = {"managed": False, "is_default": False, "bot_top_position": 10}
    assert check_role(role_id=1, role_position=3, bot_permissions=manage, **common).problem is None
    above = check_role(role_id=1, role_position=10, bot_permissions=manage, **common)
    assert above.problem is not None and "at or above my highest role" in above.problem
    no_manage = check_role(role_id=1, role_position=3, bot_permissions=discord.Permissions.none(), **common)
    assert no_manage.problem is not None and "Manage Roles" in no_manage.problem
    managed = check_role(
        role_id=1,
        role_position=3,
        bot_permissions=manage,
        managed=True,
        is_default=False,
        bot_top_position=10,
    )
    assert managed.problem is not None and "managed" in managed.problem


def test_audited_commands_and_their_arguments() -> None:
    assert is_audited("admin feed add") and is_audited("admin setup") and is_audited("poll create")
    assert not is_audited("search") and not is_audited("poll vote") and not is_audited("administrator")
    rendered = render_arguments(
        [
            ("url", "https://example.com/feed.xml   with\nspaces"),
            ("api_key", "sk-very-secret"),
            ("webhook_token", "abc"),
            ("count", 3),
            ("unset", None),
            ("long", "x" * 500),
        ]
    )
    assert rendered["url"] == "https://example.com/feed.xml with spaces"
    assert rendered["api_key"] == HIDDEN and rendered["webhook_token"] == HIDDEN
    assert rendered["count"] == "3" and "unset" not in rendered and len(rendered["long"]) <= 200


def test_an_audit_line_names_who_and_what_without_pinging() -> None:
    entry = NewAuditEntry(
        guild_id=1,
        user_id=42,
        user_name="mod",
        command="admin feed add",
        arguments={"url": "https://x.test/@everyone"},
        created_at=datetime(2026, 1, 2, tzinfo=UTC),
    )
    line = audit_line(entry)
    assert line.startswith("🛠️ <@42> ran `/admin feed add`") and "@\u200beveryone" in line
    assert line.endswith(f"<t:{int(entry.created_at.timestamp())}:R>")


async def test_audit_log_is_per_guild_filterable_and_paged(store: Store) -> None:
    for n in range(12):
        await store.audit.record(
            NewAuditEntry(
                guild_id=1,
                user_id=10 + n % 2,
                user_name="m",
                command=f"admin feed {'add' if n % 3 else 'remove'}",
            )
        )
    await store.audit.record(NewAuditEntry(guild_id=2, user_id=99, user_name="x", command="admin setup"))
    assert await store.audit.count(1) == 12 and await store.audit.count(2) == 1
    assert (
        len(await store.audit.recent(1, limit=10)) == 10 and len(await store.audit.recent(1, offset=10)) == 2
    )
    assert await store.audit.count(1, user_id=10) == 6
    assert await store.audit.count(1, command="admin feed") == 12
    assert await store.audit.count(1, command="admin feed remove") == 4
    assert (
        await store.audit.count(1, command="admin") == 12
        and await store.audit.count(1, command="admin f") == 0
    )
    assert set(await store.audit.commands(1)) == {"admin feed add", "admin feed remove"}
    assert await store.audit.commands(2, "set") == ["admin setup"]
    assert [e.guild_id for e in await store.audit.recent(2)] == [2]
