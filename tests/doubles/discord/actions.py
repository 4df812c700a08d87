"""Scenario actions a test awaits: users invoking commands, clicking, voting and posting; Discord
archiving threads, deleting channels, finalizing polls and dropping the gateway connection."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .constants import ChannelType, P
from .core import DoubleCore
from .errors import ScenarioError
from .models import Channel, Guild, Member, Message, as_int, utcnow
from .transport import UploadedFile

if TYPE_CHECKING:
    from .records import InteractionRecord


class Actions(DoubleCore):
    """Mixed into :class:`~.server.DiscordDouble`."""

    # Interactions ----------------------------------------------------------------------------------

    def _default_channel(self, guild: Guild) -> Channel:
        if guild.system_channel_id is not None:
            return self.world.channel(guild.system_channel_id)
        text = [c for c in self.world.guild_channels(guild) if c.type == ChannelType.TEXT]
        if not text:
            raise ScenarioError(f"guild {guild.name!r} has no text channel to run the command in")
        return text[0]

    def _deliver(self, record: InteractionRecord) -> InteractionRecord:
        if not self.gateway.connected and not self.gateway.live_sessions:
            raise ScenarioError("no bot is connected to the gateway; start the client first")
        self.dispatch("INTERACTION_CREATE", record.payload, guild_id=record.guild_id)
        self.schedule_expiry(record)
        return record

    async def invoke(
        self,
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
        self,
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
        self, message: Any, custom_id: str, member: Member, *, values: list[str] | None = None
    ) -> InteractionRecord:
        """Click a button (or pick ``values`` in a select menu) on ``message``."""
        return self._deliver(self.factory.component(self.message(message), custom_id, member, values))

    async def submit_modal(
        self, opener: InteractionRecord, member: Member, values: dict[str, Any]
    ) -> InteractionRecord:
        """Fill in and submit the modal the bot opened in answer to ``opener`` (``{custom_id: value}``)."""
        return self._deliver(self.factory.modal_submit(opener, member, values))

    # Member actions --------------------------------------------------------------------------------

    async def post_message(
        self,
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
        if target.type in (ChannelType.FORUM, ChannelType.CATEGORY):
            raise ScenarioError(f"#{target.name} takes no messages; use create_forum_post for forums")
        needed = P.SEND_MESSAGES_IN_THREADS if target.is_thread else P.SEND_MESSAGES
        if target.guild_id is not None and self.world.channel_permissions(target, member) & needed != needed:
            raise ScenarioError(f"{member.name} cannot send messages in #{target.name}")
        if target.is_thread and target.archived:
            if target.locked:
                raise ScenarioError(f"thread {target.name!r} is locked; members cannot post")
            target.archived = False
            self.thread_routes.emit_thread("THREAD_UPDATE", target)
        body: dict[str, Any] = {"content": content, "embeds": embeds or []}
        if reply_to is not None:
            body["message_reference"] = {"message_id": str(as_int(reply_to))}
        uploads = [UploadedFile(f"files[{i}]", name, data) for i, (name, data) in enumerate(files)]
        message = self.builder.create(target, member.user, body, uploads)
        self.message_routes.post(target, message)
        return message

    async def create_forum_post(
        self,
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
        return self.thread_routes.forum_post(forum, member.user, body, [])

    async def archive_thread(self, thread: Channel, *, locked: bool = False) -> None:
        """Archive (auto-archive or a moderator) a thread: THREAD_UPDATE with ``archived: true``."""
        thread.archived, thread.locked = True, locked or thread.locked
        thread.archive_timestamp = utcnow()
        self.thread_routes.emit_thread("THREAD_UPDATE", thread)

    async def delete_thread(self, thread: Channel) -> None:
        self.channel_routes.delete_channel(thread)

    async def delete_channel(self, channel: Channel) -> None:
        """Delete a channel mid-run: CHANNEL_DELETE now, 404 10003 Unknown Channel for later requests."""
        self.channel_routes.delete_channel(channel)

    async def delete_message(self, message: Any) -> None:
        """A moderator deletes a message (MESSAGE_DELETE)."""
        self.message_routes.remove(self.message(message))

    async def vote(self, message: Any, answer: int | str, member: Member) -> None:
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

    async def unvote(self, message: Any, answer: int | str, member: Member) -> None:
        poll_message = self.message_routes.find_poll_message(message)
        poll = poll_message.poll
        assert poll is not None
        chosen = poll.answer_by_text(answer) if isinstance(answer, str) else poll.answer(answer)
        if member.id not in chosen.voters:
            raise ScenarioError(f"{member.name} has not voted for {chosen.text!r}")
        chosen.voters.remove(member.id)
        self._vote_event("MESSAGE_POLL_VOTE_REMOVE", poll_message, chosen.answer_id, member)

    def _vote_event(self, event: str, message: Message, answer_id: int, member: Member) -> None:
        data = {
            "user_id": str(member.id),
            "channel_id": str(message.channel_id),
            "message_id": str(message.id),
            "answer_id": answer_id,
        }
        if message.guild_id is not None:
            data["guild_id"] = str(message.guild_id)
        self.dispatch(event, data, guild_id=message.guild_id)

    async def finalize_poll(self, message: Any) -> Message:
        """End the poll as its expiry would; returns the "poll results" system message."""
        poll_message = self.message_routes.find_poll_message(message)
        if poll_message.poll is not None and poll_message.poll.finalized:
            raise ScenarioError("the poll is already finalized")
        return self.message_routes.finalize_poll(poll_message)

    # Gateway faults --------------------------------------------------------------------------------

    async def drop_gateway(self, *, code: int | None = None) -> int:
        """Cut the bot's websocket (abruptly, or closing with ``code``); discord.py RESUMEs and the
        events dispatched meanwhile are replayed. Returns how many connections were dropped."""
        return await self.gateway.drop(code=code)

    def hold_connections(self) -> None:
        """Keep new gateway connections waiting (a gateway outage) until `release_connections()`."""
        self.gateway.accepting.clear()

    def release_connections(self) -> None:
        self.gateway.accepting.set()

    async def request_reconnect(self) -> None:
        """Send opcode 7 RECONNECT, as Discord does before moving a session."""
        self.gateway.reconnect()
