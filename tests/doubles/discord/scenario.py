"""World building and inspection for tests (the awaited actions live in ``actions.py``).

World building (``add_*``, ``deny_bot``...) is synchronous; after the bot has connected it also emits
the gateway events a real server would (GUILD_CREATE, CHANNEL_CREATE, GUILD_MEMBER_ADD...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import payloads
from .constants import FORUM_REQUIRE_TAG, ChannelType, P
from .core import DoubleCore
from .gateway import DispatchedEvent
from .models import Channel, ForumTag, Guild, Member, Message, Overwrite, Role, as_int, as_permissions


class Scenario(DoubleCore):
    """Mixed into :class:`~.server.DiscordDouble`."""

    # World building --------------------------------------------------------------------------------

    def add_guild(
        self,
        name: str = "Test Guild",
        *,
        owner: str | Any = "owner",
        bot_permissions: Any = P.BOT_DEFAULT,
        bot_role_position: int = 50,
        everyone_permissions: Any = P.EVERYONE_DEFAULT,
        shard: tuple[int, int] | None = None,
    ) -> Guild:
        """A guild the bot is in, with @everyone, the bot's managed role and an owner member.

        `shard=(shard_id, shard_count)` picks an id that Discord's rule `(id >> 22) % shard_count` puts on
        that shard, so its events go to that shard's gateway session only.
        """
        world = self.world
        owner_user = world.add_user(owner) if isinstance(owner, str) else world.user(owner)
        guild_id = world.ids.next() if shard is None else world.ids.next_on_shard(*shard)
        guild = Guild(id=guild_id, name=name, owner_id=owner_user.id)
        world.guilds[guild.id] = guild
        guild.roles[guild.id] = Role(
            id=guild.id, guild_id=guild.id, name="@everyone", permissions=as_permissions(everyone_permissions)
        )
        bot_role = Role(
            id=world.ids.next(),
            guild_id=guild.id,
            name=world.bot.username,
            permissions=as_permissions(bot_permissions),
            position=bot_role_position,
            managed=True,
            bot_id=world.bot.id,
        )
        guild.roles[bot_role.id] = bot_role
        guild.members[owner_user.id] = Member(user=owner_user, guild_id=guild.id)
        guild.members[world.bot.id] = Member(user=world.bot, guild_id=guild.id, role_ids=[bot_role.id])
        if self.gateway.live_sessions:
            self._announce_guild(guild)
        return guild

    def _announce_guild(self, guild: Guild) -> None:
        guild.announced = True
        for session in self.gateway.live_sessions:
            if not session.sees_guild(guild.id):
                continue  # another shard's guild
            data = payloads.guild_create(self.world, guild, all_members=bool(session.intents & (1 << 8)))
            data.pop("unavailable")  # a guild joined after READY: discord.py fires on_guild_join
            session.send("GUILD_CREATE", data)
        self.gateway.events.append(
            DispatchedEvent("GUILD_CREATE", payloads.guild_create(self.world, guild, all_members=False))
        )
        self.touch()

    def _guild_event(self, guild: Guild, event: str, data: dict[str, Any]) -> None:
        if guild.announced:
            self.dispatch(event, data, guild_id=guild.id)
        self.touch()

    def add_channel_to(
        self,
        guild: Guild,
        name: str,
        *,
        type: int = ChannelType.TEXT,
        topic: str | None = None,
        category: Channel | None = None,
        tags: Iterable[str] = (),
        require_tag: bool = False,
    ) -> Channel:
        world = self.world
        channel = Channel(
            id=world.ids.next(),
            type=type,
            name=name,
            guild_id=guild.id,
            topic=topic,
            position=len(guild.channel_ids),
            parent_id=None if category is None else category.id,
            available_tags=[ForumTag(id=world.ids.next(), name=t) for t in tags],
            flags=FORUM_REQUIRE_TAG if require_tag else 0,
        )
        world.add_channel(channel)
        if guild.system_channel_id is None and type == ChannelType.TEXT:
            guild.system_channel_id = channel.id
        self._guild_event(guild, "CHANNEL_CREATE", payloads.channel(world, channel))
        return channel

    def add_text_channel(
        self,
        guild: Guild,
        name: str,
        *,
        topic: str | None = None,
        category: Channel | None = None,
    ) -> Channel:
        return self.add_channel_to(guild, name, topic=topic, category=category)

    def add_forum_channel(
        self, guild: Guild, name: str, *, tags: Iterable[str] = (), require_tag: bool = False
    ) -> Channel:
        return self.add_channel_to(guild, name, type=ChannelType.FORUM, tags=tags, require_tag=require_tag)

    def add_category(self, guild: Guild, name: str) -> Channel:
        return self.add_channel_to(guild, name, type=ChannelType.CATEGORY)

    def add_role(
        self,
        guild: Guild,
        name: str,
        *,
        permissions: Any = 0,
        position: int | None = None,
        mentionable: bool = False,
        color: int = 0,
        hoist: bool = False,
    ) -> Role:
        """A role; by default just above the other ordinary roles but below the bot's role."""
        if position is None:
            ceiling = self.bot_role(guild).position
            below = [r.position for r in guild.roles.values() if not r.managed and 0 < r.position < ceiling]
            position = min(max(below, default=0) + 1, ceiling - 1)
        role = Role(
            id=self.world.ids.next(),
            guild_id=guild.id,
            name=name,
            permissions=as_permissions(permissions),
            position=position,
            mentionable=mentionable,
            color=color,
            hoist=hoist,
        )
        guild.roles[role.id] = role
        self._guild_event(
            guild, "GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": payloads.role(role)}
        )
        return role

    def add_member(
        self,
        guild: Guild,
        name: str,
        *,
        roles: Iterable[Role] = (),
        permissions: Any = None,
        bot: bool = False,
        dms_open: bool = True,
        nick: str | None = None,
    ) -> Member:
        """A member. ``permissions`` creates a personal role ``"<name> permissions"`` granting them."""
        user = self.world.add_user(name, bot=bot)
        user.dms_open = dms_open
        role_ids = [as_int(r) for r in roles]
        if permissions is not None:
            role_ids.append(self.add_role(guild, f"{name} permissions", permissions=permissions).id)
        member = Member(user=user, guild_id=guild.id, role_ids=role_ids, nick=nick)
        guild.members[user.id] = member
        data = payloads.member(self.world, member) | {"guild_id": str(guild.id)}
        self._guild_event(guild, "GUILD_MEMBER_ADD", data)
        return member

    def bot_member(self, guild: Guild) -> Member:
        return self.world.bot_member(guild)

    def bot_role(self, guild: Guild) -> Role:
        return next(r for r in guild.roles.values() if r.bot_id == self.world.bot.id)

    def set_bot_permissions(self, guild: Guild, permissions: Any) -> None:
        role = self.bot_role(guild)
        role.permissions = as_permissions(permissions)
        self._guild_event(
            guild, "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": payloads.role(role)}
        )

    def set_overwrite(self, channel: Channel, target: Any, *, allow: Any = 0, deny: Any = 0) -> None:
        """Set a permission overwrite on a channel for a role or member (replacing an existing one)."""
        ident = as_int(target)
        guild = self.world.guild(channel.guild_id)
        kind = 0 if ident in guild.roles else 1
        channel.overwrites = [o for o in channel.overwrites if o.id != ident]
        if as_permissions(allow) or as_permissions(deny):
            channel.overwrites.append(Overwrite(ident, kind, as_permissions(allow), as_permissions(deny)))
        self._guild_event(guild, "CHANNEL_UPDATE", payloads.channel(self.world, channel))

    def deny_bot(self, channel: Channel, permissions: Any = P.WRITE) -> None:
        """Deny the bot ``permissions`` in ``channel``: sends then fail with 403 50013 Missing Permissions."""
        self.set_overwrite(channel, self.world.bot.id, deny=permissions)

    def allow_bot(self, channel: Channel) -> None:
        self.set_overwrite(channel, self.world.bot.id)

    # Inspection ------------------------------------------------------------------------------------

    def messages_in(self, channel: Any, *, include_deleted: bool = False) -> list[Message]:
        """Messages in a channel or thread, oldest first (ephemeral ones are not in channels)."""
        return self.world.messages_in(as_int(channel), include_deleted=include_deleted)

    @property
    def threads(self) -> list[Channel]:
        return [c for c in self.world.channels.values() if c.is_thread and not c.deleted]

    def thread_named(self, name: str) -> Channel:
        for thread in self.threads:
            if thread.name == name:
                return thread
        raise KeyError(f"no thread named {name!r}; threads: {[t.name for t in self.threads]}")

    def commands(self, guild: Any = None) -> list[dict[str, Any]]:
        """The command payloads as synced (global by default, or for ``guild``), with ids."""
        return self.command_store.commands(None if guild is None else as_int(guild))

    def command_named(self, name: str, guild: Any = None) -> dict[str, Any]:
        for command in self.commands(guild):
            if command["name"] == name:
                return command
        raise KeyError(f"command {name!r} not synced; synced: {[c['name'] for c in self.commands(guild)]}")

    async def wait_for_message(
        self,
        channel_id: Any = None,
        predicate: Callable[[Message], bool] | None = None,
        *,
        author: Any = None,
        after: Any = None,
        timeout: float = 5.0,
    ) -> Message:
        """The first (oldest) message matching: in ``channel_id``, by ``author`` (default: the bot), with an
        id above ``after``, and satisfying ``predicate``. Already-sent messages count."""
        author_id = self.world.bot.id if author is None else as_int(author)
        after_id = 0 if after is None else as_int(after)
        channel = None if channel_id is None else as_int(channel_id)

        def find() -> Message | None:
            for message in self.world.messages.values():
                if (
                    message.deleted
                    or message.ephemeral
                    or message.id <= after_id
                    or message.author.id != author_id
                ):
                    continue
                if channel is not None and message.channel_id != channel:
                    continue
                if predicate is None or predicate(message):
                    return message
            return None

        where = f"in {channel}" if channel else "anywhere"
        return await self.wait_for(find, timeout=timeout, description=f"a message {where} from {author_id}")
