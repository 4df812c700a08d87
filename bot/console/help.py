"""`/help`, generated from the live command tree so it can never list a command that does not exist.

Commands are grouped by capability (by their top-level name), shown with an example, and filtered to what
the person asking may run: `/admin …` (and anything else with default permissions) only for those who
hold the permissions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import discord
from discord import app_commands

from bot.command_types import SlashCommand
from bot.render.text import truncate

log = logging.getLogger(__name__)

EMBED_COLOUR = discord.Colour(0x5B5BD6)

# Top-level command → the group it is listed under, in this order.
GROUPS: dict[str, tuple[str, ...]] = {
    "Episodes and search": ("latest", "episode", "search", "ask", "digest"),
    "Notifications": ("subscribe", "unsubscribe"),
    "Polls": ("poll",),
    "Discussions": ("threads",),
    "About this bot": ("help", "about"),
    "Moderators": ("admin",),
}
OTHER_GROUP = "More"

# Examples people can copy; commands without one get their required options as placeholders.
EXAMPLES: dict[str, str] = {
    "latest": "/latest feed:podcast",
    "episode": "/episode query:open weights",
    "search": '/search query:"agentic coding"',
    "digest": "/digest",
    "ask": "/ask question:when did they first talk about Llama 4?",
    "admin ask": "/admin ask allow:#ask-the-archive",
    "subscribe": "/subscribe feed:podcast",
    "unsubscribe": "/unsubscribe feed:podcast",
    "help": "/help command:search",
    "admin setup": "/admin setup podcast_channel:#episodes mod_log:#mod-log",
    "admin status": "/admin status",
    "admin audit": "/admin audit show:Refusals member:@Alex",
}


@dataclass(frozen=True, slots=True)
class HelpEntry:
    """One runnable command as /help lists it."""

    name: str  # qualified, without the slash: "admin feed add"
    description: str
    usage: str  # "/search <query> [page]"
    example: str
    group: str
    options: tuple[tuple[str, str, bool], ...]  # (name, description, required)


def _group_of(root: str) -> str:
    for group, roots in GROUPS.items():
        if root in roots:
            return group
    return OTHER_GROUP


def may_use(command: SlashCommand | app_commands.Group, permissions: discord.Permissions | None) -> bool:
    """Whether someone with `permissions` sees the command (its root's default permissions)."""
    root = command.root_parent or command
    required = root.default_permissions
    if required is None or required.value == 0:
        return True
    if permissions is None:
        return False
    return permissions.administrator or required.is_subset(permissions)


def walk(commands: Iterable[SlashCommand | app_commands.Group]) -> Iterator[SlashCommand]:
    """Every leaf command (a Group's subcommands, recursively)."""
    for command in commands:
        if isinstance(command, app_commands.Group):
            yield from walk(command.commands)
        else:
            yield command


def usage(command: SlashCommand) -> str:
    parts = [f"/{command.qualified_name}"]
    for parameter in command.parameters:
        parts.append(f"<{parameter.display_name}>" if parameter.required else f"[{parameter.display_name}]")
    return " ".join(parts)


def example(command: SlashCommand) -> str:
    known = EXAMPLES.get(command.qualified_name)
    if known:
        return known
    required = [f"{p.display_name}:…" for p in command.parameters if p.required]
    return " ".join([f"/{command.qualified_name}", *required])


def entries(
    tree_commands: Iterable[SlashCommand | app_commands.Group | app_commands.ContextMenu],
    permissions: discord.Permissions | None,
    *,
    in_guild: bool = True,
    runnable: set[str] | None = None,
) -> list[HelpEntry]:
    """The commands this person can run here, grouped in the order of `GROUPS`, then by name.

    `runnable`, when given, holds the qualified names whose own checks pass for this person (see
    `runnable_names`): it hides moderator-only subcommands of member groups such as `/poll create`.
    """
    slash = [c for c in tree_commands if isinstance(c, app_commands.Command | app_commands.Group)]
    found = []
    for command in walk(slash):
        root = command.root_parent or command
        if not may_use(command, permissions if in_guild else None):
            continue
        if not in_guild and root.guild_only:
            continue
        if runnable is not None and command.qualified_name not in runnable:
            continue
        found.append(
            HelpEntry(
                name=command.qualified_name,
                description=command.description,
                usage=usage(command),
                example=example(command),
                group=_group_of(root.name),
                options=tuple((p.display_name, p.description, p.required) for p in command.parameters),
            )
        )
    order = [*GROUPS, OTHER_GROUP]
    return sorted(found, key=lambda entry: (order.index(entry.group), entry.name))


def help_embeds(found: list[HelpEntry]) -> list[discord.Embed]:
    """The overview: one field per group (split when long), as few embeds as the limits allow."""
    fields: list[tuple[str, str]] = []
    for group in [*GROUPS, OTHER_GROUP]:
        lines = [f"`{e.usage}` — {e.description}" for e in found if e.group == group]
        chunk: list[str] = []
        for line in lines:
            line = truncate(line, 300)
            if chunk and len("\n".join([*chunk, line])) > 1000:
                fields.append((group, "\n".join(chunk)))
                chunk = []
            chunk.append(line)
        if chunk:
            fields.append((group, "\n".join(chunk)))
    embed = discord.Embed(
        title="Commands",
        description="`<option>` is required, `[option]` optional. `/help command:NAME` shows one in detail.",
        colour=EMBED_COLOUR,
    )
    embeds = [embed]
    size = len(embed.title or "") + len(embed.description or "")
    named: set[str] = set()
    for name, value in fields:
        if len(embed.fields) >= 25 or size + len(name) + len(value) > 5500:
            embed = discord.Embed(colour=EMBED_COLOUR)
            embeds.append(embed)
            size = 0
        embed.add_field(name=f"{name} (continued)" if name in named else name, value=value, inline=False)
        named.add(name)
        size += len(name) + len(value) + 12
    return embeds[:10]


def command_embed(entry: HelpEntry) -> discord.Embed:
    """One command in detail: what it does, its options, an example."""
    embed = discord.Embed(title=f"/{entry.name}", description=entry.description, colour=EMBED_COLOUR)
    embed.add_field(name="Usage", value=f"`{entry.usage}`", inline=False)
    if entry.options:
        lines = [
            f"`{name}`{' (required)' if required else ''} — {description}"
            for name, description, required in entry.options
        ]
        embed.add_field(name="Options", value=truncate("\n".join(lines), 1024), inline=False)
    embed.add_field(name="Example", value=f"`{entry.example}`", inline=False)
    embed.set_footer(text=entry.group)
    return embed


async def runnable_names(
    commands: Iterable[SlashCommand | app_commands.Group | app_commands.ContextMenu],
    interaction: discord.Interaction,
) -> set[str]:
    """The leaf commands whose checks (cog, group and command checks) pass for this interaction's user."""
    names = set()
    slash = [c for c in commands if isinstance(c, app_commands.Command | app_commands.Group)]
    for command in walk(slash):
        try:
            allowed = await command._check_can_run(interaction)
        except app_commands.AppCommandError:
            allowed = False
        except Exception:  # a check that breaks must not break /help; hide that command
            log.warning("check of /%s failed while building /help", command.qualified_name, exc_info=True)
            allowed = False
        if allowed:
            names.add(command.qualified_name)
    return names
