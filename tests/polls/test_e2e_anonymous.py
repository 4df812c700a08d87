"""Anonymous polls end to end: vote, change, hidden tallies, restart, scheduled close, results, trend."""

from __future__ import annotations

import copy

from bot.client import CommunityBot
from bot.polls.models import PollStatus
from tests.doubles.discord import Member, Message
from tests.harness import eventually
from tests.polls.conftest import PollsRunner, World

PNG = b"\x89PNG\r\n\x1a\n"


async def create_anonymous(world: World, *, multiple: bool = False) -> Message:
    record = await world.double.invoke(
        world.guild,
        world.moderator,
        "poll create",
        {
            "question": "Should frontier model weights be published?",
            "answers": "Yes, open them | No, keep them closed | Only after a delay",
            "mode": "anonymous",
            "duration_hours": 24,
            "multiple": multiple,
            "open_answers": "1",
            "closed_answers": "2",
        },
        channel=world.general,
    )
    await record.wait_final(lambda m: "is up" in m.content)
    return await world.double.wait_for_message(world.general.id, lambda m: bool(m.components))


async def click(world: World, message: Message, custom_id: str, member: Member) -> str:
    record = await world.double.click(message, custom_id, member)
    reply = await record.wait_final()
    assert reply.ephemeral, "a vote receipt must be visible only to the voter"
    assert reply.allowed_mentions is not None
    return reply.content


async def test_anonymous_votes_are_changeable_hidden_and_survive_a_restart(
    world: World, bot: CommunityBot, runner: PollsRunner
) -> None:
    double = world.double
    message = await create_anonymous(world)
    poll = await runner.service.repo.by_message(message.id)
    assert poll is not None
    vote = f"polls:vote:{poll.id}:"
    assert message.custom_ids() == [
        f"{vote}1",
        f"{vote}2",
        f"{vote}3",
        f"polls:mine:{poll.id}",
        f"polls:withdraw:{poll.id}",
    ]
    assert "Results stay hidden" in message.text()

    assert "Your vote: **1. Yes, open them**" in await click(world, message, f"{vote}1", world.alice)
    assert "**2. No, keep them closed**" in await click(world, message, f"{vote}2", world.bob)
    assert "Your vote: **2. No, keep them closed**" in await click(world, message, f"{vote}2", world.alice)

    hidden = await double.invoke(
        world.guild, world.alice, "poll results", {"poll": poll.id}, channel=world.general
    )
    assert "hidden until it closes" in (await hidden.wait_final()).content

    # Nothing stored says who voted what.
    dump = "\n".join([line async for line in runner.store.db.conn.iterdump()])
    assert str(world.alice.id) not in dump and str(world.bob.id) not in dump

    await runner.stop()
    await runner.start()  # a new process would do the same: same store, same secret file

    assert "Your vote: **2. No, keep them closed**" in await click(
        world, message, f"polls:mine:{poll.id}", world.alice
    )
    assert "Your vote: **1. Yes, open them**" in await click(world, message, f"{vote}1", world.alice)
    assert "no vote" in await click(world, message, f"polls:withdraw:{poll.id}", world.bob)
    assert "**3. Only after a delay**" in await click(world, message, f"{vote}3", world.bob)

    # The bot is down while the poll's day ends: once back, its scheduler closes the poll and posts results.
    await runner.stop()
    await runner.pass_time_while_stopped(poll.id, hours=25)
    await runner.start()
    results = await double.wait_for_message(world.general.id, lambda m: bool(m.attachments), timeout=10)
    text = results.text()
    assert "1 vote (50.0%)" in text and "2 votes from 2 members" in text and "100% open" in text
    assert results.attachments[0].data.startswith(PNG)
    assert results.message_reference["message_id"] == str(message.id)

    closed_message = await double.wait_for(
        lambda: not double.message(message.id).components and double.message(message.id),
        description="buttons removed",
    )
    assert "This poll closed" in closed_message.text()

    async def done():
        return (await runner.service.repo.get(poll.id)).status is PollStatus.DONE

    await eventually(done, what="the poll marked done")

    shown = await double.invoke(world.guild, world.bob, "poll results", {}, channel=world.general)
    reply = await shown.wait_final()
    assert reply.ephemeral and reply.attachments[0].data.startswith(PNG)
    assert "Results: Should frontier model weights be published?" in reply.text()

    trend = await double.invoke(world.guild, world.bob, "poll trend", {}, channel=world.general)
    reply = await trend.wait_final()
    assert "100% open" in reply.text() and reply.attachments[0].data.startswith(PNG)


async def test_clicks_after_closing_are_refused_and_multiple_choice_toggles(
    world: World, bot: CommunityBot, runner: PollsRunner
) -> None:
    double = world.double
    message = await create_anonymous(world, multiple=True)
    poll = await runner.service.repo.by_message(message.id)
    vote = f"polls:vote:{poll.id}:"
    await click(world, message, f"{vote}1", world.alice)
    assert "**1. Yes, open them**, **3. Only after a delay**" in await click(
        world, message, f"{vote}3", world.alice
    )
    assert "Your vote: **3. Only after a delay**" in await click(world, message, f"{vote}1", world.alice)

    buttons = copy.deepcopy(message.components)
    close = await double.invoke(
        world.guild, world.moderator, "poll close", {"poll": poll.id}, channel=world.general
    )
    await close.wait_final(lambda m: "is closed" in m.content)
    results = await double.wait_for_message(world.general.id, lambda m: bool(m.attachments))
    assert "Only after a delay" in results.text() and "1 vote (100.0%)" in results.text()

    assert double.message(message.id).components == []  # the buttons are gone once it closed
    stale = double.message(message.id)
    stale.components = buttons  # a member whose client still shows the old buttons clicks one
    assert "votes are no longer counted" in await click(world, stale, f"{vote}2", world.bob)

    again = await double.invoke(
        world.guild, world.moderator, "poll close", {"poll": poll.id}, channel=world.general
    )
    assert "is not open" in (await again.wait_final()).content


async def test_a_deleted_channel_does_not_stop_other_polls_from_closing(
    world: World, bot: CommunityBot, runner: PollsRunner
) -> None:
    double = world.double
    doomed_channel = double.add_text_channel(world.guild, "doomed")
    kept = await create_anonymous(world)
    record = await double.invoke(
        world.guild,
        world.moderator,
        "poll create",
        {"question": "Doomed?", "answers": "yes | no", "mode": "anonymous"},
        channel=doomed_channel,
    )
    await record.wait_final(lambda m: "is up" in m.content)
    kept_poll = await runner.service.repo.by_message(kept.id)
    [doomed_poll] = [p for p in await runner.service.search(world.guild.id, "Doomed", only_open=True)]
    await runner.stop()
    await double.delete_channel(doomed_channel)
    double.expect_errors(10003)  # Unknown Channel: the bot finds out the channel is gone
    await runner.pass_time_while_stopped(doomed_poll.id, hours=26)  # due first
    await runner.pass_time_while_stopped(kept_poll.id, hours=25)
    await runner.start()
    results = await double.wait_for_message(world.general.id, lambda m: bool(m.attachments))
    assert "Should frontier model weights be published?" in results.text()

    async def both_done():
        polls = [await runner.service.repo.get(p.id) for p in (doomed_poll, kept_poll)]
        return all(p.status is PollStatus.DONE for p in polls) and polls

    doomed, done = await eventually(both_done, what="both polls done")
    assert doomed.results_message_id is None and done.results_message_id == results.id
