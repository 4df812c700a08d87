"""REST: channels (fetch, edit, delete, create) and DM channels; thread routes live in ``rest_threads``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import limits, payloads
from .constants import ChannelType, P
from .errors import DiscordHTTPError, FormErrors
from .models import Channel, User
from .transport import ApiRequest

if TYPE_CHECKING:
    from .server import DiscordDouble, Route


class ChannelRoutes:
    def __init__(self, double: DiscordDouble) -> None:
        self.double = double
        self.world = double.world

    def routes(self) -> list[Route]:
        c = "/channels/{channel_id}"
        return [
            ("GET", c, self.fetch),
            ("PATCH", c, self.edit),
            ("DELETE", c, self.delete),
            ("POST", "/users/@me/channels", self.open_dm),
            ("POST", "/guilds/{guild_id}/channels", self.create_channel),
            ("GET", "/guilds/{guild_id}/channels", self.guild_channels),
        ]

    async def fetch(self, req: ApiRequest) -> Any:
        channel = self.world.channel(req.param("channel_id"))
        if channel.guild_id is not None:
            self.world.require(channel, P.VIEW_CHANNEL)
        return payloads.channel(self.world, channel)

    async def guild_channels(self, req: ApiRequest) -> Any:
        guild = self.world.guild(req.param("guild_id"))
        return [payloads.channel(self.world, c) for c in self.world.guild_channels(guild)]

    async def edit(self, req: ApiRequest) -> Any:
        channel = self.world.channel(req.param("channel_id"))
        body = req.body
        if channel.is_thread:
            return self.double.thread_routes.edit_thread(channel, body)
        if channel.guild_id is None:
            raise DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
        self.world.require(channel, P.MANAGE_CHANNELS)
        errors = FormErrors()
        limits.check_name(errors, ("name",), body.get("name"), required=False)
        errors.max_length(("topic",), body.get("topic"), 1024 if channel.type != ChannelType.FORUM else 4096)
        errors.raise_if_any()
        for key in ("name", "topic", "nsfw", "position", "rate_limit_per_user"):
            if key in body:
                setattr(channel, key, body[key])
        self.double.dispatch(
            "CHANNEL_UPDATE", payloads.channel(self.world, channel), guild_id=channel.guild_id
        )
        return payloads.channel(self.world, channel)

    async def delete(self, req: ApiRequest) -> Any:
        channel = self.world.channel(req.param("channel_id"))
        if channel.type == ChannelType.DM:
            return payloads.channel(self.world, channel)
        if channel.is_thread:
            self.world.require(channel, P.MANAGE_THREADS)
        else:
            self.world.require(channel, P.MANAGE_CHANNELS)
        data = payloads.channel(self.world, channel)
        self.delete_channel(channel)
        return data

    def delete_channel(self, channel: Channel) -> None:
        """Mark deleted and dispatch CHANNEL_DELETE / THREAD_DELETE; later requests get 404 10003."""
        channel.deleted = True
        if channel.is_thread:
            data = {
                "id": str(channel.id),
                "guild_id": str(channel.guild_id),
                "parent_id": str(channel.parent_id),
                "type": channel.type,
            }
            self.double.dispatch("THREAD_DELETE", data, guild_id=channel.guild_id)
        else:
            self.double.dispatch(
                "CHANNEL_DELETE", payloads.channel(self.world, channel), guild_id=channel.guild_id
            )
        self.double.touch()

    async def create_channel(self, req: ApiRequest) -> Any:
        guild = self.world.guild(req.param("guild_id"))
        self.world.require_guild(guild, P.MANAGE_CHANNELS)
        body = req.body
        errors = FormErrors()
        limits.check_name(errors, ("name",), body.get("name"))
        errors.raise_if_any()
        channel = self.double.add_channel_to(
            guild, body["name"], type=int(body.get("type") or 0), topic=body.get("topic")
        )
        return payloads.channel(self.world, channel)

    async def open_dm(self, req: ApiRequest) -> Any:
        recipient = self.world.user(req.body.get("recipient_id", 0))
        return payloads.channel(self.world, self.dm_channel(recipient))

    def dm_channel(self, recipient: User) -> Channel:
        channel_id = self.world.dm_channels.get(recipient.id)
        if channel_id is None:
            channel = Channel(
                id=self.world.ids.next(), type=ChannelType.DM, name="", recipient_id=recipient.id
            )
            self.world.add_channel(channel)
            self.world.dm_channels[recipient.id] = channel.id
            return channel
        return self.world.channels[channel_id]
