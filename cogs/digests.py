"""`/digest` for members, `/admin digest …` for moderators, and the digest post in an episode's thread.

A thin adapter over `bot.digest`: the `DigestService` built by `bot.container` (the announcement pipeline
is handed the same one there), the renderers, and the store's feed items for choosing an episode.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.admin_group import mount, unmount
from bot.digest.render import render_digest_embed
from bot.digest.service import BackendChoice, DigestError, DigestPending, DigestService
from bot.errors import NO_MENTIONS, UserFacingError
from bot.feeds.models import StoredItem
from bot.render.text import truncate
from cogs._options import DigestItem

if TYPE_CHECKING:
    from bot.announce.directory import FeedDirectory
    from bot.client import CommunityBot
    from bot.digest.models import Digest

log = logging.getLogger(__name__)

#: How long a command waits for a digest another bot process is making (within the interaction's 15 min).
PENDING_WAIT = 300.0
BEING_MADE = (
    "This episode's digest is being written right now by another of the bot's processes; "
    "try again in a few minutes."
)

DigestEpisode = app_commands.Transform[StoredItem, DigestItem]

BACKENDS = [
    app_commands.Choice(name="Automatic (LLM when configured and within budget)", value="auto"),
    app_commands.Choice(name="LLM", value="llm"),
    app_commands.Choice(name="Offline extractive summarizer", value="offline"),
]


class Digests(commands.Cog):
    """Episode digests."""

    def __init__(self, bot: CommunityBot, service: DigestService, directory: FeedDirectory) -> None:
        self.bot = bot
        self.service = service
        self.directory = directory
        self.admin = DigestAdmin(self)

    # For the announcer ---------------------------------------------------------------------------

    async def post_digest(
        self, thread: discord.abc.Messageable, item: StoredItem, *, nonce: str | None = None
    ) -> tuple[Digest, discord.Message]:
        """Make (or reuse) the item's digest and post it in its discussion thread, pinging nobody."""
        digest = await self.service.ensure_digest(item)
        embed = render_digest_embed(digest, item)
        if nonce is not None:  # an idempotent send: Discord returns the first message for a repeated nonce
            message = await thread.send(embed=embed, allowed_mentions=NO_MENTIONS, nonce=nonce)
        else:
            message = await thread.send(embed=embed, allowed_mentions=NO_MENTIONS)
        return digest, message

    # Shared helpers ------------------------------------------------------------------------------

    def progress(self, interaction: discord.Interaction, title: str) -> Any:
        async def report(done: int, total: int) -> None:
            step = "combining the parts" if done == total and total > 1 else f"part {done} of {total} done"
            try:
                await interaction.edit_original_response(
                    content=f"Summarizing **{truncate(title, 150)}**: {step}…", allowed_mentions=NO_MENTIONS
                )
            except discord.HTTPException as exc:  # progress is a courtesy; the digest goes on
                log.info("could not show digest progress: %s", exc)

        return report

    # Member command ------------------------------------------------------------------------------

    @app_commands.command(name="digest", description="Read the digest of an episode or newsletter issue.")
    @app_commands.describe(
        episode="The episode or issue (start typing its title); the newest if left empty",
        public="Post the digest in the channel instead of only showing it to you",
    )
    async def digest(
        self, interaction: discord.Interaction, episode: DigestEpisode | None = None, public: bool = False
    ) -> None:
        # The option is resolved before the answer: a refusal is then ephemeral even when `public` was asked.
        item = (
            episode
            if episode is not None
            else await DigestItem.find(self.directory, interaction.guild_id, "")
        )
        await interaction.response.defer(ephemeral=not public, thinking=True)
        stored = await self.service.stored(item)
        if stored is not None:
            digest = stored.digest
        else:
            try:
                digest = await self.service.ensure_digest(
                    item, progress=self.progress(interaction, item.title), wait=PENDING_WAIT
                )
            except DigestPending:
                raise UserFacingError(BEING_MADE) from None
        await interaction.edit_original_response(
            content=None, embed=render_digest_embed(digest, item), allowed_mentions=NO_MENTIONS
        )


class DigestAdmin(app_commands.Group):
    """`/admin digest …` (Manage Server: hidden by the `/admin` group, enforced by the tree and here)."""

    def __init__(self, cog: Digests) -> None:
        super().__init__(name="digest", description="Episode digests: regenerate one, see the LLM spend.")
        self.cog = cog

    @app_commands.command(
        name="regenerate", description="Make an episode's digest again, bypassing the cache."
    )
    @app_commands.describe(
        episode="The episode or issue (start typing its title)", backend="Which summarizer"
    )
    @app_commands.choices(backend=BACKENDS)
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def regenerate(
        self,
        interaction: discord.Interaction,
        episode: DigestEpisode,
        backend: app_commands.Choice[str] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        cog = self.cog
        item = episode
        choice: BackendChoice = "auto"
        if backend is not None and backend.value in ("llm", "offline"):
            choice = "llm" if backend.value == "llm" else "offline"
        try:
            digest = await cog.service.ensure_digest(
                item,
                backend=choice,
                force=True,
                progress=cog.progress(interaction, item.title),
                wait=PENDING_WAIT,
            )
        except DigestPending:
            raise UserFacingError(BEING_MADE) from None
        except DigestError as exc:
            raise UserFacingError(str(exc)) from exc
        if digest.backend == "llm":
            made = f"by {digest.model} ({digest.tokens_in:,} tokens in, {digest.tokens_out:,} out)"
        else:
            made = "by the offline summarizer"
        note = f" The LLM was not used: {digest.fallback_reason}." if digest.fallback_reason else ""
        repaired = sorted(name for name, came in digest.field_sources.items() if came != "llm")
        if repaired:  # the LLM's own text failed the checks for these; the offline analysis filled them
            note += f" Taken from the offline analysis: {', '.join(repaired)}."
        log.info("digest of %s regenerated by %s (%s)", item.key, interaction.user.id, digest.backend)
        await interaction.edit_original_response(
            content=truncate(f"Regenerated {made}.{note}", 2000),
            embed=render_digest_embed(digest, item),
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(
        name="status",
        description="The digest backend, LLM spend, the server's learned context and the LLM's success rate.",
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def status(self, interaction: discord.Interaction) -> None:
        lines = await self.cog.service.status_lines()
        await interaction.response.send_message(
            "\n".join(lines), ephemeral=True, allowed_mentions=NO_MENTIONS
        )


async def setup(bot: CommunityBot) -> None:
    cog = Digests(bot, bot.services.digests, bot.services.feed_directory)
    await bot.add_cog(cog)
    mount(bot, cog.admin)


async def teardown(bot: CommunityBot) -> None:
    unmount(bot, "digest")
