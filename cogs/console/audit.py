"""`/admin audit`: the moderators' audit log, newest first, filtered by what happened and by whom.

By default it lists moderator actions and failures; refused attempts (someone without Manage Server, often
a member trying `/admin` again and again) are recorded too but collapsed into one line, so twenty refusals
never push a moderator's `feed add` off the first page. `show:` lists exactly one kind, or everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.audit import audit_line
from bot.audit_entries import Outcome
from bot.errors import NO_MENTIONS
from bot.interactions import guild_id_of
from bot.render.text import truncate
from bot.timeutil import discord_timestamp

if TYPE_CHECKING:
    from bot.console.audit_log import AuditService

AUDIT_PAGE = 10
#: What each `show:` choice lists; "" (no choice) is the default view with refusals collapsed.
SHOWN: dict[str, tuple[Outcome, ...]] = {
    "": ("ok", "failed"),
    "actions": ("ok",),
    "refusals": ("refused",),
    "failures": ("failed",),
    "all": ("ok", "refused", "failed"),
}
#: Short on purpose: all of `/admin` shares Discord's 4,000-character budget per command.
SHOW_CHOICES = [
    app_commands.Choice(name="Actions", value="actions"),
    app_commands.Choice(name="Refusals", value="refusals"),
    app_commands.Choice(name="Failures", value="failures"),
    app_commands.Choice(name="All", value="all"),
]


def command_filter(command: str | None) -> str | None:
    """What a moderator typed as `command:` as a recorded command name ("feed" → "admin feed")."""
    if not command or not command.strip():
        return None
    name = command.strip().lstrip("/").lower()
    return name if name.startswith("admin") or name.startswith("poll") else f"admin {name}"


class AuditAdmin(app_commands.Group):
    """`/admin audit`, mounted flat under `/admin` (`bot.admin_group.mount_commands`)."""

    def __init__(self, service: AuditService) -> None:
        super().__init__(name="audit-admin", description="/admin audit")
        self.service = service

    @app_commands.command(name="audit", description="Recent moderator actions in this server, newest first.")
    @app_commands.describe(
        show="Default: actions and failures, refusals collapsed",
        member="Only this person's entries",
        command="Only this command (e.g. feed add)",
        page="Which page of 10 (1 = newest)",
    )
    @app_commands.choices(show=SHOW_CHOICES)
    async def audit(
        self,
        interaction: discord.Interaction,
        show: app_commands.Choice[str] | None = None,
        member: discord.Member | discord.User | None = None,
        command: str | None = None,
        page: app_commands.Range[int, 1, 1000] = 1,
    ) -> None:
        guild_id = guild_id_of(interaction)
        name = command_filter(command)
        user_id = member.id if member else None
        kind = show.value if show else ""
        outcomes = SHOWN.get(kind, SHOWN[""])
        found = await self.service.page(
            guild_id,
            user_id=user_id,
            command=name,
            outcomes=outcomes,
            page=page,
            page_size=AUDIT_PAGE,
            with_refusals=not kind,
        )
        page, pages, total = found.page, found.pages, found.total
        lines = [audit_line(entry) for entry in found.entries]
        refused = found.refusals
        if refused is not None and refused.count:
            people = f"{refused.people} {'person' if refused.people == 1 else 'people'}"
            when = f", latest {discord_timestamp(refused.latest, 'R')}" if refused.latest else ""
            lines.insert(
                0,
                f"⛔ {refused.count} refused attempt{'s' if refused.count != 1 else ''} by {people}"
                f"{when}, not listed: `show: Refusals` lists them.",
            )
        title = "Moderator actions" if not kind else f"Moderator log: {kind}"
        embed = discord.Embed(title=title, colour=discord.Colour(0x5B5BD6))
        if not lines:
            filtered = name or user_id or kind
            embed.description = "Nothing recorded yet" + (" for that filter." if filtered else ".")
        else:
            embed.description = truncate("\n".join(lines), 4096)
            embed.set_footer(text=f"Page {page} of {pages} · {total} entr{'ies' if total != 1 else 'y'}")
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @audit.autocomplete("command")
    async def _commands(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        names = await self.service.commands(interaction.guild_id, current.strip().lstrip("/"))
        return [app_commands.Choice(name=f"/{n}"[:100], value=n[:100]) for n in names[:25]]
