"""The poll posted with each episode: settings, the digest's question, idempotent retries."""

from __future__ import annotations

from datetime import timedelta

import discord
import pytest

from bot.client import CommunityBot
from bot.polls import publish
from bot.polls.models import PollMode, PollStatus, PollSuggestion
from bot.polls.service import episode_nonce
from bot.polls.spec import DEFAULT_SUGGESTION, spec_from_suggestion
from bot.store import Store
from bot.timeutil import utcnow
from tests.doubles.discord import state as double_state
from tests.polls.conftest import PollsRunner, World, make_episodes

SUGGESTION = PollSuggestion(
    question="After today's episode: are open-weight models closing the gap?",
    answers=["Yes, the gap is closing", "No, closed labs pull ahead", "Hard to say"],
    open_answers=[0],
    closed_answers=[1],
)


@pytest.fixture(autouse=True)
async def episodes(store: Store) -> None:
    await make_episodes(store, range(101, 110))


async def episode_thread(bot: CommunityBot, world: World, name: str) -> discord.Thread:
    channel = bot.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    return await channel.create_thread(name=name, type=discord.ChannelType.public_thread)


def polls_in(world: World, thread: discord.Thread) -> list:
    return [m for m in world.double.messages_in(thread.id) if m.poll is not None or m.components]


async def test_the_episode_poll_is_posted_once_in_the_thread(
    world: World, bot: CommunityBot, runner: PollsRunner
) -> None:
    thread = await episode_thread(bot, world, "Episode 101")
    service = runner.service
    first = await service.create_episode_poll(
        guild_id=world.guild.id, thread=thread, item_id=101, suggestion=SUGGESTION
    )
    again = await service.create_episode_poll(
        guild_id=world.guild.id, thread=thread, item_id=101, suggestion=SUGGESTION
    )
    assert first is not None and first == again
    [message] = polls_in(world, thread)
    assert message.poll.question == SUGGESTION.question
    assert [a.text for a in message.poll.answers] == SUGGESTION.answers
    poll = await service.repo.get(first)
    assert poll.item_id == 101 and [a.stance.value if a.stance else None for a in poll.answers] == [
        "open",
        "closed",
        None,
    ]


async def test_a_retry_after_a_crash_never_posts_a_second_poll(
    world: World, bot: CommunityBot, runner: PollsRunner
) -> None:
    thread = await episode_thread(bot, world, "Episode 102")
    service = runner.service
    spec = spec_from_suggestion(SUGGESTION, duration_hours=24, mode=PollMode.NATIVE)
    now = utcnow()
    # The intent was recorded and the message sent, then the process died before recording the message.
    pending, _ = await service.repo.create(
        spec,
        guild_id=world.guild.id,
        channel_id=thread.id,
        nonce=episode_nonce(world.guild.id, 102),
        created_at=now,
        closes_at=now,
        item_id=102,
    )
    await publish.send_poll(thread, pending, service.view_factory)
    assert len(polls_in(world, thread)) == 1

    retried = await service.create_episode_poll(
        guild_id=world.guild.id, thread=thread, item_id=102, suggestion=SUGGESTION
    )
    [message] = polls_in(world, thread)  # Discord returned the first message for the same nonce
    poll = await service.repo.get(retried)
    assert poll.id == pending.id and poll.status is PollStatus.OPEN and poll.message_id == message.id


async def test_settings_turn_episode_polls_off_or_anonymous_with_the_default_question(
    world: World, bot: CommunityBot, runner: PollsRunner
) -> None:
    double = world.double
    off = await double.invoke(
        world.guild, world.moderator, "poll settings", {"auto": False}, channel=world.general
    )
    assert "Episode polls are **off**" in (await off.wait_final()).content
    thread = await episode_thread(bot, world, "Episode 103")
    service = runner.service
    assert (
        await service.create_episode_poll(
            guild_id=world.guild.id, thread=thread, item_id=103, suggestion=None
        )
        is None
    )
    assert polls_in(world, thread) == []

    on = await double.invoke(
        world.guild,
        world.moderator,
        "poll settings",
        {"auto": True, "mode": "anonymous", "duration_hours": 72},
        channel=world.general,
    )
    assert "**on**: mode **anonymous**, open for **72 h**" in (await on.wait_final()).content
    poll_id = await service.create_episode_poll(
        guild_id=world.guild.id, thread=thread, item_id=103, suggestion=None
    )
    [message] = polls_in(world, thread)
    assert DEFAULT_SUGGESTION.question in message.text()
    assert f"polls:vote:{poll_id}:1" in message.custom_ids()
    poll = await service.repo.get(poll_id)
    assert (poll.closes_at - poll.created_at).total_seconds() == 72 * 3600

    member = await double.invoke(
        world.guild, world.alice, "poll settings", {"auto": False}, channel=world.general
    )
    assert "Manage Server" in (await member.wait_final()).content
    assert (await service.settings(world.guild.id)).auto_enabled


