"""The autocompleted options, one `app_commands.Transformer` per kind of argument.

Each transformer suggests choices while the member types (autocomplete) and turns what was sent, a
choice's id or text typed by hand, into the domain object the command works on; malformed or unknown
input is refused with a `UserFacingError` that says what to do. The services come from the interaction
(`bot.interactions.services_of`), so a command declares `feed: app_commands.Transform[Feed, FollowedFeed]`
and receives the `Feed`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.errors import UserFacingError
from bot.interactions import autocomplete_id, guild_id_of, services_of
from bot.render.text import truncate
from bot.search.render import choice_name

if TYPE_CHECKING:
    from collections.abc import Iterable

    from bot.announce.directory import FeedDirectory, FeedOption
    from bot.feeds.models import Feed, StoredItem
    from bot.search.models import EpisodeCard

Choices = list[app_commands.Choice[str | int | float]]


def _choices(options: Iterable[FeedOption]) -> Choices:
    return [app_commands.Choice(name=o.label, value=o.value) for o in options]


class FollowedFeed(app_commands.Transformer[discord.Client]):
    """A feed this server announces: a suggestion (its id or built-in name) or its name typed."""

    must_follow = True

    async def transform(self, interaction: discord.Interaction, value: str, /) -> Feed:
        directory = services_of(interaction).feed_directory
        return await directory.resolve(guild_id_of(interaction), value, must_follow=self.must_follow)

    async def autocomplete(self, interaction: discord.Interaction, value: str | int | float, /) -> Choices:
        if interaction.guild_id is None:
            return []
        directory = services_of(interaction).feed_directory
        found = await directory.feed_options(interaction.guild_id, str(value), followed_only=self.must_follow)
        return _choices(found)


class AnyFeed(FollowedFeed):
    """A feed this server may announce: one it follows, or a built-in it does not follow yet."""

    must_follow = False


class FeedItem(app_commands.Transformer[discord.Client]):
    """An episode or issue of this server's feeds: a suggestion (its id) or a title fragment."""

    async def transform(self, interaction: discord.Interaction, value: str, /) -> StoredItem:
        return await services_of(interaction).feed_directory.item(guild_id_of(interaction), value)

    async def autocomplete(self, interaction: discord.Interaction, value: str | int | float, /) -> Choices:
        if interaction.guild_id is None:
            return []
        directory = services_of(interaction).feed_directory
        return _choices(await directory.item_options(interaction.guild_id, str(value)))


class DigestItem(app_commands.Transformer[discord.Client]):
    """The episode or issue of a digest: a suggestion (`item:<id>`), a key or a title fragment.

    Only items this server may read are offered or accepted (built-in feeds everywhere, others where
    followed); in a DM, the built-in feeds' items.
    """

    PREFIX = "item:"  # suggestion values; anything else typed is searched as a title or key

    @classmethod
    async def find(cls, directory: FeedDirectory, guild_id: int | None, value: str) -> StoredItem:
        """The item `value` names; the newest readable item when `value` is empty."""
        text = value.strip()
        item_id = autocomplete_id(text.removeprefix(cls.PREFIX)) if text.startswith(cls.PREFIX) else None
        if item_id is not None:
            item = await directory.visible_item(guild_id, item_id)
            if item is not None:
                return item
        found = await directory.visible_items(guild_id, text, limit=1)
        if not found:
            if text:
                raise UserFacingError(f"No episode or issue matches {truncate(text, 80)!r}.")
            raise UserFacingError("No episode has been seen yet; digests appear once a feed has items.")
        return found[0]

    async def transform(self, interaction: discord.Interaction, value: str, /) -> StoredItem:
        return await self.find(services_of(interaction).feed_directory, interaction.guild_id, value)

    async def autocomplete(self, interaction: discord.Interaction, value: str | int | float, /) -> Choices:
        items = await services_of(interaction).feed_directory.visible_items(interaction.guild_id, str(value))
        return [
            app_commands.Choice(name=truncate(i.title or i.key, 100), value=f"{self.PREFIX}{i.id}")
            for i in items
        ]


class ThreadEpisode(app_commands.Transformer[discord.Client]):
    """An episode with a tracked discussion thread here: a suggestion (its item id) or a thread name typed.
    Becomes the episode's item id."""

    CHOOSE = "Choose an episode: start typing its title in the `episode` option."

    async def transform(self, interaction: discord.Interaction, value: str, /) -> int:
        guild_id = guild_id_of(interaction)
        threads = services_of(interaction).threads
        text = value.strip()
        if not text:
            raise UserFacingError(self.CHOOSE)
        item_id = autocomplete_id(text)
        if item_id is not None and await threads.has_threads(guild_id, item_id):
            return item_id
        matches = await threads.episode_choices(guild_id, text, limit=1)
        if not matches:
            raise UserFacingError(f"No episode with a tracked thread matches {truncate(text, 80)!r}.")
        return matches[0][0]

    async def autocomplete(self, interaction: discord.Interaction, value: str | int | float, /) -> Choices:
        if interaction.guild_id is None:
            return []
        threads = services_of(interaction).threads
        found = await threads.episode_choices(interaction.guild_id, str(value).strip())
        return [app_commands.Choice(name=truncate(name, 100), value=str(item_id)) for item_id, name in found]


