"""The anonymous poll's buttons as they are sent: one per answer, then "My vote" and "Withdraw my vote".

Each button's custom_id names the poll (`polls:vote:<poll_id>:<answer>`, `polls:mine:<poll_id>`,
`polls:withdraw:<poll_id>`). The polls cog registers dynamic items matching these ids, which answer the
clicks, so the view sent here keeps working after a restart without being re-registered per poll.
"""

from __future__ import annotations

import discord

from bot.polls.models import Poll
from bot.render.limits import BUTTON_LABEL
from bot.render.text import truncate


def vote_id(poll_id: int, position: int) -> str:
    return f"polls:vote:{poll_id}:{position}"


def mine_id(poll_id: int) -> str:
    return f"polls:mine:{poll_id}"


def withdraw_id(poll_id: int) -> str:
    return f"polls:withdraw:{poll_id}"


def vote_button(poll_id: int, position: int, label: str | None = None) -> discord.ui.Button[discord.ui.View]:
    return discord.ui.Button(
        style=discord.ButtonStyle.primary,
        label=truncate(label or str(position), BUTTON_LABEL),
        custom_id=vote_id(poll_id, position),
    )


def mine_button(poll_id: int) -> discord.ui.Button[discord.ui.View]:
    return discord.ui.Button(style=discord.ButtonStyle.secondary, label="My vote", custom_id=mine_id(poll_id))


def withdraw_button(poll_id: int) -> discord.ui.Button[discord.ui.View]:
    return discord.ui.Button(
        style=discord.ButtonStyle.danger, label="Withdraw my vote", custom_id=withdraw_id(poll_id)
    )


def vote_view(poll: Poll) -> discord.ui.View:
    """The persistent view sent with an anonymous poll: one button per answer, then My vote / Withdraw."""
    view = discord.ui.View(timeout=None)
    for answer in poll.answers:
        button = vote_button(poll.id, answer.position, f"{answer.position}. {answer.text}")
        button.row = (answer.position - 1) // 5
        view.add_item(button)
    for control in (mine_button(poll.id), withdraw_button(poll.id)):
        control.row = 2
        view.add_item(control)
    return view