async def test_a_thread_the_bot_cannot_post_in_returns_none_and_is_retried_later(
    world: World, bot: CommunityBot, runner: PollsRunner
) -> None:
    thread = await episode_thread(bot, world, "Episode 104")
    world.double.expect_errors(50013)  # Missing Permissions, provoked on purpose
    world.double.deny_bot(world.general)
    service = runner.service
    assert (
        await service.create_episode_poll(
            guild_id=world.guild.id, thread=thread, item_id=104, suggestion=None
        )
        is None
    )
    world.double.allow_bot(world.general)
    poll_id = await service.create_episode_poll(
        guild_id=world.guild.id, thread=thread, item_id=104, suggestion=None
    )
    assert poll_id is not None and len(polls_in(world, thread)) == 1


async def test_a_retry_after_discords_nonce_window_finds_the_poll_in_the_thread(
    world: World, bot: CommunityBot, runner: PollsRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(double_state, "NONCE_WINDOW_SECONDS", 0)  # Discord has forgotten the nonce
    thread = await episode_thread(bot, world, "Episode 105")
    service = runner.service
    for mode, item in [(PollMode.NATIVE, 105), (PollMode.ANONYMOUS, 106)]:
        spec = spec_from_suggestion(SUGGESTION, duration_hours=24, mode=mode)
        then = utcnow() - timedelta(minutes=10)
        pending, _ = await service.repo.create(
            spec,
            guild_id=world.guild.id,
            channel_id=thread.id,
            nonce=episode_nonce(world.guild.id, item),
            created_at=then,
            closes_at=then + timedelta(hours=24),
            item_id=item,
        )
        sent = await publish.send_poll(thread, pending, service.view_factory)
        await service.update_settings(world.guild.id, auto=True, mode=mode, duration_hours=None)
        retried = await service.create_episode_poll(
            guild_id=world.guild.id, thread=thread, item_id=item, suggestion=SUGGESTION
        )
        poll = await service.repo.get(retried)
        assert poll.message_id == sent.id and poll.status is PollStatus.OPEN
    assert len(polls_in(world, thread)) == 2


async def test_a_discord_outage_is_raised_for_the_caller_to_retry_and_posts_once(
    world: World, bot: CommunityBot, runner: PollsRunner
) -> None:
    thread = await episode_thread(bot, world, "Episode 107")
    world.double.inject(f"POST /channels/{thread.id}/messages", status=503)
    service = runner.service
    with pytest.raises(discord.DiscordServerError):
        await service.create_episode_poll(
            guild_id=world.guild.id, thread=thread, item_id=107, suggestion=None
        )
    assert polls_in(world, thread) == []
    poll_id = await service.create_episode_poll(
        guild_id=world.guild.id, thread=thread, item_id=107, suggestion=None
    )
    assert poll_id is not None and len(polls_in(world, thread)) == 1


async def test_a_deleted_episode_keeps_its_poll_and_a_recycled_id_gets_a_new_one(
    world: World, bot: CommunityBot, runner: PollsRunner, store: Store
) -> None:
    thread = await episode_thread(bot, world, "Episode 108")
    service = runner.service
    old = await service.create_episode_poll(
        guild_id=world.guild.id, thread=thread, item_id=108, suggestion=None
    )
    await store.db.execute("DELETE FROM items WHERE id = 108")  # the feed was removed
    assert (await service.repo.get(old)).item_id is None
    await make_episodes(store, [108])  # SQLite hands the id out again
    new = await service.create_episode_poll(
        guild_id=world.guild.id, thread=thread, item_id=108, suggestion=None
    )
    assert new is not None and new != old and len(polls_in(world, thread)) == 2


async def test_a_poll_recorded_long_ago_but_never_posted_runs_its_full_duration(
    world: World, bot: CommunityBot, runner: PollsRunner
) -> None:
    thread = await episode_thread(bot, world, "Episode 109")
    service = runner.service
    spec = spec_from_suggestion(SUGGESTION, duration_hours=24, mode=PollMode.NATIVE)
    then = utcnow() - timedelta(hours=30)  # the process died right after recording, a day ago
    await service.repo.create(
        spec,
        guild_id=world.guild.id,
        channel_id=thread.id,
        nonce=episode_nonce(world.guild.id, 109),
        created_at=then,
        closes_at=then + timedelta(hours=24),
        item_id=109,
    )
    poll_id = await service.create_episode_poll(
        guild_id=world.guild.id, thread=thread, item_id=109, suggestion=SUGGESTION
    )
    poll = await service.repo.get(poll_id)
    assert poll.status is PollStatus.OPEN and poll.closes_at > utcnow() + timedelta(hours=23)
    [message] = polls_in(world, thread)
    assert message.poll.expiry > utcnow() + timedelta(hours=23)
