"""`/admin setup` as a use case: store the channels, ping roles and mod-log a moderator chose in one go,
through the owners' repositories (exactly as `/admin feed channel`, `/admin feed role` and `/admin modlog`
would), and read back which channel is used for what so the permissions can be checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.announce.models import ChannelKind
from bot.console.permissions import Use, channel_uses
from bot.feeds.models import FeedKind

if TYPE_CHECKING:
    from collections.abc import Mapping

    from bot.store import Store

BUILTINS: dict[str, FeedKind] = {"podcast": "podcast", "newsletter": "newsletter"}


@dataclass(frozen=True, slots=True)
class FeedChoice:
    """What a moderator chose for one built-in feed: a channel (and its kind), a ping role, or both."""

    channel_id: int | None = None
    channel_kind: ChannelKind = ChannelKind.TEXT
    role_id: int | None = None


@dataclass(frozen=True, slots=True)
class SetupChange:
    """One stored choice: a feed's channel or role, the mod-log, or a role refused for want of a channel."""

    what: Literal["channel", "role", "role_without_channel", "mod_log"]
    feed: str | None


@dataclass(frozen=True, slots=True)
class GuildSetup:
    """Which channel is used for what in a guild, the roles announcements ping, and the mod-log."""

    uses: dict[int, tuple[Use, ...]]
    ping_roles: list[int]
    mod_log_channel_id: int | None


class SetupService:
    """The console's setup use case over the announcements, guilds and threads repositories."""

    def __init__(self, store: Store, feed_urls: Mapping[str, str]) -> None:
        self.store = store
        self.feed_urls = feed_urls

    async def apply(
        self, guild_id: int, feeds: Mapping[str, FeedChoice], mod_log_channel_id: int | None
    ) -> list[SetupChange]:
        """Store the choices; what changed, in order (a role without a channel is refused, not stored)."""
        changes: list[SetupChange] = []
        announcements = self.store.announcements
        for name, choice in feeds.items():
            if choice.channel_id is None and choice.role_id is None:
                continue
            feed = await self.store.feeds.ensure_builtin(name, self.feed_urls[name], BUILTINS[name])
            if choice.channel_id is not None:
                await announcements.subscribe(guild_id, feed.id, choice.channel_id, choice.channel_kind)
                changes.append(SetupChange("channel", name))
            if choice.role_id is not None:
                if await announcements.get_subscription(guild_id, feed.id) is None:
                    changes.append(SetupChange("role_without_channel", name))
                else:
                    await announcements.update_subscription(guild_id, feed.id, ping_role_id=choice.role_id)
                    changes.append(SetupChange("role", name))
        if mod_log_channel_id is not None:
            await self.store.guilds.set_mod_log(guild_id, mod_log_channel_id)
            changes.append(SetupChange("mod_log", None))
        return changes

    async def current(self, guild_id: int) -> GuildSetup:
        """What is configured now: announcement, mod-log and tracked channels, and the ping roles."""
        subscriptions = await self.store.announcements.list_subscriptions(guild_id)
        settings = await self.store.guilds.get(guild_id)
        parents = await self.store.threads.parents(guild_id)
        uses = channel_uses(
            announce={s.channel_id: s.channel_kind is ChannelKind.FORUM for s in subscriptions},
            modlog=settings.mod_log_channel_id,
            threads={p.channel_id for p in parents},
        )
        roles = [s.ping_role_id for s in subscriptions if s.ping_role_id]
        return GuildSetup(uses=uses, ping_roles=roles, mod_log_channel_id=settings.mod_log_channel_id)
