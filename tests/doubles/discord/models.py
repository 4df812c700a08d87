"""Plain data model of the fake Discord world: users, guilds, roles, members, channels, messages, polls.

The objects here are what the double stores and what tests inspect. Payload shapes (the JSON that
goes over REST and the gateway) are built from them in ``payloads.py``; nothing here knows about HTTP.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .constants import ChannelType, MessageFlags

DISCORD_EPOCH_MS = 1_420_070_400_000


class Snowflakes:
    """Time-based, strictly increasing Discord snowflakes (``(ms since 2015) << 22 | worker | seq``)."""

    def __init__(self, worker: int = 1, process: int = 0) -> None:
        self._prefix = ((worker & 0x1F) << 17) | ((process & 0x1F) << 12)
        self._last = 0

    def next(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        candidate = (ms << 22) | self._prefix
        # Several ids in the same millisecond: bump the increment; never go backwards.
        value = max(candidate, self._last + 1)
        self._last = value
        return value

    def next_on_shard(self, shard_id: int, shard_count: int) -> int:
        """The next snowflake that Discord's rule `(id >> 22) % shard_count` puts on `shard_id` (a guild
        id: its timestamp moves up to `shard_count - 1` ms ahead, and later ids follow it)."""
        value = self.next()
        shift = (shard_id - (value >> 22)) % shard_count
        if shift:
            value = (((value >> 22) + shift) << 22) | self._prefix
            self._last = value
        return value


def snowflake_time(snowflake: int) -> datetime:
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def as_int(value: Any) -> int:
    """Accept an int, a numeric string, a model object or a discord.py object (anything with ``.id``)."""
    if isinstance(value, bool):
        raise TypeError("a bool is not an id")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value)
    ident = getattr(value, "id", None)
    if ident is None:
        raise TypeError(f"cannot take an id from {value!r}")
    return int(ident)


def as_permissions(value: Any) -> int:
    """Accept an int or a ``discord.Permissions``."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    return int(value.value)


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    #: When False, DMs to this user fail with 50007 (privacy setting "allow DMs from server members").
    dms_open: bool = True

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False
    bot_id: int | None = None

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"


@dataclass
class Member:
    user: User
    guild_id: int
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: datetime = field(default_factory=utcnow)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.username

    @property
    def mention(self) -> str:
        return self.user.mention


@dataclass
class ForumTag:
    id: int
    name: str
    moderated: bool = False
    emoji_name: str | None = None


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0


@dataclass
class Channel:
    """A guild channel, a thread (``parent_id`` set, ``type`` 11/12) or a DM channel (``type`` 1)."""

    id: int
    type: int
    name: str
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    overwrites: list[Overwrite] = field(default_factory=list)
    available_tags: list[ForumTag] = field(default_factory=list)
    flags: int = 0
    last_message_id: int | None = None
    deleted: bool = False
    # thread-only
    owner_id: int | None = None
    applied_tags: list[int] = field(default_factory=list)
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 1440
    archive_timestamp: datetime = field(default_factory=utcnow)
    created_at: datetime = field(default_factory=utcnow)
    message_count: int = 0
    total_message_sent: int = 0
    member_ids: list[int] = field(default_factory=list)
    # DM-only
    recipient_id: int | None = None

    @property
    def is_thread(self) -> bool:
        return self.type in ChannelType.THREADS

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def tag_named(self, name: str) -> ForumTag:
        for tag in self.available_tags:
            if tag.name == name:
                return tag
        raise KeyError(
            f"forum #{self.name} has no tag {name!r} (tags: {[t.name for t in self.available_tags]})"
        )


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    system_channel_id: int | None = None
    features: list[str] = field(default_factory=list)
    #: Set once the guild was announced to the bot (READY/GUILD_CREATE), so later changes emit events.
    announced: bool = False

    @property
    def everyone_role(self) -> Role:
        return self.roles[self.id]


@dataclass
class Attachment:
    id: int
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None
    url: str = ""
    ephemeral: bool = False

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class PollAnswer:
    answer_id: int
    text: str
    emoji: dict[str, Any] | None = None
    voters: list[int] = field(default_factory=list)


@dataclass
class Poll:
    question: str
    answers: list[PollAnswer]
    expiry: datetime
    allow_multiselect: bool = False
    layout_type: int = 1
    finalized: bool = False

    def answer(self, answer_id: int) -> PollAnswer:
        for answer in self.answers:
            if answer.answer_id == answer_id:
                return answer
        raise KeyError(f"poll has no answer {answer_id} (answers: {[a.answer_id for a in self.answers]})")

    def answer_by_text(self, text: str) -> PollAnswer:
        for answer in self.answers:
            if answer.text == text:
                return answer
        raise KeyError(f"poll has no answer {text!r} (answers: {[a.text for a in self.answers]})")


@dataclass
class Message:
    """A stored message. ``allowed_mentions`` is exactly what the bot sent (``None`` when absent)."""

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    poll: Poll | None = None
    flags: int = 0
    type: int = 0
    tts: bool = False
    nonce: str | None = None
    pinned: bool = False
    allowed_mentions: dict[str, Any] | None = None
    mention_user_ids: list[int] = field(default_factory=list)
    mention_role_ids: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    message_reference: dict[str, Any] | None = None
    thread_id: int | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    reactions: dict[str, list[int]] = field(default_factory=dict)
    #: Index of the message in its thread (threads only), as Discord's ``position``.
    position: int | None = None
    created_at: datetime = field(default_factory=utcnow)
    edited_at: datetime | None = None
    deleted: bool = False
    #: Snapshots of ``(content, embeds, components)`` before each edit, oldest first.
    history: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]] = field(default_factory=list)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & MessageFlags.EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & MessageFlags.LOADING)

    @property
    def jump_url(self) -> str:
        return f"https://discord.com/channels/{self.guild_id or '@me'}/{self.channel_id}/{self.id}"

    def custom_ids(self) -> list[str]:
        """Every ``custom_id`` in this message's components (nested ones included)."""
        found: list[str] = []

        def walk(items: list[dict[str, Any]]) -> None:
            for item in items:
                if "custom_id" in item:
                    found.append(item["custom_id"])
                for key in ("components",):
                    walk(item.get(key) or [])
                for key in ("accessory", "component"):
                    if isinstance(item.get(key), dict):
                        walk([item[key]])

        walk(self.components)
        return found

    def text(self) -> str:
        """Content plus embed titles/descriptions/fields: handy for ``in`` assertions."""
        parts = [self.content]
        for embed in self.embeds:
            for key in ("title", "description"):
                if embed.get(key):
                    parts.append(str(embed[key]))
            for fld in embed.get("fields") or []:
                parts.append(f"{fld.get('name', '')}: {fld.get('value', '')}")
            if (embed.get("footer") or {}).get("text"):
                parts.append(embed["footer"]["text"])
        return "\n".join(p for p in parts if p)
