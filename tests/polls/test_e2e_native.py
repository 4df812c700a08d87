"""Native polls end to end: create, votes mirrored, early end, Discord's finalization, limits, permissions."""

from __future__ import annotations

import asyncio

from bot.client import CommunityBot
from bot.polls.models import PollStatus
from bot.timeutil import utcnow
from tests.doubles.discord import P
from tests.harness import eventually
from tests.polls.conftest import PollsRunner, World

PNG = b"\x89PNG\r\n\x1a\n"


async def create_native(world: World, question: str = "Who leads AI right now?"):
    record = await world.double.invoke(
        world.guild,
        world.moderator,
        "poll create",
        {
            "question": question,
            "answers": "Open weights | Closed labs | Tie",
            "mode": "native",
            "duration_hours": 48,
            "open_answers": "1",
            "closed_answers": "2",
        },
        channel=world.general,
    )
    reply = await record.wait_final(lambda m: "is up" in m.content)
    assert reply.ephemeral
    message = await world.double.wait_for_message(world.general.id, lambda m: m.poll is not None)
    return message


async def test_native_poll_votes_are_mirrored_and_closing_early_posts_results(
    world: World, bot: CommunityBot, runner: PollsRunner
) -> None:
    double = world.double
    message = await create_native(world)
    assert message.poll.question == "Who leads AI right now?"
    assert [a.text for a in message.poll.answers] == ["Open weights", "Closed labs", "Tie"]
    assert message.allowed_mentions is not None and message.nonce
    poll = await runner.service.repo.by_message(message.id)
    assert poll is not None and poll.status is PollStatus.OPEN

    await double.vote(message, "Open weights", world.alice)
    await double.vote(message, "Closed labs", world.bob)
    await double.vote(message, "Tie", world.moderator)
    await double.unvote(message, "Tie", world.moderator)

    async def mirrored():
        tally = await runner.service.tally(poll)
        return [a.votes for a in tally.answers] == [1, 1, 0]

    await eventually(mirrored, what="the votes mirrored in the store")

    close = await double.invoke(
        world.guild, world.moderator, "poll close", {"poll": poll.id}, channel=world.general
    )
    assert "is closed" in (await close.wait_final(lambda m: "closed" in m.content)).content
    assert double.message(message.id).poll.finalized  # end_poll reached Discord
    results = await double.wait_for_message(world.general.id, lambda m: bool(m.attachments))
    text = results.text()
    assert "Open weights" in text and "1 vote (50.0%)" in text and "50% open" in text
    assert results.attachments[0].data.startswith(PNG)
    assert results.embeds[0]["image"]["url"].endswith(
        f"/{results.attachments[0].filename}"
    )  # shown in the embed
    assert results.message_reference["message_id"] == str(message.id)
    assert results.allowed_mentions == {"parse": []} or results.allowed_mentions["parse"] == []
    closed = await runner.service.repo.get(poll.id)
    assert closed.status is PollStatus.DONE
    assert [a.final_count for a in closed.answers] == [1, 1, 0]


async def test_discord_ending_a_poll_by_itself_closes_it_with_results(
    world: World, bot: CommunityBot, runner: PollsRunner
) -> None:
    message = await create_native(world, "Will open weights catch up this year?")
    await world.double.vote(message, "Closed labs", world.alice)
    await world.double.finalize_poll(message)
    results = await world.double.wait_for_message(world.general.id, lambda m: bool(m.attachments))
    assert "1 vote (100.0%)" in results.text()

    async def done():
        poll = await runner.service.repo.by_message(message.id)
        return poll.finalized and poll.status is PollStatus.DONE

    await eventually(done, what="the poll recorded as finalized and done")
    assert len([m for m in world.double.messages_in(world.general) if m.attachments]) == 1


async def test_limits_are_refused_with_a_clear_message_and_nothing_is_posted(
    world: World, bot: CommunityBot
) -> None:
    double = world.double
    cases = [
        ({"question": "x" * 301, "answers": "a | b"}, "Discord allows at most 300"),
        (
            {"question": "ok?", "answers": "a | " + "b" * 56},
            "Answer 2 is 56 characters long; Discord allows at most 55",
        ),
        ({"question": "ok?", "answers": "just one"}, "needs 2 to 10 answers"),
        ({"question": "ok?", "answers": " | ".join(str(i) for i in range(11))}, "you gave 11"),
    ]
    for options, expected in cases:
        record = await double.invoke(
            world.guild, world.moderator, "poll create", options, channel=world.general
        )
        reply = await record.wait_final()
        assert expected in reply.content and reply.ephemeral
    assert not [m for m in double.messages_in(world.general) if m.poll is not None or m.components]


