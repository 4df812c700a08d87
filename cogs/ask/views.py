"""The "Post to channel" button under an ephemeral answer.

The state lives in the `custom_id` (`ask:post:<member>:<answer id>`) and the stored answer, so the button
works after a restart. Only the member who asked may post, only in the server it was asked in, and only
where `/ask` is allowed; the post pings nobody.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.ask.render import answer_embed
from bot.errors import NO_MENTIONS
from bot.interactions import services_of
from bot.render.text import defang_mentions, truncate

NOT_YOURS = "Only the member who asked can post this answer; ask `/ask` for your own."
GONE = "That answer is no longer stored; ask again with `/ask`."


class PostAnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"ask:post:(?P<user>\d+):(?P<answer>\d+)"
):
    """Posts the answer in the channel for everyone."""

    def __init__(self, user_id: int, answer_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Post to channel",
                style=discord.ButtonStyle.primary,
                custom_id=f"ask:post:{user_id}:{answer_id}",
            )
        )
        self.user_id = user_id
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PostAnswerButton:
        return cls(int(match["user"]), int(match["answer"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.user_id:
            await interaction.response.send_message(NOT_YOURS, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        services = services_of(interaction)
        found = await services.ask.stored_answer(self.answer_id)
        if found is None or found[0] != interaction.guild_id or interaction.guild_id is None:
            await interaction.response.send_message(GONE, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        config = await services.ask.guild_config(interaction.guild_id)
        if not config.enabled or (config.channels and interaction.channel_id not in config.channels):
            await interaction.response.send_message(
                "`/ask` answers can't be posted here.", ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        embed = answer_embed(found[1], model=services.settings.openai_model)
        name = defang_mentions(truncate(interaction.user.display_name, 80))
        embed.set_author(name=f"{name} asked")
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_MENTIONS)


def post_view(user_id: int, answer_id: int | None) -> discord.ui.View | None:
    if answer_id is None:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(PostAnswerButton(user_id, answer_id))
    return view
