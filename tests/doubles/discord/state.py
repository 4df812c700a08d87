"""The double's world: every entity, the lookups the REST layer needs, and Discord's permission maths."""

from __future__ import annotations

import time
from typing import Any

from . import errors as err
from .constants import ChannelType, MessageFlags, P
from .models import Channel, Guild, Member, Message, Role, Snowflakes, User, as_int

#: How long ``enforce_nonce`` remembers a nonce (Discord: "a few minutes").
NONCE_WINDOW_SECONDS = 5 * 60


class World:
    """All state. Deleted channels and messages are kept (flagged) so tests can still inspect them."""

    def __init__(self, *, bot_name: str = "TestBot") -> None:
        self.ids = Snowflakes()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.dm_channels: dict[int, int] = {}
        self._nonces: dict[tuple[int, int, str], tuple[int, float]] = {}
        self.bot = self.add_user(bot_name, bot=True)

    @property
    def application_id(self) -> int:
        # Applications created since 2020 share the id of their bot user.
        return self.bot.id

    # Creation --------------------------------------------------------------------------------------

    def add_user(self, username: str, *, bot: bool = False, global_name: str | None = None) -> User:
        user = User(id=self.ids.next(), username=username, bot=bot, global_name=global_name)
        self.users[user.id] = user
        return user

    def add_channel(self, channel: Channel) -> Channel:
        self.channels[channel.id] = channel
        self.channel_messages.setdefault(channel.id, [])
        if channel.guild_id is not None and not channel.is_thread:
            self.guilds[channel.guild_id].channel_ids.append(channel.id)
        return channel

    def add_message(self, message: Message) -> Message:
        self.messages[message.id] = message
        if not message.ephemeral:
            in_channel = self.channel_messages.setdefault(message.channel_id, [])
            in_channel.append(message.id)
            channel = self.channels.get(message.channel_id)
            if channel is not None:
                if channel.is_thread:
                    message.position = len(in_channel) - 1
                channel.last_message_id = message.id
                if channel.is_thread and message.type not in (18, 21):
                    channel.message_count += 1
                    channel.total_message_sent += 1
        return message

    # Lookups (raise Discord errors) ----------------------------------------------------------------

    def user(self, user_id: Any) -> User:
        user = self.users.get(as_int(user_id))
        if user is None:
            raise err.unknown_user()
        return user

    def guild(self, guild_id: Any) -> Guild:
        guild = self.guilds.get(as_int(guild_id))
        if guild is None:
            raise err.unknown_guild()
        return guild

    def channel(self, channel_id: Any) -> Channel:
        channel = self.channels.get(as_int(channel_id))
        if channel is None or channel.deleted:
            raise err.unknown_channel()
        if channel.parent_id is not None and self.channels[channel.parent_id].deleted:
            raise err.unknown_channel()
        return channel

    def member(self, guild: Guild, user_id: Any) -> Member:
        member = guild.members.get(as_int(user_id))
        if member is None:
            raise err.unknown_member()
        return member

    def role(self, guild: Guild, role_id: Any) -> Role:
        role = guild.roles.get(as_int(role_id))
        if role is None:
            raise err.unknown_role()
        return role

    def message(self, channel: Channel, message_id: Any) -> Message:
        message = self.messages.get(as_int(message_id))
        if message is None or message.deleted or message.channel_id != channel.id or message.ephemeral:
            raise err.unknown_message()
        return message

    def guild_of(self, channel: Channel) -> Guild | None:
        return None if channel.guild_id is None else self.guilds[channel.guild_id]

    def bot_member(self, guild: Guild) -> Member:
        return guild.members[self.bot.id]

    def messages_in(self, channel_id: int, *, include_deleted: bool = False) -> list[Message]:
        found = (self.messages[i] for i in self.channel_messages.get(channel_id, []))
        return [m for m in found if include_deleted or not m.deleted]

    def threads_of(self, guild: Guild) -> list[Channel]:
        return [c for c in self.channels.values() if c.guild_id == guild.id and c.is_thread and not c.deleted]

    def guild_channels(self, guild: Guild) -> list[Channel]:
        return [self.channels[i] for i in guild.channel_ids if not self.channels[i].deleted]

    # Permissions -----------------------------------------------------------------------------------

    def base_permissions(self, guild: Guild, member: Member) -> int:
        if guild.owner_id == member.id:
            return P.ALL
        perms = guild.everyone_role.permissions
        for role_id in member.role_ids:
            role = guild.roles.get(role_id)
            if role is not None:
                perms |= role.permissions
        return P.ALL if perms & P.ADMINISTRATOR else perms

    def channel_permissions(self, channel: Channel, member: Member) -> int:
        """Discord's algorithm: base, then @everyone, role and member overwrites (threads use the parent)."""
        guild = self.guild_of(channel)
        if guild is None:
            return P.ALL & ~(P.MANAGE_CHANNELS | P.MANAGE_ROLES | P.MANAGE_THREADS | P.ADMINISTRATOR)
        target = self.channels[channel.parent_id] if channel.is_thread and channel.parent_id else channel
        base = self.base_permissions(guild, member)
        if base & P.ADMINISTRATOR:
            return P.ALL
        perms = base
        overwrites = {o.id: o for o in target.overwrites}
        everyone = overwrites.get(guild.id)
        if everyone is not None:
            perms = (perms & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in member.role_ids:
            ow = overwrites.get(role_id)
            if ow is not None and ow.type == 0:
                allow |= ow.allow
                deny |= ow.deny
        perms = (perms & ~deny) | allow
        own = overwrites.get(member.id)
        if own is not None and own.type == 1:
            perms = (perms & ~own.deny) | own.allow
        if not perms & P.VIEW_CHANNEL:
            return 0
        if not perms & P.SEND_MESSAGES and target.type != ChannelType.FORUM:
            # Without Send Messages, the permissions that only apply to sending are implicitly denied.
            perms &= ~(P.MENTION_EVERYONE | P.EMBED_LINKS | P.ATTACH_FILES | P.SEND_TTS_MESSAGES)
        return perms

    def bot_channel_permissions(self, channel: Channel) -> int:
        guild = self.guild_of(channel)
        if guild is None:
            return self.channel_permissions(channel, Member(user=self.bot, guild_id=0))
        return self.channel_permissions(channel, self.bot_member(guild))

    def require(self, channel: Channel, needed: int) -> None:
        """Raise 403 50001 (cannot see the channel) or 50013 (missing a permission) for the bot."""
        perms = self.bot_channel_permissions(channel)
        if not perms & P.VIEW_CHANNEL:
            raise err.missing_access()
        if perms & needed != needed:
            raise err.missing_permissions()

    def require_guild(self, guild: Guild, needed: int) -> None:
        if self.base_permissions(guild, self.bot_member(guild)) & needed != needed:
            raise err.missing_permissions()

    def top_role_position(self, guild: Guild, member: Member) -> int:
        if guild.owner_id == member.id:
            return 1 << 30
        positions = [guild.roles[r].position for r in member.role_ids if r in guild.roles]
        return max(positions, default=0)

    def sorted_roles(self, guild: Guild) -> list[Role]:
        return sorted(guild.roles.values(), key=lambda r: (r.position, r.id))

    # Nonces ----------------------------------------------------------------------------------------

    def find_nonce(self, channel_id: int, author_id: int, nonce: str) -> Message | None:
        entry = self._nonces.get((channel_id, author_id, nonce))
        if entry is None or time.monotonic() - entry[1] > NONCE_WINDOW_SECONDS:
            return None
        message = self.messages.get(entry[0])
        return None if message is None or message.deleted else message

    def remember_nonce(self, message: Message, nonce: str) -> None:
        self._nonces[(message.channel_id, message.author.id, nonce)] = (message.id, time.monotonic())

    # Misc ------------------------------------------------------------------------------------------

    def visible_messages(self, channel: Channel) -> list[Message]:
        return [m for m in self.messages_in(channel.id) if not m.flags & MessageFlags.EPHEMERAL]
