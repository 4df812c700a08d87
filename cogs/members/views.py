"""The paging buttons under `/search` results.

The state lives in the `custom_id` (`search:<user>:<page>:<query>`), so the buttons keep working after a
restart without anything stored; only the member who searched may page.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.errors import NO_MENTIONS
from bot.interactions import services_of
from bot.render.limits import CUSTOM_ID
from bot.search import QueryError, SearchPage
from bot.search.render import search_embed

PREFIX = "search"
# Room left for the query in a custom_id: "search:" + a 20-digit user id + ":" + page + ":".
QUERY_MAX_CHARS = CUSTOM_ID - len(PREFIX) - 1 - 20 - 1 - 3 - 1
NOT_YOURS = "These results belong to whoever searched; run `/search` to get your own."


def page_custom_id(user_id: int, page: int, query: str) -> str:
    return f"{PREFIX}:{user_id}:{page}:{query}"[:CUSTOM_ID]


class SearchPageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"search:(?P<user>\d+):(?P<page>\d+):(?P<query>.+)",
):
    """ "Previous" or "Next": moves the member's results to another page."""

    def __init__(self, user_id: int, page: int, query: str, *, label: str, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=page_custom_id(user_id, page, query),
                disabled=disabled,
            )
        )
        self.user_id = user_id
        self.page = page
        self.query = query

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SearchPageButton:
        label = item.label if isinstance(item, discord.ui.Button) and item.label else "Page"
        return cls(int(match["user"]), int(match["page"]), match["query"], label=label)

    async def callback(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.user_id:
            await interaction.response.send_message(NOT_YOURS, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        if interaction.guild_id is None:
            return
        service = services_of(interaction).search
        try:
            page = await service.search(interaction.guild_id, self.query, self.page)
        except QueryError as exc:
            await interaction.response.send_message(exc.args[0], ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await interaction.response.edit_message(
            embed=search_embed(page),
            view=results_view(interaction.user.id, page),
            allowed_mentions=NO_MENTIONS,
        )


def results_view(user_id: int, page: SearchPage) -> discord.ui.View | None:
    """Previous / position / Next, or nothing when everything fits on one page."""
    if page.pages <= 1:
        return None
    query = page.text.strip()[:QUERY_MAX_CHARS]
    view = discord.ui.View(timeout=None)
    view.add_item(
        SearchPageButton(
            user_id, max(0, page.page - 1), query, label="◀ Previous", disabled=not page.has_previous
        )
    )
    view.add_item(
        discord.ui.Button(
            label=f"{page.page + 1} / {page.pages}",
            disabled=True,
            custom_id=f"{PREFIX}-position",
            style=discord.ButtonStyle.secondary,
        )
    )
    view.add_item(
        SearchPageButton(
            user_id, min(page.pages - 1, page.page + 1), query, label="Next ▶", disabled=not page.has_next
        )
    )
    return view
