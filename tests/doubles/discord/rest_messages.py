"""REST: channel messages (send, fetch, history, edit, delete), reactions, pins, typing and polls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors as err
from . import payloads
from .constants import ChannelType, P
from .errors import DiscordHTTPError, FormErrors
from .models import Channel, Message, User, as_int, utcnow
from .transport import ApiRequest

if TYPE_CHECKING:
    from .server import DiscordDouble, Route


class MessageRoutes:
    def __init__(self, double: DiscordDouble) -> None:
        self.double = double
        self.world = double.world

    def routes(self) -> list[Route]:
        c = "/channels/{channel_id}"
        m = c + "/messages/{message_id}"
        return [
            ("GET", c + "/messages/pins", self.list_pins),
            ("GET", c + "/pins", self.list_pins),
            ("PUT", c + "/messages/pins/{message_id}", self.pin),
            ("DELETE", c + "/messages/pins/{message_id}", self.unpin),
            ("PUT", c + "/pins/{message_id}", self.pin),
            ("DELETE", c + "/pins/{message_id}", self.unpin),
            ("POST", c + "/messages/bulk-delete", self.bulk_delete),
            ("POST", c + "/messages", self.send),
            ("GET", c + "/messages", self.history),
            ("GET", m, self.fetch),
            ("PATCH", m, self.edit),
            ("DELETE", m, self.delete),
            ("PUT", m + "/reactions/{emoji}/@me", self.react),
            ("DELETE", m + "/reactions/{emoji}/@me", self.unreact),
            ("POST", c + "/typing", self.typing),
            ("POST", c + "/polls/{message_id}/expire", self.expire_poll),
            ("GET", c + "/polls/{message_id}/answers/{answer_id}", self.poll_voters),
        ]

    # Sending ---------------------------------------------------------------------------------------

    def check_can_send(self, channel: Channel, payload: dict[str, Any], has_files: bool) -> None:
        """Permissions, channel kind and thread state for a message the bot sends into ``channel``."""
        world = self.world
        if channel.type == ChannelType.DM:
            recipient = world.users.get(channel.recipient_id or 0)
            if recipient is not None and (recipient.bot or not recipient.dms_open):
                raise DiscordHTTPError(403, 50007, "Cannot send messages to this user")
            return
        if channel.type in (ChannelType.FORUM, ChannelType.CATEGORY):
            raise DiscordHTTPError(400, 50008, "Cannot send messages in a non-text channel")
        needed = P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES
        if has_files:
            needed |= P.ATTACH_FILES
        if payload.get("poll") is not None:
            needed |= P.SEND_POLLS
        if payload.get("message_reference"):
            needed |= P.READ_MESSAGE_HISTORY
        world.require(channel, needed)
        if channel.is_thread:
            self.double.thread_routes.ensure_writable_thread(channel)

    async def send(self, req: ApiRequest) -> Any:
        channel = self.world.channel(req.param("channel_id"))
        body = req.body
        self.check_can_send(channel, body, bool(req.files))
        lacks_embed_links = not self.world.bot_channel_permissions(channel) & P.EMBED_LINKS
        if body.get("embeds") and channel.guild_id is not None and lacks_embed_links:
            # Discord accepts the message but silently drops the embeds.
            self.double.warn(f"embeds dropped: the bot lacks Embed Links in #{channel.name}")
            body = {k: v for k, v in body.items() if k != "embeds"}
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            previous = self.world.find_nonce(channel.id, self.world.bot.id, str(nonce))
            if previous is not None:
                return payloads.message(self.world, previous)
        message = self.double.builder.create(channel, self.world.bot, body, req.files)
        if message.tts and not self.world.bot_channel_permissions(channel) & P.SEND_TTS_MESSAGES:
            message.tts = False
        self.post(channel, message)
        if nonce is not None and body.get("enforce_nonce"):
            self.world.remember_nonce(message, str(nonce))
        return payloads.message(self.world, message)

    def post(self, channel: Channel, message: Message) -> None:
        """Store a new message and dispatch MESSAGE_CREATE (not for ephemeral ones)."""
        if channel.is_thread and message.author.id not in channel.member_ids:
            channel.member_ids.append(message.author.id)
        self.world.add_message(message)
        if not message.ephemeral:
            self.double.emit_message("MESSAGE_CREATE", message)
        self.double.touch()

    # Reading ---------------------------------------------------------------------------------------

    async def fetch(self, req: ApiRequest) -> Any:
        channel = self.world.channel(req.param("channel_id"))
        if channel.guild_id is not None:
            self.world.require(channel, P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY)
        return payloads.message(self.world, self.world.message(channel, req.param("message_id")))

    async def history(self, req: ApiRequest) -> Any:
        channel = self.world.channel(req.param("channel_id"))
        if channel.guild_id is not None:
            self.world.require(channel, P.VIEW_CHANNEL)
            if not self.world.bot_channel_permissions(channel) & P.READ_MESSAGE_HISTORY:
                return []
        limit = int(req.query.get("limit", 50))
        if not 1 <= limit <= 100:
            errors = FormErrors()
            errors.add(("limit",), "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")
            errors.raise_if_any()
        messages = self.world.messages_in(channel.id)  # oldest first
        if "before" in req.query:
            before = int(req.query["before"])
            selected = [m for m in messages if m.id < before][-limit:]
        elif "after" in req.query:
            after = int(req.query["after"])
            selected = [m for m in messages if m.id > after][:limit]
        elif "around" in req.query:
            around = int(req.query["around"])
            older = [m for m in messages if m.id < around][-(limit // 2) :] if limit > 1 else []
            newer = [m for m in messages if m.id >= around][: limit - len(older)]
            selected = older + newer
        else:
            selected = messages[-limit:]
        return [payloads.message(self.world, m) for m in reversed(selected)]  # newest first, as Discord

    # Changing --------------------------------------------------------------------------------------

    async def edit(self, req: ApiRequest) -> Any:
        channel = self.world.channel(req.param("channel_id"))
        message = self.world.message(channel, req.param("message_id"))
        body = req.body
        if message.author.id != self.world.bot.id:
            if set(body) - {"flags"}:
                raise DiscordHTTPError(403, 50005, "Cannot edit a message authored by another user")
            self.world.require(channel, P.MANAGE_MESSAGES)
        if channel.is_thread:
            self.double.thread_routes.ensure_writable_thread(channel)
        self.double.builder.edit(message, body, req.files)
        self.double.emit_message("MESSAGE_UPDATE", message)
        return payloads.message(self.world, message)

    async def delete(self, req: ApiRequest) -> Any:
        channel = self.world.channel(req.param("channel_id"))
        message = self.world.message(channel, req.param("message_id"))
        if message.author.id != self.world.bot.id:
            self.world.require(channel, P.MANAGE_MESSAGES)
        self.remove(message)
        return None

    def remove(self, message: Message) -> None:
        message.deleted = True
        data: dict[str, Any] = {"id": str(message.id), "channel_id": str(message.channel_id)}
        if message.guild_id is not None:
            data["guild_id"] = str(message.guild_id)
        self.double.dispatch("MESSAGE_DELETE", data, guild_id=message.guild_id)

    async def bulk_delete(self, req: ApiRequest) -> Any:
        channel = self.world.channel(req.param("channel_id"))
        self.world.require(channel, P.MANAGE_MESSAGES)
        ids = req.body.get("messages") or []
        if not 2 <= len(ids) <= 100:
            errors = FormErrors()
            errors.add(("messages",), "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length.")
            errors.raise_if_any()
        found = [self.world.message(channel, i) for i in ids]
        for message in found:
            message.deleted = True
        data = {"ids": [str(m.id) for m in found], "channel_id": str(channel.id)}
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        self.double.dispatch("MESSAGE_DELETE_BULK", data, guild_id=channel.guild_id)
        return None

    async def react(self, req: ApiRequest) -> Any:
        channel = self.world.channel(req.param("channel_id"))
        message = self.world.message(channel, req.param("message_id"))
        if channel.guild_id is not None:
            self.world.require(channel, P.READ_MESSAGE_HISTORY)
        emoji = req.param("emoji")
        users = message.reactions.setdefault(emoji, [])
        if not users and channel.guild_id is not None:
            self.world.require(channel, P.ADD_REACTIONS)
        if self.world.bot.id not in users:
            users.append(self.world.bot.id)
            self.emit_reaction("MESSAGE_REACTION_ADD", message, emoji, self.world.bot)
        return None

    async def unreact(self, req: ApiRequest) -> Any:
        channel = self.world.channel(req.param("channel_id"))
        message = self.world.message(channel, req.param("message_id"))
        emoji = req.param("emoji")
        users = message.reactions.get(emoji, [])
        if self.world.bot.id in users:
            users.remove(self.world.bot.id)
            self.emit_reaction("MESSAGE_REACTION_REMOVE", message, emoji, self.world.bot)
        return None

    def emit_reaction(self, event: str, message: Message, emoji: str, user: User) -> None:
        data: dict[str, Any] = {
            "user_id": str(user.id),
            "channel_id": str(message.channel_id),
            "message_id": str(message.id),
            "emoji": {"id": None, "name": emoji},
            "burst": False,
            "type": 0,
        }
        if message.guild_id is not None:
            data["guild_id"] = str(message.guild_id)
            guild = self.world.guilds[message.guild_id]
            if event.endswith("ADD") and user.id in guild.members:
                data["member"] = payloads.member(self.world, guild.members[user.id])
        self.double.dispatch(event, data, guild_id=message.guild_id)

    async def list_pins(self, req: ApiRequest) -> Any:
        channel = self.world.channel(req.param("channel_id"))
        pinned = [m for m in self.world.messages_in(channel.id) if m.pinned]
        if req.record.route.endswith("/messages/pins"):
            items = [
                {"pinned_at": payloads.iso(utcnow()), "message": payloads.message(self.world, m)}
                for m in pinned
            ]
            return {"items": items[::-1], "has_more": False}
        return [payloads.message(self.world, m) for m in reversed(pinned)]

    async def pin(self, req: ApiRequest) -> Any:
        return self._set_pinned(req, True)

    async def unpin(self, req: ApiRequest) -> Any:
        return self._set_pinned(req, False)

    def _set_pinned(self, req: ApiRequest, pinned: bool) -> None:
        channel = self.world.channel(req.param("channel_id"))
        message = self.world.message(channel, req.param("message_id"))
        if channel.guild_id is not None:
            perms = self.world.bot_channel_permissions(channel)
            if not perms & (P.PIN_MESSAGES | P.MANAGE_MESSAGES):
                raise err.missing_permissions()
        message.pinned = pinned
        data = {"channel_id": str(channel.id), "last_pin_timestamp": payloads.iso(utcnow())}
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        self.double.dispatch("CHANNEL_PINS_UPDATE", data, guild_id=channel.guild_id)
        self.double.emit_message("MESSAGE_UPDATE", message)

    async def typing(self, req: ApiRequest) -> Any:
        channel = self.world.channel(req.param("channel_id"))
        if channel.guild_id is not None:
            self.world.require(channel, P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES)
        return None

    # Polls -----------------------------------------------------------------------------------------

    async def expire_poll(self, req: ApiRequest) -> Any:
        channel = self.world.channel(req.param("channel_id"))
        message = self.world.message(channel, req.param("message_id"))
        if message.poll is None:
            raise DiscordHTTPError(400, 520006, "Cannot expire a non-poll message")
        if message.author.id != self.world.bot.id:
            raise err.missing_permissions()
        if message.poll.finalized:
            raise DiscordHTTPError(400, 520001, "Poll expired")
        self.finalize_poll(message)
        return payloads.message(self.world, message)

    async def poll_voters(self, req: ApiRequest) -> Any:
        channel = self.world.channel(req.param("channel_id"))
        message = self.world.message(channel, req.param("message_id"))
        if message.poll is None:
            raise err.unknown_message()
        try:
            answer = message.poll.answer(int(req.param("answer_id")))
        except KeyError as exc:
            raise DiscordHTTPError(404, 10018, "Unknown Poll Answer") from exc
        after = int(req.query.get("after", 0))
        limit = int(req.query.get("limit", 25))
        voters = sorted(u for u in answer.voters if u > after)[:limit]
        return {"users": [payloads.user(self.world.users[u]) for u in voters]}

    def finalize_poll(self, message: Message) -> Message:
        """End a poll: MESSAGE_UPDATE with final results, then the "poll results" system message."""
        poll = message.poll
        if poll is None:
            raise ValueError("message has no poll")
        poll.finalized = True
        poll.expiry = min(poll.expiry, utcnow())
        self.double.emit_message("MESSAGE_UPDATE", message)
        counts = [len(a.voters) for a in poll.answers]
        total = sum(counts)
        fields = [
            {"name": "poll_question_text", "value": poll.question, "inline": False},
            {"name": "total_votes", "value": str(total), "inline": False},
        ]
        best = max(counts, default=0)
        if best and counts.count(best) == 1:
            victor = poll.answers[counts.index(best)]
            fields += [
                {"name": "victor_answer_id", "value": str(victor.answer_id), "inline": False},
                {"name": "victor_answer_text", "value": victor.text, "inline": False},
                {"name": "victor_answer_votes", "value": str(best), "inline": False},
            ]
        channel = self.world.channels[message.channel_id]
        result = Message(
            id=self.world.ids.next(),
            channel_id=message.channel_id,
            guild_id=message.guild_id,
            author=message.author,
            type=46,
            embeds=[{"type": "poll_result", "fields": fields}],
            message_reference={
                "type": 0,
                "message_id": str(message.id),
                "channel_id": str(message.channel_id),
                "guild_id": None if message.guild_id is None else str(message.guild_id),
            },
        )
        self.post(channel, result)
        return result

    def find_poll_message(self, message: Any) -> Message:
        found = self.world.messages.get(as_int(message))
        if found is None or found.poll is None:
            raise err.unknown_message()
        return found
