"""The Discord double against the real discord.py client: gateway, REST, interactions, faults."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.doubles.discord import (
    Channel,
    CommandNotSynced,
    CommandNotVisible,
    DiscordDouble,
    DiscordHTTPError,
    DiscordPyPatch,
    Guild,
    Member,
    P,
    Role,
    ScenarioError,
    limits,
)
from tests.doubles.discord.commands import validate_commands
from tests.doubles.discord.errors import FormErrors


class PanelView(discord.ui.View):
    """A persistent view: survives restarts because its items have fixed custom_ids."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Ping", custom_id="panel:ping", style=discord.ButtonStyle.primary)
    async def ping(self, interaction: discord.Interaction, button: discord.ui.Button[PanelView]) -> None:
        await interaction.response.send_message(f"pong for {interaction.user.name}", ephemeral=True)

    @discord.ui.button(label="Count", custom_id="panel:count", style=discord.ButtonStyle.secondary)
    async def count(self, interaction: discord.Interaction, button: discord.ui.Button[PanelView]) -> None:
        await interaction.response.edit_message(content="clicked once")

    @discord.ui.select(
        custom_id="panel:pick",
        options=[
            discord.SelectOption(label="Open", value="open"),
            discord.SelectOption(label="Closed", value="closed"),
        ],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[PanelView]) -> None:
        await interaction.response.defer()
        await interaction.message.edit(content=f"picked {select.values[0]}")  # type: ignore[union-attr]


