"""`/admin feed …` and `/admin modlog`: where and how this server gets its announcements.

Mounted under the shared `/admin` group (Manage Server, enforced at run time by the tree). Every command
acts on this guild's subscriptions only.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.announce.models import AUTO_ARCHIVE_CHOICES, ChannelKind, Subscription
from bot.announce.outbox import MAX_BACKFILL
from bot.announce.roles import role_problem
from bot.errors import UserFacingError
from bot.feeds.models import Feed, StoredItem
from bot.interactions import answer, guild_of
from bot.render.text import defang_mentions, truncate
from cogs._options import AnyFeed, FeedItem, FollowedFeed
from cogs.announcements.feeds import channel_problems

FollowedFeedOption = app_commands.Transform[Feed, FollowedFeed]
AnyFeedOption = app_commands.Transform[Feed, AnyFeed]
FeedItemOption = app_commands.Transform[StoredItem, FeedItem]

if TYPE_CHECKING:
    from bot.announce.directory import FeedDirectory
    from bot.announce.models import SubscriptionSettings
    from bot.client import CommunityBot
    from cogs.announcements.cog import Announcements

log = logging.getLogger(__name__)

ARCHIVE_CHOICES = [
    app_commands.Choice(name={60: "1 hour", 1440: "1 day", 4320: "3 days", 10080: "1 week"}[m], value=m)
    for m in AUTO_ARCHIVE_CHOICES
]
AnnounceChannel = discord.TextChannel | discord.ForumChannel


#: Short on purpose: all of `/admin` shares Discord's 4,000-character budget per command.
FEED_OPTION = "podcast, newsletter, or a followed feed (type for suggestions)"


def describe_subscription(sub: Subscription, title: str, waiting: int) -> str:
    parts = [f"**{truncate(defang_mentions(title), 100)}** → <#{sub.channel_id}> ({sub.channel_kind.value})"]
    parts.append(f"ping <@&{sub.ping_role_id}>" if sub.ping_role_id else "no ping")
    if sub.channel_kind is ChannelKind.TEXT:
        parts.append(f"threads {'on' if sub.threads_enabled else 'off'} ({sub.auto_archive_minutes} min)")
    parts.append(f"cap {sub.effective_daily_cap}/day")
    if sub.paused:
        parts.append(f"⏸️ paused: {truncate(sub.pause_reason or '', 200)}")
    if waiting:
        parts.append(f"{waiting} waiting")
    return " · ".join(parts)


class FeedAdmin(app_commands.Group):
    """`/admin feed …`."""

    def __init__(self, bot: CommunityBot, cog: Announcements, directory: FeedDirectory) -> None:
        super().__init__(name="feed", description="Announcements: feeds, channels, ping roles, pause, why.")
        self.bot = bot
        self.cog = cog
        self.directory = directory

    # -- where announcements go ------------------------------------------------------------------------

    @app_commands.command(
        name="channel", description="Announce a feed (podcast, newsletter, id or URL) here."
    )
    @app_commands.describe(feed="podcast, newsletter, or a feed you added", channel="A text or forum channel")
    async def channel(
        self, interaction: discord.Interaction, feed: AnyFeedOption, channel: AnnounceChannel
    ) -> None:
        guild = guild_of(interaction)
        target = feed
        kind = ChannelKind.FORUM if isinstance(channel, discord.ForumChannel) else ChannelKind.TEXT
        pointed = await self.directory.point(guild.id, target, channel.id, kind)
        sub, before = pointed.subscription, pointed.before
        lines = [f"✅ **{truncate(target.display_name, 100)}** will be announced in {channel.mention}."]
        if before is not None and pointed.resumed is not None:
            lines.append(
                f"Delivery was paused ({before.pause_reason}); it is resumed ({pointed.resumed} waiting)."
            )
        problems = channel_problems(channel, sub)
        if problems:
            lines.append(
                f"⚠️ I am missing {problems} in {channel.mention}; announcements will pause until fixed."
            )
        if before is None:
            lines.append(
                "New items are announced from now on; `/admin feed backfill` announces the latest now."
            )
        self.cog.wake()
        await answer(interaction, "\n".join(lines))

    @app_commands.command(name="add", description="Follow another RSS/Atom feed in this server.")
    @app_commands.describe(
        url="The feed's address (http or https)", channel="Where to announce it (default: here)"
    )
    async def add(
        self, interaction: discord.Interaction, url: str, channel: AnnounceChannel | None = None
    ) -> None:
        guild = guild_of(interaction)
        target = channel or interaction.channel
        if not isinstance(target, discord.TextChannel | discord.ForumChannel):
            raise UserFacingError("Pick a text or forum channel for its announcements with `channel:`.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        feed, preview = await self.directory.add(url)
        kind = ChannelKind.FORUM if isinstance(target, discord.ForumChannel) else ChannelKind.TEXT
        sub = await self.directory.follow(guild.id, feed, target.id, kind)
        lines = [
            f"✅ Following **{truncate(defang_mentions(feed.display_name), 200)}** (id {feed.id}) in "
            f"{target.mention}: items that appear from now on are announced."
        ]
        if preview:
            lines.append(
                "Its newest items (not announced; `/admin feed backfill` announces some on request):"
            )
            lines += [f"• {truncate(defang_mentions(title), 150)}" for title in preview]
        problems = channel_problems(target, sub)
        if problems:
            lines.append(f"⚠️ I am missing {problems} in {target.mention}.")
        await answer(interaction, "\n".join(lines))

    @app_commands.command(name="remove", description="Stop announcing a feed in this server.")
    @app_commands.describe(feed=FEED_OPTION)
    async def remove(self, interaction: discord.Interaction, feed: FollowedFeedOption) -> None:
        guild = guild_of(interaction)
        target = feed
        await self.directory.unfollow(guild.id, target)
        await answer(
            interaction, f"✅ This server no longer follows **{truncate(target.display_name, 100)}**."
        )

    @app_commands.command(name="list", description="The feeds this server follows, where, and their health.")
    async def list_(self, interaction: discord.Interaction) -> None:
        guild = guild_of(interaction)
        followed = await self.directory.followed(guild.id)
        if not followed:
            await answer(
                interaction, "This server follows no feed yet: `/admin feed channel feed:podcast channel:#…`."
            )
            return
        lines = []
        for entry in followed:
            sub, feed = entry.subscription, entry.feed
            title = feed.display_name if feed else f"feed {sub.feed_id}"
            line = describe_subscription(sub, title, entry.waiting)
            if feed is not None and feed.status == "failing":
                line += f" · ❗ feed failing: {truncate(feed.last_error or '', 150)}"
            lines.append(f"• {line}")
        await answer(interaction, "\n".join(lines))

    # -- how ---------------------------------------------------------------------------------------------

    @app_commands.command(
        name="role", description="Set (or clear) the role pinged for a feed's announcements."
    )
    @app_commands.describe(
        feed=FEED_OPTION, role="Members opt in with the 🔔 button or /subscribe; leave empty to clear"
    )
    async def role(
        self, interaction: discord.Interaction, feed: FollowedFeedOption, role: discord.Role | None = None
    ) -> None:
        guild = guild_of(interaction)
        target = feed
        await self.directory.configure(guild.id, target.id, ping_role_id=role.id if role else None)
        if role is None:
            await answer(interaction, f"✅ Announcements of **{target.display_name}** ping nobody now.")
            return
        text = (
            f"✅ Announcements of **{target.display_name}** ping {role.mention} (members opt in themselves)."
        )
        problem = role_problem(guild, role)
        if problem:
            text += f"\n⚠️ {problem}"
        me = guild.me
        if not role.mentionable and not (me and me.guild_permissions.mention_everyone):
            text += (
                f"\n⚠️ {role.mention} is not mentionable, so Discord would not notify anyone: turn on "
                '"Allow anyone to @mention this role" in its settings.'
            )
        await answer(interaction, text)

    @app_commands.command(
        name="settings", description="Threads, auto-archive, daily cap and forum tag of a feed."
    )
    @app_commands.describe(
        feed=FEED_OPTION,
        threads="Open a discussion thread on each announcement (text channels)",
        archive="When idle threads archive",
        cap="Most announcements per day for this feed (0 = none)",
        tag="The forum tag to apply (its name), in forum channels",
    )
    @app_commands.choices(archive=ARCHIVE_CHOICES)
    async def settings(
        self,
        interaction: discord.Interaction,
        feed: FollowedFeedOption,
        threads: bool | None = None,
        archive: app_commands.Choice[int] | None = None,
        cap: app_commands.Range[int, 0, 50] | None = None,
        tag: str | None = None,
    ) -> None:
        guild = guild_of(interaction)
        target = feed
        values: SubscriptionSettings = {}
        if threads is not None:
            values["threads_enabled"] = threads
        if archive is not None:
            values["auto_archive_minutes"] = archive.value
        if cap is not None:
            values["daily_cap"] = cap
        if tag is not None:
            values["forum_tag_id"] = await self._tag_id(guild, target.id, tag)
        sub = await self.directory.configure(guild.id, target.id, **values)
        assert sub is not None  # noqa: S101 (resolve checked the guild follows it)
        await answer(interaction, "✅ " + describe_subscription(sub, target.display_name, 0))

    async def _tag_id(self, guild: discord.Guild, feed_id: int, name: str) -> int | None:
        if not name.strip() or name.strip().lower() == "none":
            return None
        sub = await self.directory.subscription(guild.id, feed_id)
        forum = guild.get_channel(sub.channel_id) if sub else None
        if not isinstance(forum, discord.ForumChannel):
            raise UserFacingError(
                "Tags only apply to forum channels; this feed is announced in a text channel. Move it to "
                "a forum with `/admin feed channel` first, or leave `tag:` out."
            )
        for tag in forum.available_tags:
            if tag.name.lower() == name.strip().lower():
                return tag.id
        names = ", ".join(t.name for t in forum.available_tags) or "none"
        raise UserFacingError(f"{forum.mention} has no tag named {name!r} (its tags: {names}).")

    # -- pause, resume, check, backfill, why ---------------------------------------------------------

    @app_commands.command(
        name="pause", description="Hold a feed's announcements here (they wait, nothing is lost)."
    )
    @app_commands.describe(feed=FEED_OPTION)
    async def pause(self, interaction: discord.Interaction, feed: FollowedFeedOption) -> None:
        guild = guild_of(interaction)
        target = feed
        await self.directory.pause(
            guild.id, target.id, f"paused by {interaction.user} with /admin feed pause"
        )
        await answer(
            interaction,
            f"⏸️ **{target.display_name}** is paused here; `/admin feed resume` delivers what waits.",
        )

    @app_commands.command(
        name="resume", description="Resume a paused feed; everything missed is announced once."
    )
    @app_commands.describe(feed=FEED_OPTION)
    async def resume(self, interaction: discord.Interaction, feed: FollowedFeedOption) -> None:
        guild = guild_of(interaction)
        target = feed
        waiting = await self.directory.resume(guild.id, target.id)
        self.cog.wake()
        await answer(
            interaction, f"▶️ **{target.display_name}** resumed: {waiting} announcement(s) go out now."
        )

    @app_commands.command(name="check", description="Fetch a feed now and report what was found.")
    @app_commands.describe(feed=FEED_OPTION)
    async def check(self, interaction: discord.Interaction, feed: FollowedFeedOption) -> None:
        target = feed
        await interaction.response.defer(ephemeral=True, thinking=True)
        worker = self.directory.worker()
        result = await worker.poll_feed(target.id, force=True)
        self.cog.wake()
        text = f"🔄 Checked **{target.display_name}**: {result.outcome}"
        text += f", {len(result.new_items)} new item(s), {len(result.edited_items)} edited."
        if result.error:
            text += f"\n❗ {truncate(result.error, 1000)}"
        await answer(interaction, text)

    @app_commands.command(name="backfill", description="Announce a feed's newest items here now (no ping).")
    @app_commands.describe(feed=FEED_OPTION, count=f"How many of its newest items (1-{MAX_BACKFILL})")
    async def backfill(
        self,
        interaction: discord.Interaction,
        feed: FollowedFeedOption,
        count: app_commands.Range[int, 1, MAX_BACKFILL] = 1,
    ) -> None:
        guild = guild_of(interaction)
        target = feed
        sub = await self.directory.subscription(guild.id, target.id)
        assert sub is not None  # noqa: S101 (resolve checked)
        queued = await self.cog.outbox.backfill(sub, count)
        self.cog.wake()
        if not queued:
            await answer(interaction, "Nothing to backfill: the newest items were already announced here.")
            return
        titles = "\n".join(f"• {truncate(defang_mentions(i.title), 150)}" for i in queued)
        await answer(interaction, f"📬 Announcing {len(queued)} item(s) in <#{sub.channel_id}>:\n{titles}")

    @app_commands.command(name="why", description="Why an episode or issue was or was not announced here.")
    @app_commands.describe(episode="Start typing its title")
    async def why(self, interaction: discord.Interaction, episode: FeedItemOption) -> None:
        guild = guild_of(interaction)
        item = episode
        _, explanation = await self.directory.why(guild.id, item)
        embed = discord.Embed(
            title=truncate(defang_mentions(item.title), 256),
            description=truncate(explanation.text(), 4000),
            colour=discord.Colour.green() if explanation.announced else discord.Colour.orange(),
        )
        await answer(interaction, "", embed=embed)


class ModlogAdmin(app_commands.Group):
    """`/admin modlog channel:#x`: where health alerts go (empty: clear, alerts then DM the owner). Mounted
    flat under `/admin` (`bot.admin_group.mount_commands`)."""

    def __init__(self, directory: FeedDirectory) -> None:
        super().__init__(name="modlog-admin", description="/admin modlog")
        self.directory = directory

    @app_commands.command(name="modlog", description="Set the channel for health alerts (empty to clear).")
    @app_commands.describe(channel="A text channel for alerts; leave empty to send them to the owner by DM")
    async def modlog(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        guild = guild_of(interaction)
        await self.directory.set_mod_log(guild.id, channel.id if channel else None)
        if channel is None:
            await answer(interaction, "✅ Mod-log cleared: alerts now go to the server owner by DM.")
            return
        problems = channel_problems(channel, None)
        text = f"✅ Health alerts go to {channel.mention}."
        if problems:
            text += f"\n⚠️ I am missing {problems} there, so alerts would fall back to the owner's DMs."
        await answer(interaction, text)
