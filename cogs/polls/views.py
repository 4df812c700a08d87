"""The anonymous poll's buttons: dynamic items, so every poll message keeps working after a restart.

The buttons are sent by `bot.polls.buttons.vote_view` (their custom_ids name the poll); these items match
those ids and answer the clicks through the bot's `PollService`. The state is read from the store on every
click, so nothing has to be re-registered per poll at start-up: `bot.add_dynamic_items(...)` once is enough.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, TypeAlias

import discord

from bot.errors import UserFacingError, error_code
from bot.interactions import answer, services_of
from bot.polls import buttons, render
from bot.polls.buttons import vote_view

if TYPE_CHECKING:
    from bot.polls.service import PollService

log = logging.getLogger(__name__)

__all__ = ["DYNAMIC_ITEMS", "vote_view"]

PollButton: TypeAlias = discord.ui.Button[discord.ui.View]


def _service(interaction: discord.Interaction) -> PollService:
    return services_of(interaction).polls


async def _run(interaction: discord.Interaction, action: Any) -> None:
    """Run a click; user-facing refusals are answered, surprises get an error code (and a log line)."""
    try:
        text = await action(_service(interaction))
    except UserFacingError as exc:
        text = exc.message
    except Exception:
        code = error_code()
        log.exception("error %s handling a poll button for guild %s", code, interaction.guild_id)
        text = f"Something went wrong on my side (error `{code}`). Your vote may not have been counted."
    try:
        await answer(interaction, text)
    except discord.HTTPException as exc:
        log.warning("could not answer a poll button click: %s", exc)


class VoteButton(
    discord.ui.DynamicItem[PollButton],
    template=r"polls:vote:(?P<poll>\d+):(?P<answer>\d+)",
):
    """One answer of an anonymous poll."""

    def __init__(self, poll_id: int, position: int, label: str | None = None) -> None:
        super().__init__(buttons.vote_button(poll_id, position, label))
        self.poll_id = poll_id
        self.position = position

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        return cls(int(match["poll"]), int(match["answer"]), getattr(item, "label", None))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act(service: PollService) -> str:
            outcome = await service.vote(
                self.poll_id,
                guild_id=interaction.guild_id,
                member_id=interaction.user.id,
                position=self.position,
            )
            return render.receipt(outcome.poll, outcome.chosen)

        await _run(interaction, act)


class MyVoteButton(discord.ui.DynamicItem[PollButton], template=r"polls:mine:(?P<poll>\d+)"):
    """Shows the member (only them) what they voted."""

    def __init__(self, poll_id: int) -> None:
        super().__init__(buttons.mine_button(poll_id))
        self.poll_id = poll_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MyVoteButton:
        return cls(int(match["poll"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act(service: PollService) -> str:
            outcome = await service.my_vote(
                self.poll_id, guild_id=interaction.guild_id, member_id=interaction.user.id
            )
            return render.receipt(outcome.poll, outcome.chosen)

        await _run(interaction, act)


class WithdrawButton(discord.ui.DynamicItem[PollButton], template=r"polls:withdraw:(?P<poll>\d+)"):
    """Removes the member's vote while the poll is open."""

    def __init__(self, poll_id: int) -> None:
        super().__init__(buttons.withdraw_button(poll_id))
        self.poll_id = poll_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> WithdrawButton:
        return cls(int(match["poll"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act(service: PollService) -> str:
            outcome = await service.withdraw(
                self.poll_id, guild_id=interaction.guild_id, member_id=interaction.user.id
            )
            return render.receipt(outcome.poll, outcome.chosen)

        await _run(interaction, act)


DYNAMIC_ITEMS = (VoteButton, MyVoteButton, WithdrawButton)
