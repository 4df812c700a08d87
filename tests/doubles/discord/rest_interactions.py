"""REST: interaction callbacks (``?with_response=1``) and the follow-up webhook routes."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from . import errors as err
from . import limits, payloads
from .constants import MessageFlags
from .errors import DiscordHTTPError, FormErrors
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionRecord,
)
from .models import Channel, Message, utcnow
from .transport import ApiRequest

if TYPE_CHECKING:
    from .server import DiscordDouble, Route

#: Which callback types Discord accepts for each interaction type.
ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {4, 5, 9},
    MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
    AUTOCOMPLETE: {8},
    MODAL_SUBMIT: {4, 5, 6, 7},
}
CHAT_INPUT_COMMAND_MESSAGE = 20
TOKEN_LIFETIME_SECONDS = 15 * 60


class InteractionRoutes:
    def __init__(self, double: DiscordDouble) -> None:
        self.double = double
        self.world = double.world

    def routes(self) -> list[Route]:
        w = "/webhooks/{application_id}/{token}"
        return [
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.callback),
            ("POST", w, self.followup),
            ("GET", w + "/messages/{message_id}", self.get_message),
            ("PATCH", w + "/messages/{message_id}", self.edit_message),
            ("DELETE", w + "/messages/{message_id}", self.delete_message),
        ]

    # Initial response ------------------------------------------------------------------------------

    async def callback(self, req: ApiRequest) -> Any:
        record = self.double.interactions.get(int(req.param("interaction_id")))
        if record is None or record.token != req.param("token"):
            raise err.unknown_interaction()
        if record.responded:
            raise err.already_acknowledged()
        if record.expired or time.monotonic() - record.created > self.double.interaction_timeout:
            record.expired = True
            self.double.touch()
            raise err.unknown_interaction()
        body = req.body
        kind = int(body.get("type") or 0)
        data = body.get("data") or {}
        no_message = kind in (6, 7) and record.source_message_id is None  # a modal opened by a command
        if kind not in ALLOWED_CALLBACKS[record.type] or no_message:
            errors = FormErrors()
            errors.add(
                ("type",),
                "INTERACTION_RESPONSE_TYPE_INVALID",
                f"Invalid callback type {kind} for this interaction",
            )
            errors.raise_if_any()
        channel = self.world.channel(record.channel_id)
        message: Message | None = None
        if kind == 4:
            message = self._new_message(record, channel, data, req, prefix=("data",))
        elif kind == 5:
            flags = MessageFlags.LOADING | (int(data.get("flags") or 0) & MessageFlags.EPHEMERAL)
            message = self._message_shell(record, channel, flags)
            self.double.message_routes.post(channel, message)
            record.original_id = message.id
        elif kind in (6, 7):
            source = self.world.messages[record.source_message_id or 0]
            record.original_id = source.id
            if kind == 7:
                self.double.builder.edit(source, data, req.files)
                self._emit_update(source)
                message = source
        elif kind == 8:
            errors = FormErrors()
            limits.check_choices(errors, data.get("choices"))
            errors.raise_if_any()
        elif kind == 9:
            errors = FormErrors()
            limits.check_modal(errors, data)
            errors.raise_if_any()
        record.response_type = kind
        record.responded_at = utcnow()
        record.response_data = data
        self.double.touch()
        return self._callback_body(record, kind, message)

    def _callback_body(self, record: InteractionRecord, kind: int, message: Message | None) -> dict[str, Any]:
        """The ``InteractionCallbackResponse`` discord.py parses (``interaction`` + optional ``resource``)."""
        info: dict[str, Any] = {"id": str(record.id), "type": record.type}
        if message is not None:
            info["response_message_id"] = str(message.id)
            info["response_message_loading"] = kind == 5
            info["response_message_ephemeral"] = message.ephemeral
        body: dict[str, Any] = {"interaction": info}
        if message is not None:
            body["resource"] = {"type": kind, "message": payloads.message(self.world, message)}
        return body

    def _message_shell(self, record: InteractionRecord, channel: Channel, flags: int) -> Message:
        return Message(
            id=self.world.ids.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=self.world.bot,
            flags=flags,
            type=CHAT_INPUT_COMMAND_MESSAGE if record.type == APPLICATION_COMMAND else 0,
            webhook_id=self.world.application_id,
            application_id=self.world.application_id,
            interaction_metadata=self._metadata(record),
        )

    def _metadata(self, record: InteractionRecord) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(record.id),
            "type": record.type,
            "user": payloads.user(record.user),
            "authorizing_integration_owners": {"0": str(record.guild_id)},
        }
        if record.type == APPLICATION_COMMAND:
            data["name"] = record.command
            data["command_type"] = 1
        if record.source_message_id is not None:
            data["interacted_message_id"] = str(record.source_message_id)
        return data

    def _new_message(
        self,
        record: InteractionRecord,
        channel: Channel,
        data: dict[str, Any],
        req: ApiRequest,
        prefix: tuple[str, ...],
        *,
        followup: bool = False,
    ) -> Message:
        shell = self._message_shell(record, channel, 0)
        message = self.double.builder.create(
            channel,
            self.world.bot,
            data,
            req.files,
            type=shell.type,
            allow_ephemeral=True,
            webhook_id=shell.webhook_id,
            prefix=prefix,
        )
        message.application_id = shell.application_id
        message.interaction_metadata = shell.interaction_metadata
        self.double.message_routes.post(channel, message)
        if followup:
            record.followup_ids.append(message.id)
        else:
            record.original_id = message.id
        return message

    def _emit_update(self, message: Message) -> None:
        if not message.ephemeral:
            self.double.emit_message("MESSAGE_UPDATE", message)
        self.double.touch()

    # Follow-ups ------------------------------------------------------------------------------------

    def _record(self, req: ApiRequest) -> InteractionRecord:
        token = req.param("token")
        if int(req.param("application_id")) != self.world.application_id:
            raise err.unknown_webhook()
        record = next((r for r in self.double.interactions.values() if r.token == token), None)
        if record is None or not record.responded:
            raise err.unknown_webhook()
        if time.monotonic() - record.created > TOKEN_LIFETIME_SECONDS:
            raise DiscordHTTPError(401, 50027, "Invalid Webhook Token")
        return record

    def _target(self, record: InteractionRecord, message_id: str) -> Message:
        if message_id == "@original":
            target = record.original
        else:
            ident = int(message_id)
            target = (
                self.world.messages.get(ident)
                if ident in ({record.original_id} | set(record.followup_ids))
                else None
            )
        if target is None or target.deleted:
            raise err.unknown_message()
        return target

    async def followup(self, req: ApiRequest) -> Any:
        record = self._record(req)
        channel = self.world.channel(record.channel_id)
        original = record.original
        if record.response_type == 5 and original is not None and original.loading:
            # The first follow-up after a "thinking" defer replaces the loading message.
            self.double.builder.edit(original, req.body, req.files)
            record.edits += 1
            self._emit_update(original)
            message = original
        else:
            message = self._new_message(record, channel, req.body, req, prefix=(), followup=True)
        if req.query.get("wait") in ("0", "false", "False"):
            return None
        return payloads.message(self.world, message)

    async def get_message(self, req: ApiRequest) -> Any:
        record = self._record(req)
        return payloads.message(self.world, self._target(record, req.param("message_id")))

    async def edit_message(self, req: ApiRequest) -> Any:
        record = self._record(req)
        target = self._target(record, req.param("message_id"))
        self.double.builder.edit(target, req.body, req.files)
        record.edits += 1
        self._emit_update(target)
        return payloads.message(self.world, target)

    async def delete_message(self, req: ApiRequest) -> Any:
        record = self._record(req)
        target = self._target(record, req.param("message_id"))
        if target.ephemeral:
            target.deleted = True
            self.double.touch()
        else:
            self.double.message_routes.remove(target)
        return None
