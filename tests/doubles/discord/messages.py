"""Turning a message payload (JSON or multipart) into a stored :class:`Message`, as Discord would.

Shared by channel sends, edits, interaction responses, follow-ups and forum posts, so the same limits,
attachment handling and mention rules apply everywhere.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from . import errors as err
from . import limits
from .constants import MessageFlags, P
from .errors import DiscordHTTPError, FormErrors
from .models import Attachment, Channel, Message, Poll, PollAnswer, User, utcnow
from .payloads import poll_expiry
from .transport import UploadedFile

if TYPE_CHECKING:
    from .server import DiscordDouble

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")
#: Flags a bot may set when sending (SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS, IS_COMPONENTS_V2).
SENDABLE_FLAGS = (1 << 2) | MessageFlags.SUPPRESS_NOTIFICATIONS | MessageFlags.IS_COMPONENTS_V2


class MessageBuilder:
    def __init__(self, double: DiscordDouble) -> None:
        self.double = double

    @property
    def world(self) -> Any:
        return self.double.world

    # Validation ------------------------------------------------------------------------------------

    def validate(
        self, payload: dict[str, Any], files: list[UploadedFile], prefix: tuple[str, ...] = ()
    ) -> None:
        errors = FormErrors()
        limits.check_message(errors, payload, prefix)
        errors.raise_if_any()
        for upload in files:
            if len(upload.data) > self.double.attachment_size_limit:
                raise DiscordHTTPError(413, 40005, "Request entity too large")

    @staticmethod
    def is_empty(message: Message) -> bool:
        return not (
            message.content or message.embeds or message.attachments or message.poll or message.components
        )

    # Building --------------------------------------------------------------------------------------

    def create(
        self,
        channel: Channel,
        author: User,
        payload: dict[str, Any],
        files: list[UploadedFile],
        *,
        type: int = 0,
        extra_flags: int = 0,
        allow_ephemeral: bool = False,
        webhook_id: int | None = None,
        message_id: int | None = None,
        prefix: tuple[str, ...] = (),
    ) -> Message:
        """Validate and build (but do not store) a new message."""
        self.validate(payload, files, prefix)
        sendable = SENDABLE_FLAGS | (MessageFlags.EPHEMERAL if allow_ephemeral else 0)
        message = Message(
            id=message_id or self.world.ids.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author,
            content=payload.get("content") or "",
            embeds=self._embeds(payload.get("embeds") or []),
            components=list(payload.get("components") or []),
            flags=((payload.get("flags") or 0) & sendable) | extra_flags,
            type=type,
            tts=bool(payload.get("tts")),
            allowed_mentions=payload.get("allowed_mentions"),
            message_reference=self._reference(channel, payload.get("message_reference")),
            webhook_id=webhook_id,
        )
        if message.message_reference is not None and type == 0:
            message.type = 19  # REPLY
        message.attachments = self._attachments(message, payload.get("attachments"), files, [])
        self._link_attachment_urls(message)
        if payload.get("poll") is not None:
            message.poll = self._poll(payload["poll"])
        if payload.get("nonce") is not None:
            message.nonce = str(payload["nonce"])
        if self.is_empty(message) and not payload.get("sticker_ids"):
            raise err.empty_message()
        self.compute_mentions(message)
        return message

    def edit(self, message: Message, payload: dict[str, Any], files: list[UploadedFile]) -> None:
        """Apply a PATCH (content/embeds/components/attachments/flags/allowed_mentions) in place."""
        self.validate(payload, files)
        if "poll" in payload and payload["poll"] is not None:
            raise DiscordHTTPError(400, 520003, "Cannot edit a poll message")
        before = (message.content, list(message.embeds), list(message.components))
        if "content" in payload:
            message.content = payload["content"] or ""
        if "embeds" in payload:
            message.embeds = self._embeds(payload["embeds"] or [])
        if "components" in payload:
            message.components = list(payload["components"] or [])
        if "flags" in payload and payload["flags"] is not None:
            keep = message.flags & ~SENDABLE_FLAGS
            message.flags = keep | (payload["flags"] & SENDABLE_FLAGS)
        if "allowed_mentions" in payload:
            message.allowed_mentions = payload["allowed_mentions"]
        if "attachments" in payload or files:
            message.attachments = self._attachments(
                message, payload.get("attachments"), files, message.attachments
            )
        self._link_attachment_urls(message)
        message.flags &= ~MessageFlags.LOADING
        if self.is_empty(message):
            raise err.empty_message()
        message.history.append(before)
        message.edited_at = utcnow()
        self.compute_mentions(message)

    def _embeds(self, embeds: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"type": "rich", **embed} for embed in embeds]

    def _reference(self, channel: Channel, reference: Any) -> dict[str, Any] | None:
        if not reference:
            return None
        target = self.world.messages.get(int(reference.get("message_id") or 0))
        if target is None or target.deleted:
            if reference.get("fail_if_not_exists", True):
                errors = FormErrors()
                errors.add(("message_reference",), "REPLIES_UNKNOWN_MESSAGE", "Unknown message")
                errors.raise_if_any()
            return None
        return {
            "type": reference.get("type", 0),
            "message_id": str(target.id),
            "channel_id": str(target.channel_id),
            "guild_id": None if target.guild_id is None else str(target.guild_id),
        }

    def _attachments(
        self,
        message: Message,
        wanted: list[dict[str, Any]] | None,
        files: list[UploadedFile],
        existing: list[Attachment],
    ) -> list[Attachment]:
        by_index = {f.index: f for f in files if f.index is not None}
        used: set[int] = set()
        result: list[Attachment] = []
        if wanted is None:
            result = list(existing)
            wanted = []
        for entry in wanted:
            ident = int(entry.get("id", -1))
            upload = by_index.get(ident)
            if upload is not None and ident not in used:
                used.add(ident)
                result.append(
                    self._new_attachment(message, upload, entry.get("filename"), entry.get("description"))
                )
                continue
            kept = next((a for a in existing if a.id == ident), None)
            if kept is None:
                errors = FormErrors()
                errors.add(("attachments", str(ident)), "ATTACHMENT_NOT_FOUND", "Unknown attachment")
                errors.raise_if_any()
            else:
                result.append(kept)
        for index, upload in sorted(by_index.items(), key=lambda item: item[0] or 0):
            if index not in used:
                result.append(self._new_attachment(message, upload, None, None))
        return result

    def _new_attachment(
        self, message: Message, upload: UploadedFile, filename: str | None, description: str | None
    ) -> Attachment:
        attachment = Attachment(
            id=self.world.ids.next(),
            filename=filename or upload.filename,
            data=upload.data,
            content_type=upload.content_type,
            description=description,
            ephemeral=message.ephemeral,
        )
        attachment.url = (
            f"{self.double.http_base}/attachments/{message.channel_id}/{attachment.id}/{attachment.filename}"
        )
        self.double.attachment_store[attachment.id] = attachment
        return attachment

    def _link_attachment_urls(self, message: Message) -> None:
        """Replace ``attachment://name`` in embeds with the stored attachment's URL, as Discord does."""
        urls = {a.filename: a.url for a in message.attachments}

        def fix(node: Any) -> None:
            if isinstance(node, dict):
                for key in ("url", "icon_url"):
                    value = node.get(key)
                    if isinstance(value, str) and value.startswith("attachment://"):
                        node[key] = urls.get(value.removeprefix("attachment://"), value)
                for child in node.values():
                    fix(child)

        for embed in message.embeds:
            fix(embed)

    def _poll(self, data: dict[str, Any]) -> Poll:
        answers = [
            PollAnswer(answer_id=index, text=a["poll_media"]["text"], emoji=a["poll_media"].get("emoji"))
            for index, a in enumerate(data["answers"], start=1)
        ]
        return Poll(
            question=data["question"]["text"],
            answers=answers,
            expiry=poll_expiry(float(data.get("duration", 24))),
            allow_multiselect=bool(data.get("allow_multiselect")),
            layout_type=int(data.get("layout_type", 1)),
        )

    # Mentions --------------------------------------------------------------------------------------

    def compute_mentions(self, message: Message) -> None:
        """Who the message pings, following ``allowed_mentions`` the way Discord does.

        Without ``allowed_mentions`` every mention in the content pings (and ``@everyone`` too when the
        author may). With it, only the listed ``parse`` kinds and explicit ``users``/``roles`` ping.
        """
        allowed = message.allowed_mentions
        world = self.world
        guild = world.guilds.get(message.guild_id) if message.guild_id else None
        if allowed is None:
            parse, users, roles, replied = {"users", "roles", "everyone"}, set(), set(), True
        else:
            parse = set(allowed.get("parse") or [])
            users = {int(u) for u in allowed.get("users") or []}
            roles = {int(r) for r in allowed.get("roles") or []}
            replied = bool(allowed.get("replied_user", False))
        content = message.content
        user_ids = [int(u) for u in USER_MENTION.findall(content)]
        message.mention_user_ids = list(
            dict.fromkeys(u for u in user_ids if u in world.users and ("users" in parse or u in users))
        )
        can_everyone = self._author_can_mention_everyone(message)
        role_ids = []
        if guild is not None:
            for rid in dict.fromkeys(int(r) for r in ROLE_MENTION.findall(content)):
                role = guild.roles.get(rid)
                if role is None or not ("roles" in parse or rid in roles):
                    continue
                if role.mentionable or can_everyone:
                    role_ids.append(rid)
        message.mention_role_ids = role_ids
        message.mention_everyone = bool(
            ("@everyone" in content or "@here" in content) and "everyone" in parse and can_everyone
        )
        if replied and message.message_reference and message.type == 19:
            target = world.messages.get(int(message.message_reference["message_id"]))
            if target is not None and target.author.id not in message.mention_user_ids:
                message.mention_user_ids.append(target.author.id)

    def _author_can_mention_everyone(self, message: Message) -> bool:
        world = self.world
        channel = world.channels.get(message.channel_id)
        guild = world.guilds.get(message.guild_id) if message.guild_id else None
        if channel is None or guild is None:
            return False
        member = guild.members.get(message.author.id)
        if member is None:  # webhooks and interaction responses act with the application's permissions
            member = world.bot_member(guild)
        return bool(world.channel_permissions(channel, member) & P.MENTION_EVERYONE)