class NoteModal(discord.ui.Modal, title="Leave a note"):
    note: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(label="Note", custom_id="note:text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"noted: {self.note.value}")


class Bot(commands.Bot):
    """The bot under test: a handful of commands exercising each interaction flow."""

    def __init__(self, double: DiscordDouble, *, intents: discord.Intents | None = None) -> None:
        super().__init__(
            command_prefix="!",
            intents=intents or discord.Intents.default(),
            guild_ready_timeout=0.05,
        )
        self.double = double
        self.seen: list[tuple[str, Any]] = []
        self.errors: list[BaseException] = []
        self._changed = asyncio.Condition()
        self._wakers: set[asyncio.Task[None]] = set()
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        self._add_commands()

    # Recording ----------------------------------------------------------------------------------

    def note(self, name: str, value: Any) -> None:
        self.seen.append((name, value))
        task = asyncio.get_running_loop().create_task(self._wake())
        self._wakers.add(task)
        task.add_done_callback(self._wakers.discard)

    async def _wake(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_seen(
        self, name: str, check: Callable[[Any], bool] = lambda _: True, timeout: float = 5.0
    ) -> Any:
        def find() -> Any:
            return next((v for n, v in self.seen if n == name and check(v)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: find() is not None), timeout)
        return find()

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        self.errors.append(getattr(error, "original", error))
        self.note("error", getattr(error, "original", error))

    async def on_ready(self) -> None:
        self.note("ready", True)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.note("guild_join", guild)

    async def on_message(self, message: discord.Message) -> None:
        self.note("message", message)

    async def on_raw_poll_vote_add(self, payload: discord.RawPollVoteActionEvent) -> None:
        self.note("vote", payload)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        self.note("edit", payload)

    async def on_thread_create(self, thread: discord.Thread) -> None:
        self.note("thread_create", thread)

    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        self.note("thread_delete", payload)

    async def on_thread_update(self, before: discord.Thread, after: discord.Thread) -> None:
        self.note("thread_update", after)

    async def on_resumed(self) -> None:
        self.note("resumed", True)

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        self.note("member_update", after)

    async def on_guild_channel_create(self, channel: discord.abc.GuildChannel) -> None:
        self.note("channel_create", channel)

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        self.note("channel_delete", channel)

    async def setup_hook(self) -> None:
        self.add_view(PanelView())
        await self.tree.sync()

    # Commands -----------------------------------------------------------------------------------

    def _add_commands(self) -> None:
        community = app_commands.Group(name="community", description="Community tools")
        poll = app_commands.Group(name="poll", description="Polls", parent=community)
        tree = self.tree

        @poll.command(name="create", description="Create a poll")
        async def poll_create(interaction: discord.Interaction, question: str, answers: str) -> None:
            options = ", ".join(a.strip() for a in answers.split(";"))
            await interaction.response.send_message(f"{question}: {options}")

        @tree.command(name="slow", description="Defers, then edits")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("done thinking")

        @tree.command(name="report", description="Defers ephemerally, edits, then follows up")
        async def report(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.edit_original_response(content="report: 3 items")
            csv = discord.File(io.BytesIO(b"a,b"), "r.csv")
            await interaction.followup.send("details attached", file=csv, ephemeral=True)

        @tree.command(name="secret", description="Ephemeral reply")
        async def secret(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("only you", ephemeral=True)

        async def episodes(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            names = ["Opening", "Open weights", "Closing"]
            return [
                app_commands.Choice(name=n, value=n.lower()) for n in names if current.lower() in n.lower()
            ]

        @tree.command(name="episode", description="Find an episode")
        @app_commands.autocomplete(query=episodes)
        async def episode(interaction: discord.Interaction, query: str) -> None:
            await interaction.response.send_message(query)

        @tree.command(name="inspect", description="Typed options")
        async def inspect(
            interaction: discord.Interaction,
            who: discord.Member,
            where: discord.TextChannel,
            role: discord.Role,
            count: app_commands.Range[int, 1, 10],
            flag: bool,
        ) -> None:
            await interaction.response.send_message(
                f"{who.name}|{where.name}|{role.name}|{count}|{flag}",
                allowed_mentions=discord.AllowedMentions.none(),
            )

        @tree.command(name="panel", description="Post the panel")
        async def panel(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Panel", view=PanelView())

        @tree.command(name="twice", description="Answers twice at once (a bug)")
        async def twice(interaction: discord.Interaction) -> None:
            results = await asyncio.gather(
                interaction.response.send_message("one"),
                interaction.response.send_message("two"),
                return_exceptions=True,
            )
            for result in results:
                if isinstance(result, BaseException):
                    self.note("error", result)

        @tree.command(name="late", description="Answers after the deadline")
        async def late(interaction: discord.Interaction) -> None:
            await asyncio.sleep(self.double.interaction_timeout + 0.1)
            await interaction.response.send_message("too late")

        @tree.command(name="ignore", description="Never answers")
        async def ignore(interaction: discord.Interaction) -> None:
            return None

        @tree.command(name="note", description="Opens a modal")
        async def note(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(NoteModal())

        @tree.command(name="purge", description="Moderators only")
        @app_commands.default_permissions(manage_messages=True)
        async def purge(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("purged", ephemeral=True)

        tree.add_command(community)


@dataclass
class Scene:
    guild: Guild
    general: Channel
    forum: Channel
    alice: Member
    helper: Role


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    async with DiscordDouble(interaction_timeout=0.4) as fake:
        with fake.apply_to_discord_py():
            yield fake
        # Any 4xx a test did not declare with expect_errors() is a bug the bot would hit on Discord.
        fake.assert_no_errors()


@pytest.fixture
def scene(double: DiscordDouble) -> Scene:
    guild = double.add_guild("AI Daily Brief")
    general = double.add_text_channel(guild, "general")
    forum = double.add_forum_channel(guild, "episodes", tags=["news", "deep-dive"])
    helper = double.add_role(guild, "helper", mentionable=True)
    alice = double.add_member(guild, "alice")
    return Scene(guild, general, forum, alice, helper)


async def start_bot(double: DiscordDouble, **kwargs: Any) -> tuple[Bot, asyncio.Task[None]]:
    bot = Bot(double, **kwargs)
    await bot.login(double.token)  # REST login + setup_hook (the command sync) happen here
    task = asyncio.create_task(bot.connect())
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 5)
    except TimeoutError:
        raise AssertionError(double.report("the bot never became ready")) from None
    return bot, task


@pytest.fixture
async def bot(double: DiscordDouble, scene: Scene) -> AsyncIterator[Bot]:
    client, task = await start_bot(double)
    try:
        yield client
    finally:
        await client.close()
        await asyncio.wait_for(task, 5)


# Connection -------------------------------------------------------------------------------------


async def test_double_starts_fast_and_serves_gateway_discovery(double: DiscordDouble) -> None:
    started = time.perf_counter()
    async with DiscordDouble() as other:
        assert time.perf_counter() - started < 0.5
        assert other.api_base.startswith("http://127.0.0.1:") and other.api_base.endswith("/api/v10")
        assert other.gateway_url.startswith("ws://127.0.0.1:")
    assert double.api_base == discord.http.Route.BASE
    async with aiohttp.ClientSession() as session:
        async with session.get(double.api_base + "/gateway") as response:
            assert response.headers["Content-Type"] == "application/json"  # exactly: discord.py checks
            assert (await response.json())["url"] == double.gateway_url.rstrip("/")
        headers = {"Authorization": f"Bot {double.token}"}
        async with session.get(double.api_base + "/gateway/bot", headers=headers) as response:
            assert (await response.json())["shards"] == 1
        async with session.get(double.api_base + "/users/@me") as response:
            assert response.status == 401  # no token
    double.expect_errors(0)


async def test_ready_with_guilds_channels_and_members(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    guild = bot.get_guild(scene.guild.id)
    assert guild is not None and guild.name == "AI Daily Brief"
    assert guild.get_channel(scene.general.id).name == "general"  # type: ignore[union-attr]
    forum = guild.get_channel(scene.forum.id)
    assert isinstance(forum, discord.ForumChannel)
    assert [t.name for t in forum.available_tags] == ["news", "deep-dive"]
    assert guild.me.guild_permissions.manage_roles and not guild.me.guild_permissions.administrator
    assert bot.application_id == double.world.application_id
    assert double.gateway.heartbeats >= 1  # discord.py heartbeats right after HELLO
    assert bot.latency < 1.0  # ... and the double ACKed it


async def test_guild_added_later_emits_guild_create(double: DiscordDouble, bot: Bot) -> None:
    later = double.add_guild("Later")
    double.add_text_channel(later, "lobby")
    joined = await bot.wait_seen("guild_join", lambda g: g.id == later.id)
    await bot.wait_seen(
        "channel_create", lambda c: c.id in [ch.id for ch in double.world.guild_channels(later)]
    )
    assert [c.name for c in joined.text_channels] == ["lobby"]


def test_guilds_on_chosen_shards_get_distinct_ids(double: DiscordDouble) -> None:
    guilds = [double.add_guild(f"Guild {n}", shard=(n % 3, 3)) for n in range(30)]  # many in one ms
    assert [(g.id >> 22) % 3 for g in guilds] == [n % 3 for n in range(30)]
    assert len({g.id for g in guilds}) == 30 == len(double.world.guilds)


async def test_a_shard_sees_its_guilds_and_each_address_tells_its_client_apart(double: DiscordDouble) -> None:
    left = double.add_guild("Left", shard=(0, 2))
    right = double.add_guild("Right", shard=(1, 2))
    assert ((left.id >> 22) % 2, (right.id >> 22) % 2) == (0, 1)
    second = await double.add_address()
    assert second.port != double.port
    async with aiohttp.ClientSession() as session:
        for base in (double.api_base, second.api_base):
            async with session.get(base + "/users/@me", headers={"Authorization": f"Bot {double.token}"}):
                pass
    assert [r.port for r in double.requests[-2:]] == [double.port, second.port]

    with DiscordPyPatch(second.api_base, second.gateway_url):
        client = discord.Client(
            intents=discord.Intents.default(), shard_id=1, shard_count=2, guild_ready_timeout=0.05
        )
        await client.login(double.token)
        task = asyncio.create_task(client.connect())
        try:
            await asyncio.wait_for(client.wait_until_ready(), 5)
            assert [g.id for g in client.guilds] == [right.id]  # shard 1 is not told about guild "Left"
            [session] = double.gateway.live_sessions
            assert (session.shard, session.port) == ((1, 2), second.port)
            assert double.requests[-1].port == second.port  # its REST calls come in on its address
        finally:
            await client.close()
            await asyncio.wait_for(task, 5)


# Commands and interactions -----------------------------------------------------------------------


async def test_sync_keeps_payload_and_fetch_reads_it_back(
    double: DiscordDouble, scene: Scene, bot: Bot
) -> None:
    names = {c["name"] for c in double.commands()}
    assert {"community", "slow", "episode", "purge"} <= names
    community = double.command_named("community")
    assert community["options"][0]["type"] == 2 and community["options"][0]["options"][0]["name"] == "create"
    assert double.command_named("purge")["default_member_permissions"] == str(P.MANAGE_MESSAGES)
    fetched = await bot.tree.fetch_commands()
    assert {c.name: c.id for c in fetched} == {c["name"]: int(c["id"]) for c in double.commands()}
    guild_cmds = await bot.tree.sync(guild=discord.Object(scene.guild.id))
    assert guild_cmds == [] and double.commands(scene.guild) == []


async def test_invalid_command_sync_is_refused(double: DiscordDouble, bot: Bot) -> None:
    double.expect_errors(50035)
    bad = {"name": "Bad Name", "description": "x" * 101, "type": 1}
    with pytest.raises(discord.HTTPException) as info:
        await bot.http.bulk_upsert_global_commands(bot.application_id, payload=[bad])  # type: ignore[arg-type]
    assert info.value.code == 50035
    assert set(info.value._errors["0"]) == {"name", "description"}  # type: ignore[index]
    assert {c["name"] for c in double.commands()} >= {"slow"}  # the old tree is untouched


async def test_slash_command_in_a_subcommand_group(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    rec = await double.invoke(
        scene.guild, scene.alice, "community poll create", {"question": "Best?", "answers": "a; b"}
    )
    reply = await rec.wait_final()
    assert reply.content == "Best?: a, b" and not rec.ephemeral
    assert rec.response_type == 4 and reply.type == 20
    assert double.messages_in(scene.general)[-1].id == reply.id
    with pytest.raises(CommandNotSynced):
        await double.invoke(scene.guild, scene.alice, "community poll destroy")
    with pytest.raises(ScenarioError, match="required option"):
        await double.invoke(scene.guild, scene.alice, "community poll create", {"question": "q"})


async def test_typed_options_are_resolved(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    options = {"who": scene.alice, "where": scene.general, "role": scene.helper, "count": 3, "flag": True}
    rec = await double.invoke(scene.guild, scene.alice, "inspect", options)
    assert (await rec.wait_final()).content == "alice|general|helper|3|True"
    assert rec.allowed_mentions == {"parse": []}
    with pytest.raises(ScenarioError, match="outside"):
        await double.invoke(scene.guild, scene.alice, "inspect", options | {"count": 11})


async def test_defer_then_followup_replaces_the_thinking_message(
    double: DiscordDouble, scene: Scene, bot: Bot
) -> None:
    rec = await double.invoke(scene.guild, scene.alice, "slow")
    await rec.wait_response()
    assert rec.response_type == 5
    final = await rec.wait_final()
    assert final.content == "done thinking" and final.id == rec.original_id and not final.loading

    report = await double.invoke(scene.guild, scene.alice, "report")
    last = await report.wait_final(lambda m: m.content == "details attached")
    assert report.original is not None and report.original.content == "report: 3 items"
    assert report.ephemeral and [a.data for a in last.attachments] == [b"a,b"]
    assert [m.content for m in report.messages] == ["report: 3 items", "details attached"]
    assert double.messages_in(scene.general) == [final]  # ephemeral ones stay out of the channel


async def test_ephemeral_reply_stays_out_of_the_channel(
    double: DiscordDouble, scene: Scene, bot: Bot
) -> None:
    rec = await double.invoke(scene.guild, scene.alice, "secret")
    assert (await rec.wait_final()).content == "only you"
    assert rec.ephemeral
    assert double.messages_in(scene.general) == []


async def test_autocomplete_returns_the_bots_choices(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    choices = await double.autocomplete(
        scene.guild, scene.alice, "episode", {"query": "ope"}, focused="query"
    )
    assert choices == [
        {"name": "Opening", "value": "opening"},
        {"name": "Open weights", "value": "open weights"},
    ]


async def test_button_click_on_a_persistent_view(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    panel = await (await double.invoke(scene.guild, scene.alice, "panel")).wait_final()
    assert panel.custom_ids() == ["panel:ping", "panel:count", "panel:pick"]
    pong = await double.click(panel, "panel:ping", scene.alice)
    assert (await pong.wait_final()).content == "pong for alice" and pong.ephemeral
    count = await double.click(panel, "panel:count", scene.alice)
    updated = await count.wait_final()
    assert count.response_type == 7 and updated.id == panel.id and updated.content == "clicked once"
    pick = await double.click(panel, "panel:pick", scene.alice, values=["closed"])
    assert (await pick.wait_final()).content == "picked closed" and pick.response_type == 6
    with pytest.raises(ScenarioError, match="not among options"):
        await double.click(panel, "panel:pick", scene.alice, values=["maybe"])


async def test_modal_round_trip(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    opener = await (await double.invoke(scene.guild, scene.alice, "note")).wait_response()
    assert opener.modal["title"] == "Leave a note"
    submitted = await double.submit_modal(opener, scene.alice, {"note:text": "great episode"})
    assert (await submitted.wait_final()).content == "noted: great episode"


async def test_default_permissions_hide_commands(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    with pytest.raises(CommandNotVisible):
        await double.invoke(scene.guild, scene.alice, "purge")
    mod = double.add_member(scene.guild, "mod", permissions=P.MANAGE_MESSAGES)
    assert (await (await double.invoke(scene.guild, mod, "purge")).wait_final()).content == "purged"
    forced = await double.invoke(scene.guild, scene.alice, "purge", bypass_default_permissions=True)
    assert (await forced.wait_final()).content == "purged"


async def test_second_initial_response_is_refused(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    double.expect_errors(40060)
    rec = await double.invoke(scene.guild, scene.alice, "twice")
    await rec.wait_final()
    error = await bot.wait_seen("error")
    assert isinstance(error, discord.HTTPException) and error.code == 40060
    assert len(double.messages_in(scene.general)) == 1


async def test_unacknowledged_interaction_expires(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    double.expect_errors(10062)
    ignored = await double.invoke(scene.guild, scene.alice, "ignore")
    with pytest.raises(AssertionError, match="did not acknowledge"):
        await ignored.wait_response()
    assert ignored.expired
    late = await double.invoke(scene.guild, scene.alice, "late")
    error = await bot.wait_seen("error")
    assert isinstance(error, discord.NotFound) and error.code == 10062 and late.expired


# Messages, threads, polls ------------------------------------------------------------------------


async def test_send_with_nonce_twice_creates_one_message(
    double: DiscordDouble, scene: Scene, bot: Bot
) -> None:
    channel = bot.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("announcement", nonce="ann-1")
    second = await channel.send("announcement", nonce="ann-1")
    assert first.id == second.id
    assert [m.content for m in double.messages_in(scene.general)] == ["announcement"]
    sent = double.requests_to("POST /channels/{channel_id}/messages")
    assert [r.json["enforce_nonce"] for r in sent] == [True, True]


async def test_embeds_files_history_edit_and_mentions(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    channel = bot.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    embed = discord.Embed(title="Episode 12", description="Summary").set_image(url="attachment://chart.png")
    sent = await channel.send(
        f"{scene.helper.mention} new episode",
        embed=embed,
        file=discord.File(io.BytesIO(b"PNG!"), filename="chart.png"),
        allowed_mentions=discord.AllowedMentions(
            everyone=False, users=False, roles=[discord.Object(scene.helper.id)]
        ),
    )
    stored = double.message(sent)
    assert stored.attachments[0].filename == "chart.png" and stored.attachments[0].data == b"PNG!"
    assert stored.embeds[0]["image"]["url"] == stored.attachments[0].url
    assert await sent.attachments[0].read() == b"PNG!"
    assert stored.allowed_mentions == {"parse": [], "roles": [scene.helper.id], "replied_user": True}
    assert stored.mention_role_ids == [scene.helper.id] and stored.mention_user_ids == []
    more = [await channel.send(f"m{i}") for i in range(3)]
    history = [m.content async for m in channel.history(limit=2, before=more[-1])]
    assert history == ["m1", "m0"]
    after = [m.content async for m in channel.history(after=more[0], oldest_first=True)]
    assert after == ["m1", "m2"]
    edited = await more[0].edit(content="m0 (edited)")
    assert edited.edited_at is not None and double.message(more[0]).content == "m0 (edited)"
    await more[1].delete()
    assert double.message(more[1]).deleted


async def test_member_messages_respect_the_message_content_intent(
    double: DiscordDouble, scene: Scene, bot: Bot
) -> None:
    await double.post_message(scene.general, scene.alice, "hello there")
    plain = await bot.wait_seen("message", lambda m: m.author.id == scene.alice.id)
    assert plain.content == ""  # no MESSAGE_CONTENT intent: Discord blanks it
    await double.post_message(scene.general, scene.alice, f"<@{double.world.bot.id}> hi")
    mention = await bot.wait_seen("message", lambda m: m.content.endswith("hi"))
    assert bot.user in mention.mentions


async def test_thread_from_message(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    channel = bot.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    starter = await channel.send("Discuss episode 12")
    thread = await starter.create_thread(name="Episode 12")
    assert thread.id == starter.id and double.thread_named("Episode 12").parent_id == scene.general.id
    await bot.wait_seen("thread_create", lambda t: t.id == thread.id)
    await double.post_message(double.thread_named("Episode 12"), scene.alice, "first!")
    await bot.wait_seen("message", lambda m: m.channel.id == thread.id)
    await double.archive_thread(double.thread_named("Episode 12"))
    assert (await bot.wait_seen("thread_update", lambda t: t.id == thread.id)).archived
    double.expect_errors(160004)
    with pytest.raises(discord.HTTPException) as info:
        await starter.create_thread(name="again")
    assert info.value.code == 160004


async def test_bot_manages_threads(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    channel = bot.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    thread = await channel.create_thread(name="Weekly", type=discord.ChannelType.public_thread)
    stored = double.thread_named("Weekly")
    notice = double.messages_in(scene.general)[-1]
    assert notice.type == 18 and notice.content == "Weekly"  # Discord's "started a thread" message
    assert [t.id for t in await bot.get_guild(scene.guild.id).active_threads()] == [thread.id]  # type: ignore[union-attr]
    rec = await double.invoke(scene.guild, scene.alice, "secret", channel=stored)
    assert (await rec.wait_final()).channel_id == thread.id
    thread = await thread.edit(archived=True, name="Weekly (closed)")
    assert stored.archived and stored.name == "Weekly (closed)"
    await thread.send("reopening")  # sending to an archived, unlocked thread unarchives it
    assert not stored.archived
    await double.archive_thread(stored, locked=True)
    assert (await bot.wait_seen("thread_update", lambda t: t.locked)).id == thread.id
    await thread.send("mods may still post")  # the bot has Manage Threads
    double.set_bot_permissions(scene.guild, P.BOT_DEFAULT & ~P.MANAGE_THREADS)
    double.expect_errors(50083)
    await double.archive_thread(stored, locked=True)
    with pytest.raises(discord.HTTPException) as info:
        await thread.send("not any more")
    assert info.value.code == 50083
    double.set_bot_permissions(scene.guild, P.BOT_DEFAULT)
    await thread.delete()
    assert stored.deleted and double.threads == []


async def test_forum_post_with_a_tag(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    forum = bot.get_channel(scene.forum.id)
    assert isinstance(forum, discord.ForumChannel)
    news = next(t for t in forum.available_tags if t.name == "news")
    created = await forum.create_thread(name="Ep 13", content="Show notes", applied_tags=[news])
    assert created.thread.applied_tags == [news] and created.message.id == created.thread.id
    stored = double.thread_named("Ep 13")
    assert stored.applied_tags == [news.id]
    assert double.messages_in(stored)[0].content == "Show notes"
    double.expect_errors(50035)
    with pytest.raises(discord.HTTPException) as info:
        await forum.create_thread(name="x" * 101, content="too long")
    assert info.value.code == 50035
    thread, _ = await double.create_forum_post(scene.forum, scene.alice, "Member post", ["deep-dive"])
    assert (await bot.wait_seen("thread_create", lambda t: t.id == thread.id)).owner_id == scene.alice.id
    await double.delete_thread(thread)
    assert (
        await bot.wait_seen("thread_delete", lambda e: e.thread_id == thread.id)
    ).parent_id == scene.forum.id


async def test_native_poll_votes_and_ends_early(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    channel = bot.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    poll = discord.Poll(question="Open or closed?", duration=timedelta(hours=24))
    poll.add_answer(text="Open").add_answer(text="Closed")
    message = await channel.send(poll=poll)
    await double.vote(message, "Open", scene.alice)
    vote = await bot.wait_seen("vote")
    assert vote.user_id == scene.alice.id and vote.answer_id == 1
    ended = await message.poll.end()  # type: ignore[union-attr]
    assert ended.is_finalised() and ended.get_answer(1).vote_count == 1  # type: ignore[union-attr]
    result = await double.wait_for_message(scene.general, lambda m: m.type == 46)
    assert {f["name"]: f["value"] for f in result.embeds[0]["fields"]}["victor_answer_id"] == "1"
    voters = [u.id async for u in ended.get_answer(1).voters()]  # type: ignore[union-attr]
    assert voters == [scene.alice.id]
    with pytest.raises(ScenarioError):
        await double.vote(message, "Closed", scene.alice)
    update = await bot.wait_seen("edit", lambda e: e.message_id == message.id and "poll" in e.data)
    assert update.data["poll"]["results"]["is_finalized"] is True


async def test_poll_expiry_finalizes_with_results(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    channel = bot.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    poll = discord.Poll(question="Best model?", duration=timedelta(hours=1), multiple=True)
    message = await channel.send(poll=poll.add_answer(text="A").add_answer(text="B"))
    bob = double.add_member(scene.guild, "bob")
    await double.vote(message, "A", scene.alice)
    await double.vote(message, "B", scene.alice)  # multiple answers allowed in this poll
    await double.vote(message, "B", bob)
    await double.unvote(message, "A", scene.alice)
    result = await double.finalize_poll(message)
    fields = {f["name"]: f["value"] for f in result.embeds[0]["fields"]}
    assert fields["total_votes"] == "2" and fields["victor_answer_text"] == "B"
    fetched = await channel.fetch_message(message.id)
    assert fetched.poll is not None and fetched.poll.is_finalised()
    assert [a.vote_count for a in fetched.poll.answers] == [0, 2]


async def test_over_limit_payloads_get_invalid_form_body(
    double: DiscordDouble, scene: Scene, bot: Bot
) -> None:
    channel = bot.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    double.expect_errors(50035, 50006)
    big = discord.Embed(title="t" * 257, description="d" * 4000)
    with pytest.raises(discord.HTTPException) as info:
        await channel.send(embed=big)
    assert info.value.status == 400 and info.value.code == 50035
    assert "embeds.0.title" in info.value.text
    with pytest.raises(discord.HTTPException) as info:
        await channel.send("x" * 2001)
    assert info.value.code == 50035
    with pytest.raises(discord.HTTPException) as info:
        await bot.http.send_message(
            scene.general.id, params=discord.http.handle_message_parameters(content="")
        )
    assert info.value.code == 50006
    assert len(double.client_errors) == 3


# Guild members and roles --------------------------------------------------------------------------


async def test_role_add_and_role_above_the_bot(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    guild = bot.get_guild(scene.guild.id)
    assert guild is not None
    member = await guild.fetch_member(scene.alice.id)
    await member.add_roles(discord.Object(scene.helper.id), reason="joined helpers")
    assert scene.helper.id in scene.alice.role_ids
    assert double.requests_to("PUT /guilds/*/members/*/roles/*")[-1].reason == "joined helpers"
    assert scene.helper.id in [r.id for r in (await guild.fetch_member(scene.alice.id)).roles]
    admin = double.add_role(scene.guild, "admins", position=99)
    double.expect_errors(50013)
    with pytest.raises(discord.Forbidden) as info:
        await member.add_roles(discord.Object(admin.id))
    assert info.value.code == 50013
    own = double.add_role(scene.guild, "bot-extra")
    await guild.me.add_roles(discord.Object(own.id))
    updated = await bot.wait_seen("member_update", lambda m: m.id == double.world.bot.id)
    assert own.id in [r.id for r in updated.roles]  # updates to the bot's own member need no intent


async def test_members_intent_chunks_and_receives_member_updates(double: DiscordDouble, scene: Scene) -> None:
    intents = discord.Intents.default()
    intents.members = True
    client, task = await start_bot(double, intents=intents)
    try:
        guild = client.get_guild(scene.guild.id)
        assert guild is not None and guild.chunked and guild.get_member(scene.alice.id) is not None
        await guild.get_member(scene.alice.id).add_roles(discord.Object(scene.helper.id))  # type: ignore[union-attr]
        updated = await client.wait_seen("member_update", lambda m: m.id == scene.alice.id)
        assert scene.helper.id in [r.id for r in updated.roles]
    finally:
        await client.close()
        await task


async def test_intents_decide_which_events_arrive(double: DiscordDouble, scene: Scene) -> None:
    intents = discord.Intents.none()
    intents.guilds = intents.guild_messages = True  # no polls intent, no message content
    client, task = await start_bot(double, intents=intents)
    try:
        channel = client.get_channel(scene.general.id)
        assert isinstance(channel, discord.TextChannel)
        poll = (
            discord.Poll(question="Q?", duration=timedelta(hours=1)).add_answer(text="A").add_answer(text="B")
        )
        message = await channel.send(poll=poll)
        await double.vote(message, "A", scene.alice)
        await double.post_message(scene.general, scene.alice, "after the vote")
        # Events arrive in order: once the later message is in, a vote event would have been too.
        await client.wait_seen("message", lambda m: m.author.id == scene.alice.id)
        assert [name for name, _ in client.seen if name == "vote"] == []
        assert double.gateway.find("MESSAGE_POLL_VOTE_ADD")  # dispatched, but filtered for this session
        assert double.gateway.identifies[-1]["intents"] == intents.value
    finally:
        await client.close()
        await task


async def test_fetching_guild_roles_channels_and_members(
    double: DiscordDouble, scene: Scene, bot: Bot
) -> None:
    guild = await bot.fetch_guild(scene.guild.id, with_counts=True)
    assert guild.name == "AI Daily Brief" and guild.approximate_member_count == 3
    roles = {r.name for r in await guild.fetch_roles()}
    assert {"@everyone", "helper", double.world.bot.username} <= roles
    forum = await bot.fetch_channel(scene.forum.id)
    assert isinstance(forum, discord.ForumChannel) and len(forum.available_tags) == 2
    member = await guild.fetch_member(scene.alice.id)
    assert member.name == "alice" and member.joined_at is not None
    double.expect_errors(10007, 10003)
    with pytest.raises(discord.NotFound):
        await guild.fetch_member(12345)
    with pytest.raises(discord.NotFound):
        await bot.fetch_channel(12345)


async def test_dm_to_the_guild_owner(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    owner = await bot.fetch_user(scene.guild.owner_id)
    sent = await owner.send("Weekly report")
    assert double.messages_in(sent.channel.id)[0].content == "Weekly report"
    closed = double.add_member(scene.guild, "private", dms_open=False)
    double.expect_errors(50007)
    with pytest.raises(discord.Forbidden) as info:
        await (await bot.fetch_user(closed.id)).send("hi")
    assert info.value.code == 50007


# Faults -------------------------------------------------------------------------------------------


async def test_rate_limit_is_waited_out(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    fault = double.inject("POST /channels/{channel_id}/messages", status=429, retry_after=0.2, times=1)
    channel = bot.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    started = time.perf_counter()
    await channel.send("after the limit")
    assert time.perf_counter() - started >= 0.2
    assert fault.hits == 1
    assert [r.status for r in double.requests_to("POST /channels/*/messages")] == [429, 200]
    assert [m.content for m in double.messages_in(scene.general)] == ["after the limit"]


async def test_global_rate_limit_is_waited_out_and_nothing_is_lost(double: DiscordDouble, bot: Bot) -> None:
    """120 sends at once against Discord's 50 requests/s: discord.py waits out the global 429s (it pauses
    every request of the client), and each message arrives exactly once."""
    guild = double.add_guild("Busy")
    channels = [double.add_text_channel(guild, f"room-{n}") for n in range(120)]
    for _ in range(250):  # the client learns of them from the gateway (CHANNEL_CREATE)
        if bot.get_channel(channels[-1].id) is not None:
            break
        await asyncio.sleep(0.02)
    limit = double.enforce_global_rate_limit(50)
    started = time.perf_counter()
    targets = [bot.get_channel(channel.id) for channel in channels]
    await asyncio.gather(*(t.send(f"hello {n}") for n, t in enumerate(targets)))  # type: ignore[union-attr]
    elapsed = time.perf_counter() - started
    assert [[m.content for m in double.messages_in(c)] for c in channels] == [
        [f"hello {n}"] for n in range(120)
    ]
    assert limit.rejected, "120 sends at once must go over 50 requests/s"
    assert all(r.status == 429 and r.response["global"] is True for r in limit.rejected)
    assert elapsed >= 2.0  # three one-second windows: the limit held, and discord.py waited for it
    assert limit.admitted == 120


async def test_global_rate_limit_answers_like_discord(double: DiscordDouble, scene: Scene) -> None:
    """The 429's body and headers, as Discord sends them for the global limit; interactions are exempt."""
    double.enforce_global_rate_limit(1)
    headers = {"Authorization": f"Bot {double.token}"}
    async with aiohttp.ClientSession() as session:
        url = f"{double.api_base}/channels/{scene.general.id}"
        async with session.get(url, headers=headers) as first:
            assert first.status == 200
        async with session.get(url, headers=headers) as second:
            assert second.status == 429
            body = await second.json()
            assert body["global"] is True and 0 < body["retry_after"] <= 1
            assert second.headers["X-RateLimit-Global"] == "true"
            assert second.headers["X-RateLimit-Scope"] == "global"
            assert second.headers["Retry-After"] == "1" and second.headers["Via"] == "1.1 google"
            assert "X-RateLimit-Bucket" not in second.headers
    double.lift_global_rate_limit()
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as third:
        assert third.status == 200


async def test_server_errors_and_hangs(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    double.inject(f"GET /channels/{scene.general.id}", status=503)
    with pytest.raises(discord.DiscordServerError):
        await bot.fetch_channel(scene.general.id)
    double.inject(f"GET /channels/{scene.general.id}", status=None, hang=0.3)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(bot.fetch_channel(scene.general.id), 0.1)
    assert str(await bot.fetch_channel(scene.general.id)) == "general"


async def test_server_error_500_is_retried_by_discord_py(
    double: DiscordDouble, scene: Scene, bot: Bot
) -> None:
    double.inject(f"GET /channels/{scene.general.id}", status=500, times=1)
    assert str(await bot.fetch_channel(scene.general.id)) == "general"  # after discord.py's 1 s back-off
    assert [r.status for r in double.requests_to(f"GET /channels/{scene.general.id}")] == [500, 200]


async def test_bugs_in_the_double_fail_fast_and_loudly(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    def broken(request: Any) -> bool:
        raise RuntimeError("boom")

    fault = double.inject(broken)
    with pytest.raises(discord.HTTPException, match="internal error"):
        await bot.fetch_channel(scene.general.id)  # a 400, so discord.py does not retry for seconds
    assert "boom" in double.internal_errors[0]
    with pytest.raises(AssertionError, match="please fix the double"):
        double.assert_no_errors()
    fault.cancel()
    double.faults.clear()
    double.internal_errors.clear()
    double.expect_errors(0)


async def test_missing_permissions_is_forbidden_50013(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    double.deny_bot(scene.general)
    double.expect_errors(50013)
    channel = bot.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.Forbidden) as info:
        await channel.send("nope")
    assert info.value.status == 403 and info.value.code == 50013
    double.allow_bot(scene.general)
    await channel.send("yes")


async def test_deleted_channel_is_unknown_channel(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    channel = bot.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    await double.delete_channel(scene.general)
    double.expect_errors(10003)
    await bot.wait_seen("channel_delete", lambda c: c.id == scene.general.id)
    with pytest.raises(discord.NotFound) as info:
        await channel.send("into the void")
    assert info.value.code == 10003


async def test_gateway_drop_resumes_and_replays_missed_events(
    double: DiscordDouble, scene: Scene, bot: Bot
) -> None:
    assert await double.drop_gateway() == 1
    await double.post_message(scene.general, scene.alice, f"<@{double.world.bot.id}> while you were away")
    seen = await bot.wait_seen("message", lambda m: "away" in m.content)
    assert seen.author.id == scene.alice.id
    await bot.wait_seen("resumed")
    assert len(double.gateway.identifies) == 1 and len(double.gateway.resumes) == 1
    rec = await double.invoke(scene.guild, scene.alice, "secret")
    assert (await rec.wait_final()).content == "only you"


async def test_reconnect_opcode_resumes_the_session(double: DiscordDouble, scene: Scene, bot: Bot) -> None:
    await double.request_reconnect()
    await bot.wait_seen("resumed")
    assert [r["session_id"] for r in double.gateway.resumes] == [s.id for s in double.gateway.live_sessions]
    await double.post_message(scene.general, scene.alice, "still here")
    await bot.wait_seen("message", lambda m: m.author.id == scene.alice.id)


async def test_wait_for_failure_lists_what_the_bot_sent(
    double: DiscordDouble, scene: Scene, bot: Bot
) -> None:
    channel = bot.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("something else")
    with pytest.raises(AssertionError) as info:
        await double.wait_for_message(scene.general, lambda m: m.content == "never", timeout=0.1)
    assert "POST /channels/" in str(info.value) and "something else" in str(info.value)


# Limits (pure checks, no client) ------------------------------------------------------------------


def _flatten(tree: dict[str, Any], prefix: str = "") -> set[str]:
    found: set[str] = set()
    for key, value in tree.items():
        if key == "_errors":
            found.add(prefix)
        else:
            found |= _flatten(value, f"{prefix}.{key}" if prefix else key)
    return found


def _message_errors(payload: dict[str, Any]) -> set[str]:
    errors = FormErrors()
    limits.check_message(errors, payload)
    return _flatten(errors.tree)


def _button(custom_id: str = "b", label: str = "x") -> dict[str, Any]:
    return {"type": 2, "style": 1, "custom_id": custom_id, "label": label}


def _row(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(buttons)}


def _poll(question: str = "q", answers: int = 2, answer: str = "a", duration: float = 24) -> dict[str, Any]:
    items = [{"poll_media": {"text": answer}} for _ in range(answers)]
    return {"question": {"text": question}, "answers": items, "duration": duration, "layout_type": 1}


@pytest.mark.parametrize(
    ("ok", "bad", "field"),
    [
        ({"content": "x" * 2000}, {"content": "x" * 2001}, "content"),
        ({"embeds": [{"title": "t"}] * 10}, {"embeds": [{"title": "t"}] * 11}, "embeds"),
        ({"embeds": [{"title": "t" * 256}]}, {"embeds": [{"title": "t" * 257}]}, "embeds.0.title"),
        (
            {"embeds": [{"description": "d" * 4096}]},
            {"embeds": [{"description": "d" * 4097}]},
            "embeds.0.description",
        ),
        (
            {"embeds": [{"fields": [{"name": "n", "value": "v"}] * 25}]},
            {"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]},
            "embeds.0.fields",
        ),
        (
            {"embeds": [{"fields": [{"name": "n" * 256, "value": "v" * 1024}]}]},
            {"embeds": [{"fields": [{"name": "n" * 257, "value": "v"}]}]},
            "embeds.0.fields.0.name",
        ),
        (
            {"embeds": [{"fields": [{"name": "n", "value": "v" * 1024}]}]},
            {"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]},
            "embeds.0.fields.0.value",
        ),
        (
            {"embeds": [{"footer": {"text": "f" * 2048}}]},
            {"embeds": [{"footer": {"text": "f" * 2049}}]},
            "embeds.0.footer.text",
        ),
        (
            {"embeds": [{"author": {"name": "a" * 256}}]},
            {"embeds": [{"author": {"name": "a" * 257}}]},
            "embeds.0.author.name",
        ),
        (
            {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2000}]},
            {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]},
            "embeds",
        ),
        (
            {"components": [_row(_button(f"r{i}")) for i in range(5)]},
            {"components": [_row(_button(f"r{i}")) for i in range(6)]},
            "components",
        ),
        (
            {"components": [_row(*[_button(f"b{i}") for i in range(5)])]},
            {"components": [_row(*[_button(f"b{i}") for i in range(6)])]},
            "components.0.components",
        ),
        (
            {"components": [_row(_button("c" * 100))]},
            {"components": [_row(_button("c" * 101))]},
            "components.0.components.0.custom_id",
        ),
        (
            {"components": [_row(_button("a"))]},
            {"components": [_row(_button(""))]},
            "components.0.components.0.custom_id",
        ),
        (
            {"components": [_row(_button(label="l" * 80))]},
            {"components": [_row(_button(label="l" * 81))]},
            "components.0.components.0.label",
        ),
        ({"poll": _poll(question="q" * 300)}, {"poll": _poll(question="q" * 301)}, "poll.question.text"),
        ({"poll": _poll(answers=10)}, {"poll": _poll(answers=11)}, "poll.answers"),
        ({"poll": _poll(answers=1)}, {"poll": _poll(answers=0)}, "poll.answers"),
        (
            {"poll": _poll(answer="a" * 55)},
            {"poll": _poll(answer="a" * 56)},
            "poll.answers.0.poll_media.text",
        ),
        ({"poll": _poll(duration=768)}, {"poll": _poll(duration=769)}, "poll.duration"),
        ({"poll": _poll(duration=1)}, {"poll": _poll(duration=0)}, "poll.duration"),
    ],
)
def test_message_limits_at_and_over_the_edge(ok: dict[str, Any], bad: dict[str, Any], field: str) -> None:
    assert _message_errors(ok) == set()
    assert field in _message_errors(bad)


def _command(**overrides: Any) -> dict[str, Any]:
    return {"name": "poll", "description": "Polls", "type": 1, "options": []} | overrides


def _string_option(name: str = "q", **extra: Any) -> dict[str, Any]:
    return {"type": 3, "name": name, "description": "d"} | extra


@pytest.mark.parametrize(
    ("commands_payload", "field"),
    [
        ([_command(name="Poll")], "0.name"),
        ([_command(name="a" * 33)], "0.name"),
        ([_command(name="two words")], "0.name"),
        ([_command(description="")], "0.description"),
        ([_command(description="d" * 101)], "0.description"),
        ([_command(options=[_string_option(f"o{i}") for i in range(26)])], "0.options"),
        ([_command(options=[_string_option("Q")])], "0.options.0.name"),
        ([_command(options=[_string_option(description="d" * 101)])], "0.options.0.description"),
        (
            [
                _command(
                    options=[_string_option(choices=[{"name": str(i), "value": str(i)} for i in range(26)])]
                )
            ],
            "0.options.0.choices",
        ),
        (
            [_command(options=[_string_option("a"), _string_option("b", required=True)])],
            "0.options.1.required",
        ),
        ([_command(), _command()], "1.name"),
    ],
)
def test_command_sync_validation(commands_payload: list[dict[str, Any]], field: str) -> None:
    with pytest.raises(DiscordHTTPError) as info:
        validate_commands(commands_payload)
    assert info.value.code == 50035 and field in _flatten(info.value.errors or {})


def test_command_count_limit() -> None:
    validate_commands([_command(name=f"c{i}") for i in range(100)])
    with pytest.raises(DiscordHTTPError) as info:
        validate_commands([_command(name=f"c{i}") for i in range(101)])
    assert info.value.code == 30032