class EpisodeCardOption(app_commands.Transformer[discord.Client]):
    """An episode or issue of the feeds followed here, for `/episode`: a suggestion (its item id) or a
    title typed (the best match). Becomes the episode's card."""

    @property
    def min_value(self) -> int:
        return 1

    @property
    def max_value(self) -> int:
        return 100

    async def transform(self, interaction: discord.Interaction, value: str, /) -> EpisodeCard:
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        card: EpisodeCard | None = None
        item_id = autocomplete_id(value)
        if item_id is not None:
            card = await services.cards.card(guild_id, item_id)
        if card is None:
            choices = await services.search.title_choices(guild_id, value)
            if choices:
                card = await services.cards.card(guild_id, choices[0].item_id)
        if card is None:
            raise UserFacingError(
                f"No episode or issue followed here has a title like {value[:80]!r}. "
                "Pick one of the suggestions while typing, or try `/search`."
            )
        return card

    async def autocomplete(self, interaction: discord.Interaction, value: str | int | float, /) -> Choices:
        if interaction.guild_id is None:
            return []
        found = await services_of(interaction).search.title_choices(interaction.guild_id, str(value))
        return [app_commands.Choice(name=choice_name(c), value=str(c.item_id)) for c in found[:25]]


NOT_FOLLOWING = "This server doesn't follow any feed yet; a moderator can set one up with `/admin setup`."


class MemberFeed(app_commands.Transformer[discord.Client]):
    """A feed followed here, for members' commands (`/latest`, `/ask`): a suggestion (its id), its kind,
    or its title typed (whole, or a part that fits one feed only). Becomes the feed's id."""

    async def transform(self, interaction: discord.Interaction, value: str, /) -> int:
        feeds = await services_of(interaction).cards.followed_feeds(guild_id_of(interaction))
        text = value.strip()
        for feed in feeds:
            if text == str(feed.feed_id) or text.casefold() in (feed.title.casefold(), feed.kind):
                return feed.feed_id
        partial = [feed for feed in feeds if text.casefold() in feed.title.casefold()]
        if len(partial) == 1:
            return partial[0].feed_id
        if not feeds:
            raise UserFacingError(NOT_FOLLOWING)
        names = ", ".join(f"`{discord.utils.escape_markdown(feed.title)}`" for feed in feeds[:10])
        raise UserFacingError(f"This server follows no feed called {text[:80]!r}. Pick one of: {names}.")

    async def autocomplete(self, interaction: discord.Interaction, value: str | int | float, /) -> Choices:
        if interaction.guild_id is None:
            return []
        typed = str(value).casefold().strip()
        feeds = await services_of(interaction).cards.followed_feeds(interaction.guild_id)
        matching = [f for f in feeds if typed in f.title.casefold() or typed == f.kind]
        return [app_commands.Choice(name=f.title[:100], value=str(f.feed_id)) for f in matching[:25]]


class PollId(app_commands.Transformer[discord.Client]):
    """A poll of this server, picked from the suggestions (its number). Stays the number: the command
    says what a number that is not a poll here means."""

    only_open = False

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.integer

    async def transform(self, interaction: discord.Interaction, value: int, /) -> int:
        return value

    async def autocomplete(self, interaction: discord.Interaction, value: str | int | float, /) -> Choices:
        if interaction.guild_id is None:
            return []
        if self.only_open and not interaction.permissions.manage_guild:
            return []
        polls = await services_of(interaction).polls.search(
            interaction.guild_id, str(value), only_open=self.only_open
        )
        return [app_commands.Choice(name=truncate(poll.label, 100), value=poll.id) for poll in polls[:25]]


class OpenPoll(PollId):
    """An open poll of this server (moderators only are offered any), by its number."""

    only_open = True


NO_PING_ROLES = "This server has no announcement ping roles set up."


class PingFeed(app_commands.Transformer[discord.Client]):
    """A feed with a ping role here, for `/subscribe` and `/unsubscribe`: a suggestion (its id) or its
    name typed. Becomes the feed's id."""

    async def transform(self, interaction: discord.Interaction, value: str, /) -> int:
        choices = await services_of(interaction).feed_directory.feeds_with_roles(guild_id_of(interaction))
        if not choices:
            raise UserFacingError(NO_PING_ROLES)
        for feed_id, name in choices:
            if str(feed_id) == value or name.lower() == value.lower():
                return feed_id
        raise UserFacingError(f"No feed with a ping role matches {truncate(value, 100)!r} here.")

    async def autocomplete(self, interaction: discord.Interaction, value: str | int | float, /) -> Choices:
        if interaction.guild_id is None:
            return []
        typed = str(value).lower()
        choices = await services_of(interaction).feed_directory.feeds_with_roles(interaction.guild_id)
        found: Choices = [
            app_commands.Choice(name=truncate(name, 100), value=str(feed_id))
            for feed_id, name in choices
            if typed in name.lower()
        ]
        return found[:25]