async def test_a_member_cannot_create_or_close_a_poll(
    world: World, bot: CommunityBot, runner: PollsRunner
) -> None:
    double = world.double
    message = await create_native(world)
    poll = await runner.service.repo.by_message(message.id)
    for command, options in [
        ("poll close", {"poll": poll.id}),
        ("poll create", {"question": "q", "answers": "a|b"}),
    ]:
        record = await double.invoke(world.guild, world.alice, command, options, channel=world.general)
        reply = await record.wait_final()
        assert "Manage Server" in reply.content and reply.ephemeral
    choices = await double.autocomplete(
        world.guild, world.alice, "poll close", {"poll": ""}, focused="poll", channel=world.general
    )
    assert choices == []
    assert (await runner.service.repo.get(poll.id)).status is PollStatus.OPEN
    assert not double.message(message.id).poll.finalized
    mod_choices = await double.autocomplete(
        world.guild, world.moderator, "poll close", {"poll": ""}, focused="poll", channel=world.general
    )
    assert [c["value"] for c in mod_choices] == [poll.id]


async def test_a_native_poll_due_while_the_bot_was_down_is_ended_after_restart(
    world: World, bot: CommunityBot, runner: PollsRunner
) -> None:
    message = await create_native(world)
    await world.double.vote(message, "Tie", world.bob)
    poll = await runner.service.repo.by_message(message.id)
    await runner.stop()
    await runner.pass_time_while_stopped(poll.id, hours=49)
    await runner.start()
    results = await world.double.wait_for_message(world.general.id, lambda m: bool(m.attachments))
    assert world.double.message(message.id).poll.finalized
    assert "1 vote (100.0%)" in results.text() and results.attachments[0].data.startswith(PNG)


async def test_another_servers_polls_are_invisible(
    world: World, bot: CommunityBot, runner: PollsRunner
) -> None:
    double = world.double
    message = await create_native(world)
    mine = await runner.service.repo.by_message(message.id)
    other = double.add_guild("Another community")
    double.add_text_channel(other, "general")
    stranger = double.add_member(other, "stranger", permissions=P.MANAGE_GUILD)
    choices = await double.autocomplete(other, stranger, "poll results", {"poll": ""}, focused="poll")
    assert choices == []
    record = await double.invoke(other, stranger, "poll close", {"poll": mine.id})
    assert f"There is no poll #{mine.id} in this server" in (await record.wait_final()).content
    record = await double.invoke(other, stranger, "poll results", {"poll": mine.id})
    assert f"There is no poll #{mine.id} in this server" in (await record.wait_final()).content
    assert (await runner.service.repo.get(mine.id)).status is PollStatus.OPEN


async def test_results_posted_before_discord_finalized_are_updated_with_its_final_counts(
    world: World, bot: CommunityBot, runner: PollsRunner
) -> None:
    double = world.double
    message = await create_native(world, "Which lab ships the next frontier model?")
    await double.vote(message, "Open weights", world.alice)
    await double.vote(message, "Closed labs", world.bob)
    poll = await runner.service.repo.by_message(message.id)
    # Discord's running count when the poll was closed lagged behind (counts are approximate until final).
    await runner.service.repo.close(poll.id, closed_at=utcnow(), final_counts={1: 1, 2: 0, 3: 0})
    closer = bot.get_cog("Polls").closer  # type: ignore[union-attr]
    await closer.publish(await runner.service.repo.get(poll.id))
    results = await double.wait_for_message(world.general.id, lambda m: bool(m.attachments))
    assert "running count" in results.text() and "1 vote (100.0%)" in results.text()
    first_chart = results.attachments[0].data

    await double.finalize_poll(message)
    updated = await double.wait_for(
        lambda: "running count" not in double.message(results.id).text() and double.message(results.id),
        description="the results edited with Discord's final counts",
    )
    assert "1 vote (50.0%)" in updated.text() and "2 votes from 2 members" in updated.text()
    assert updated.attachments[0].data.startswith(PNG) and updated.attachments[0].data != first_chart
    assert (await runner.service.repo.get(poll.id)).finalized


async def test_results_right_after_a_vote_count_that_vote(
    world: World, bot: CommunityBot, runner: PollsRunner
) -> None:
    double, service = world.double, runner.service
    message = await create_native(world, "Fresh tally?")
    poll = await service.repo.by_message(message.id)
    assert poll is not None
    # A slow disk: each mirrored vote takes 0.4 s to be written (the real write, only later).
    real_write = service.repo.mirror_native_vote

    async def slow_write(*args: object, **kwargs: object) -> bool:
        await asyncio.sleep(0.4)
        return await real_write(*args, **kwargs)  # type: ignore[arg-type]

    service.repo.mirror_native_vote = slow_write  # type: ignore[method-assign]
    try:
        await double.vote(message, "Open weights", world.alice)
        record = await double.invoke(world.guild, world.alice, "poll results", {"poll": poll.id})
        reply = await record.wait_final()
    finally:
        service.repo.mirror_native_vote = real_write  # type: ignore[method-assign]
    assert record.ephemeral
    assert "Open weights" in reply.text() and "1 vote (100.0%)" in reply.text(), reply.text()
