"""The test-facing scenario API: build a world, then act as Discord users and as Discord itself.

World building (``add_*``, ``deny_bot``...) is synchronous; after the bot has connected it also emits
the gateway events a real server would (GUILD_CREATE, CHANNEL_CREATE, GUILD_MEMBER_ADD...). Actions
that a test awaits (``invoke``, ``click``, ``vote``, ``post_message``...) dispatch events to the bot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from . import payloads
from .errors import ScenarioError
from .models import (
    Channel,
    ChannelType,
    ForumTag,
    Guild,
    Member,
    Message,
    Overwrite,
    P,
    Role,
    as_int,
    as_permissions,
    utcnow,
)
from .transport import UploadedFile

if TYPE_CHECKING:
    from .interactions import InteractionRecord
    from .server import DiscordDouble

FORUM_REQUIRE_TAG = 1 << 4


class Scenario:
    """Mixed into :class:`DiscordDouble`; ``self`` is the double."""

    # World building --------------------------------------------------------------------------------

    def add_guild(
        self: DiscordDouble,
        name: str = "Test Guild",
        *,
        owner: str | Any = "owner",
        bot_permissions: Any = P.BOT_DEFAULT,
        bot_role_position: int = 50,
        everyone_permissions: Any = P.EVERYONE_DEFAULT,
    ) -> Guild:
        """A guild the bot is in, with @everyone, the bot's managed role and an owner member."""
        world = self.world
        owner_user = world.add_user(owner) if isinstance(owner, str) else world.user(owner)
        guild = Guild(id=world.ids.next(), name=name, owner_id=owner_user.id)
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

    def _announce_guild(self: DiscordDouble, guild: Guild) -> None:
        guild.announced = True
        for session in self.gateway.live_sessions:
            data = payloads.guild_create(self.world, guild, all_members=bool(session.intents & (1 << 8)))
            data.pop("unavailable")  # a guild joined after READY: discord.py fires on_guild_join
            session.send("GUILD_CREATE", data)
        self.touch()

    def _guild_event(self: DiscordDouble, guild: Guild, event: str, data: dict[str, Any]) -> None:
        if guild.announced:
            self.dispatch(event, data, guild_id=guild.id)
        self.touch()

    def add_channel_to(
        self: DiscordDouble,
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
        self: DiscordDouble,
        guild: Guild,
        name: str,
        *,
        topic: str | None = None,
        category: Channel | None = None,
    ) -> Channel:
        return self.add_channel_to(guild, name, topic=topic, category=category)

    def add_forum_channel(
        self: DiscordDouble, guild: Guild, name: str, *, tags: Iterable[str] = (), require_tag: bool = False
    ) -> Channel:
        return self.add_channel_to(guild, name, type=ChannelType.FORUM, tags=tags, require_tag=require_tag)

    def add_category(self: DiscordDouble, guild: Guild, name: str) -> Channel:
        return self.add_channel_to(guild, name, type=ChannelType.CATEGORY)

    def add_role(
        self: DiscordDouble,
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
        self: DiscordDouble,
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

    def bot_member(self: DiscordDouble, guild: Guild) -> Member:
        return self.world.bot_member(guild)

    def bot_role(self: DiscordDouble, guild: Guild) -> Role:
        return next(r for r in guild.roles.values() if r.bot_id == self.world.bot.id)

    def set_bot_permissions(self: DiscordDouble, guild: Guild, permissions: Any) -> None:
        role = self.bot_role(guild)
        role.permissions = as_permissions(permissions)
        self._guild_event(
            guild, "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": payloads.role(role)}
        )

    def set_overwrite(
        self: DiscordDouble, channel: Channel, target: Any, *, allow: Any = 0, deny: Any = 0
    ) -> None:
        """Set a permission overwrite on a channel for a role or member (replacing an existing one)."""
        ident = as_int(target)
        guild = self.world.guild(channel.guild_id)
        kind = 0 if ident in guild.roles else 1
        channel.overwrites = [o for o in channel.overwrites if o.id != ident]
        if as_permissions(allow) or as_permissions(deny):
            channel.overwrites.append(Overwrite(ident, kind, as_permissions(allow), as_permissions(deny)))
        self._guild_event(guild, "CHANNEL_UPDATE", payloads.channel(self.world, channel))

    def deny_bot(self: DiscordDouble, channel: Channel, permissions: Any = P.WRITE) -> None:
        """Deny the bot ``permissions`` in ``channel``: sends then fail with 403 50013 Missing Permissions."""
        self.set_overwrite(channel, self.world.bot.id, deny=permissions)

    def allow_bot(self: DiscordDouble, channel: Channel) -> None:
        self.set_overwrite(channel, self.world.bot.id)

    # Inspection ------------------------------------------------------------------------------------

    def messages_in(self: DiscordDouble, channel: Any, *, include_deleted: bool = False) -> list[Message]:
        """Messages in a channel or thread, oldest first (ephemeral ones are not in channels)."""
        return self.world.messages_in(as_int(channel), include_deleted=include_deleted)

    @property
    def threads(self: DiscordDouble) -> list[Channel]:
        return [c for c in self.world.channels.values() if c.is_thread and not c.deleted]

    def thread_named(self: DiscordDouble, name: str) -> Channel:
        for thread in self.threads:
            if thread.name == name:
                return thread
        raise KeyError(f"no thread named {name!r}; threads: {[t.name for t in self.threads]}")

    def commands(self: DiscordDouble, guild: Any = None) -> list[dict[str, Any]]:
        """The command payloads as synced (global by default, or for ``guild``), with ids."""
        return self.command_store.commands(None if guild is None else as_int(guild))

    def command_named(self: DiscordDouble, name: str, guild: Any = None) -> dict[str, Any]:
        for command in self.commands(guild):
            if command["name"] == name:
                return command
        raise KeyError(f"command {name!r} not synced; synced: {[c['name'] for c in self.commands(guild)]}")

    async def wait_for_message(
        self: DiscordDouble,
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

    # Interactions ----------------------------------------------------------------------------------

    def _default_channel(self: DiscordDouble, guild: Guild) -> Channel:
        if guild.system_channel_id is not None:
            return self.world.channel(guild.system_channel_id)
        text = [c for c in self.world.guild_channels(guild) if c.type == ChannelType.TEXT]
        if not text:
            raise ScenarioError(f"guild {guild.name!r} has no text channel to run the command in")
        return text[0]

    def _deliver(self: DiscordDouble, record: InteractionRecord) -> InteractionRecord:
        if not self.gateway.connected and not self.gateway.live_sessions:
            raise ScenarioError("no bot is connected to the gateway; start the client first")
        self.dispatch("INTERACTION_CREATE", record.payload, guild_id=record.guild_id)
        self.schedule_expiry(record)
        return record

    async def invoke(
        self: DiscordDouble,
        guild: Guild,
        member: Member,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        channel: Channel | None = None,
        bypass_default_permissions: bool = False,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """Run ``/command`` (``"poll create"`` for sub-commands) as ``member``, from the synced tree."""
        where = channel or self._default_channel(guild)
        record = self.factory.command(
            guild,
            member,
            where,
            command,
            options or {},
            bypass_default_permissions=bypass_default_permissions,
            locale=locale,
        )
        return self._deliver(record)

    async def autocomplete(
        self: DiscordDouble,
        guild: Guild,
        member: Member,
        command: str,
        options: dict[str, Any],
        *,
        focused: str,
        channel: Channel | None = None,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """Type into an autocomplete option; returns the choices the bot answered."""
        where = channel or self._default_channel(guild)
        record = self.factory.command(
            guild, member, where, command, options, focused=focused, bypass_default_permissions=True
        )
        await self._deliver(record).wait_response(timeout)
        return record.choices

    async def click(
        self: DiscordDouble, message: Any, custom_id: str, member: Member, *, values: list[str] | None = None
    ) -> InteractionRecord:
        """Click a button (or pick ``values`` in a select menu) on ``message``."""
        return self._deliver(self.factory.component(self.message(message), custom_id, member, values))

    async def submit_modal(
        self: DiscordDouble, opener: InteractionRecord, member: Member, values: dict[str, Any]
    ) -> InteractionRecord:
        """Fill in and submit the modal the bot opened in answer to ``opener`` (``{custom_id: value}``)."""
        return self._deliver(self.factory.modal_submit(opener, member, values))

    # Member actions --------------------------------------------------------------------------------

    async def post_message(
        self: DiscordDouble,
        channel: Any,
        member: Member,
        content: str = "",
        *,
        embeds: list[dict[str, Any]] | None = None,
        files: Iterable[tuple[str, bytes]] = (),
        reply_to: Any = None,
    ) -> Message:
        """A member posts a message (MESSAGE_CREATE; content hidden without the MESSAGE_CONTENT intent)."""
        target = self.world.channel(as_int(channel))
        needed = P.SEND_MESSAGES_IN_THREADS if target.is_thread else P.SEND_MESSAGES
        if target.guild_id is not None and self.world.channel_permissions(target, member) & needed != needed:
            raise ScenarioError(f"{member.name} cannot send messages in #{target.name}")
        if target.is_thread and target.archived:
            if target.locked:
                raise ScenarioError(f"thread {target.name!r} is locked; members cannot post")
            target.archived = False
            self.channel_routes.emit_thread("THREAD_UPDATE", target)
        body: dict[str, Any] = {"content": content, "embeds": embeds or []}
        if reply_to is not None:
            body["message_reference"] = {"message_id": str(as_int(reply_to))}
        uploads = [UploadedFile(f"files[{i}]", name, data) for i, (name, data) in enumerate(files)]
        message = self.builder.create(target, member.user, body, uploads)
        self.message_routes.post(target, message)
        return message

    async def create_forum_post(
        self: DiscordDouble,
        forum: Channel,
        member: Member,
        name: str,
        tags: Iterable[str] = (),
        *,
        content: str = "Post body",
    ) -> tuple[Channel, Message]:
        """A member opens a forum post (THREAD_CREATE, then MESSAGE_CREATE of the starter message)."""
        body = {
            "name": name,
            "applied_tags": [str(forum.tag_named(t).id) for t in tags],
            "message": {"content": content},
        }
        return self.channel_routes.forum_post(forum, member.user, body, [])

    async def archive_thread(self: DiscordDouble, thread: Channel, *, locked: bool = False) -> None:
        """Archive (auto-archive or a moderator) a thread: THREAD_UPDATE with ``archived: true``."""
        thread.archived, thread.locked = True, locked or thread.locked
        thread.archive_timestamp = utcnow()
        self.channel_routes.emit_thread("THREAD_UPDATE", thread)

    async def delete_thread(self: DiscordDouble, thread: Channel) -> None:
        self.channel_routes.delete_channel(thread)

    async def delete_channel(self: DiscordDouble, channel: Channel) -> None:
        """Delete a channel mid-run: CHANNEL_DELETE now, 404 10003 Unknown Channel for later requests."""
        self.channel_routes.delete_channel(channel)

    async def delete_message(self: DiscordDouble, message: Any) -> None:
        """A moderator deletes a message (MESSAGE_DELETE)."""
        self.message_routes.remove(self.message(message))

    async def vote(self: DiscordDouble, message: Any, answer: int | str, member: Member) -> None:
        """``member`` votes for an answer (id or text): MESSAGE_POLL_VOTE_ADD."""
        poll_message = self.message_routes.find_poll_message(message)
        poll = poll_message.poll
        assert poll is not None
        chosen = poll.answer_by_text(answer) if isinstance(answer, str) else poll.answer(answer)
        if poll.finalized or poll.expiry <= utcnow():
            raise ScenarioError("the poll has ended; Discord's client no longer accepts votes")
        if member.id in chosen.voters:
            raise ScenarioError(f"{member.name} already voted for {chosen.text!r}")
        if not poll.allow_multiselect and any(member.id in a.voters for a in poll.answers):
            raise ScenarioError(f"{member.name} already voted in this single-choice poll; unvote first")
        chosen.voters.append(member.id)
        self._vote_event("MESSAGE_POLL_VOTE_ADD", poll_message, chosen.answer_id, member)

    async def unvote(self: DiscordDouble, message: Any, answer: int | str, member: Member) -> None:
        poll_message = self.message_routes.find_poll_message(message)
        poll = poll_message.poll
        assert poll is not None
        chosen = poll.answer_by_text(answer) if isinstance(answer, str) else poll.answer(answer)
        if member.id not in chosen.voters:
            raise ScenarioError(f"{member.name} has not voted for {chosen.text!r}")
        chosen.voters.remove(member.id)
        self._vote_event("MESSAGE_POLL_VOTE_REMOVE", poll_message, chosen.answer_id, member)

    def _vote_event(
        self: DiscordDouble, event: str, message: Message, answer_id: int, member: Member
    ) -> None:
        data = {
            "user_id": str(member.id),
            "channel_id": str(message.channel_id),
            "message_id": str(message.id),
            "answer_id": answer_id,
        }
        if message.guild_id is not None:
            data["guild_id"] = str(message.guild_id)
        self.dispatch(event, data, guild_id=message.guild_id)

    async def finalize_poll(self: DiscordDouble, message: Any) -> Message:
        """End the poll as its expiry would; returns the "poll results" system message."""
        poll_message = self.message_routes.find_poll_message(message)
        if poll_message.poll is not None and poll_message.poll.finalized:
            raise ScenarioError("the poll is already finalized")
        return self.message_routes.finalize_poll(poll_message)

    # Gateway faults --------------------------------------------------------------------------------

    async def drop_gateway(self: DiscordDouble, *, code: int | None = None) -> int:
        """Cut the bot's websocket (abruptly, or closing with ``code``); discord.py RESUMEs and the
        events dispatched meanwhile are replayed. Returns how many connections were dropped."""
        return await self.gateway.drop(code=code)

    async def request_reconnect(self: DiscordDouble) -> None:
        """Send opcode 7 RECONNECT, as Discord does before moving a session."""
        self.gateway.reconnect()
