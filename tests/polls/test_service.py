"""The polls core against a real migrated store: votes, ballots that reveal nobody, tallies, trend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.polls.ballots import BallotKey
from bot.polls.models import PollMode, PollStatus, Stance
from bot.polls.service import PollService, episode_nonce, new_nonce
from bot.polls.spec import PollError, build_spec
from bot.store import Store
from bot.timeutil import utcnow
from tests.polls.conftest import make_episodes
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401  (store on both engines)

GUILD, OTHER_GUILD, CHANNEL = 1000, 2000, 3000


@pytest.fixture
def service(store: Store) -> PollService:
    return PollService(store, BallotKey(b"s" * 32))


async def open_poll(
    service: PollService, *, mode=PollMode.ANONYMOUS, multiple=False, guild=GUILD, message_id=None
):
    spec = build_spec(
        question="Who is ahead?",
        answers=["Open", "Closed", "Unsure"],
        duration_hours=24,
        multiple=multiple,
        mode=mode,
        open_answers=[0],
        closed_answers=[1],
    )
    now = utcnow()
    poll, _ = await service.repo.create(
        spec,
        guild_id=guild,
        channel_id=CHANNEL,
        nonce=new_nonce(),
        created_at=now,
        closes_at=now + timedelta(hours=24),
    )
    await service.repo.mark_sent(poll.id, message_id or 900 + poll.id)
    reopened = await service.repo.get(poll.id)
    assert reopened is not None and reopened.status is PollStatus.OPEN
    return reopened


async def test_a_member_votes_once_and_can_change_their_vote(service: PollService) -> None:
    poll = await open_poll(service)
    assert (await service.vote(poll.id, guild_id=GUILD, member_id=7, position=1)).chosen == (1,)
    assert (await service.vote(poll.id, guild_id=GUILD, member_id=7, position=2)).chosen == (2,)
    await service.vote(poll.id, guild_id=GUILD, member_id=8, position=2)
    tally = await service.tally(poll)
    assert [a.votes for a in tally.answers] == [0, 2, 0]
    assert tally.voters == 2
    assert (await service.my_vote(poll.id, guild_id=GUILD, member_id=7)).chosen == (2,)
    assert (await service.withdraw(poll.id, guild_id=GUILD, member_id=7)).chosen == ()
    assert [a.votes for a in (await service.tally(poll)).answers] == [0, 1, 0]


async def test_multiple_choice_clicks_toggle_answers(service: PollService) -> None:
    poll = await open_poll(service, multiple=True)
    await service.vote(poll.id, guild_id=GUILD, member_id=7, position=1)
    assert (await service.vote(poll.id, guild_id=GUILD, member_id=7, position=3)).chosen == (1, 3)
    assert (await service.vote(poll.id, guild_id=GUILD, member_id=7, position=1)).chosen == (3,)


async def test_the_store_holds_no_member_id_and_no_time_of_vote(service: PollService, store: Store) -> None:
    poll = await open_poll(service)
    member = 123456789012345678
    await service.vote(poll.id, guild_id=GUILD, member_id=member, position=1)
    dump = "\n".join(await _dump(store))
    assert str(member) not in dump
    assert member.to_bytes(8, "big").hex() not in dump
    if store.dialect == "postgresql":
        sql = "SELECT column_name FROM information_schema.columns WHERE table_name = 'poll_ballots'"
    else:
        sql = "SELECT name FROM pragma_table_info('poll_ballots')"
    columns = {row[0] for row in await store.db.fetchall(sql)}
    assert columns == {"poll_id", "ballot", "position"}
    # Another key (a database reader without the secret) cannot find the member's ballot.
    stranger = PollService(store, BallotKey(b"x" * 32))
    assert (await stranger.my_vote(poll.id, guild_id=GUILD, member_id=member)).chosen == ()


async def _dump(store: Store) -> list[str]:
    """Every row of every table, as text (bytes as hex)."""
    lines = []
    if store.dialect == "postgresql":
        tables = await store.db.fetchall(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        for (table,) in tables:
            for row in await store.db.fetchall(f'SELECT * FROM "{table}"'):  # noqa: S608 (catalogue names)
                lines.append(repr([v.hex() if isinstance(v, bytes) else v for v in row]))
        return lines
    async for line in store.db.conn.iterdump():
        lines.append(line)
    return lines


async def test_closed_polls_and_foreign_guilds_refuse_votes(service: PollService) -> None:
    poll = await open_poll(service)
    with pytest.raises(PollError, match="no longer exists"):
        await service.vote(poll.id, guild_id=OTHER_GUILD, member_id=7, position=1)
    assert await service.repo.close(poll.id, closed_at=utcnow(), final_counts=None)
    with pytest.raises(PollError, match="closed"):
        await service.vote(poll.id, guild_id=GUILD, member_id=7, position=1)
    assert not await service.repo.close(poll.id, closed_at=utcnow(), final_counts=None)


async def test_anonymous_results_are_hidden_until_the_poll_closes(service: PollService) -> None:
    poll = await open_poll(service)
    await service.vote(poll.id, guild_id=GUILD, member_id=7, position=1)
    with pytest.raises(PollError, match="hidden until it closes"):
        await service.results_for(GUILD, poll.id)
    with pytest.raises(PollError, match="There is no poll"):
        await service.results_for(OTHER_GUILD, poll.id)
    await service.repo.close(poll.id, closed_at=utcnow(), final_counts=None)
    tally = await service.results_for(GUILD, None)
    assert tally.poll.id == poll.id
    assert [(a.votes, a.percent) for a in tally.answers] == [(1, 100.0), (0, 0.0), (0, 0.0)]


async def test_native_vote_events_are_mirrored_idempotently(service: PollService) -> None:
    poll = await open_poll(service, mode=PollMode.NATIVE, message_id=5555)
    assert await service.mirror_native_vote(message_id=5555, user_id=7, answer_id=2, added=True)
    # a replayed gateway event counts once
    assert not await service.mirror_native_vote(message_id=5555, user_id=7, answer_id=2, added=True)
    await service.mirror_native_vote(message_id=5555, user_id=8, answer_id=1, added=True)
    await service.mirror_native_vote(message_id=5555, user_id=9, answer_id=1, added=True)
    await service.mirror_native_vote(message_id=5555, user_id=9, answer_id=1, added=False)
    assert not await service.mirror_native_vote(message_id=1, user_id=9, answer_id=1, added=True)
    tally = await service.tally(poll)
    assert [a.votes for a in tally.answers] == [1, 1, 0]
    assert not tally.final
    # Discord's final counts replace the mirror once the poll is closed.
    await service.repo.close(poll.id, closed_at=utcnow(), final_counts={1: 4, 2: 6, 3: 0})
    await service.repo.set_final_counts(poll.id, {1: 4, 2: 6, 3: 0}, finalized=True)
    closed = await service.repo.get(poll.id)
    tally = await service.tally(closed)
    assert [(a.votes, round(a.percent)) for a in tally.answers] == [(4, 40), (6, 60), (0, 0)]
    assert tally.final and tally.voters == 10


async def test_trend_follows_the_open_share_across_polls(service: PollService) -> None:
    shares = []
    for opens, closeds in [(3, 1), (1, 3)]:
        poll = await open_poll(service)
        member = 0
        for position, count in [(1, opens), (2, closeds), (3, 5)]:
            for _ in range(count):
                member += 1
                await service.vote(poll.id, guild_id=GUILD, member_id=member, position=position)
        await service.repo.close(poll.id, closed_at=utcnow(), final_counts=None)
    other = await open_poll(service, guild=OTHER_GUILD)
    await service.vote(other.id, guild_id=OTHER_GUILD, member_id=1, position=1)
    await service.repo.close(other.id, closed_at=utcnow(), final_counts=None)
    shares = [round(point.open_share, 2) for point in await service.trend(GUILD)]
    assert shares == [0.75, 0.25]


async def test_episode_polls_are_recorded_once_per_guild_and_episode(
    service: PollService, store: Store
) -> None:
    await make_episodes(store, [77])
    spec = build_spec(
        question="Q?", answers=["a", "b"], duration_hours=1, multiple=False, mode=PollMode.NATIVE
    )
    now = utcnow()
    kwargs = dict(guild_id=GUILD, channel_id=CHANNEL, created_at=now, closes_at=now, item_id=77)
    first, created = await service.repo.create(spec, nonce=episode_nonce(GUILD, 77), **kwargs)
    again, created_again = await service.repo.create(spec, nonce=episode_nonce(GUILD, 77), **kwargs)
    assert created and not created_again and first.id == again.id
    assert len(episode_nonce(GUILD, 77)) <= 25 and episode_nonce(GUILD, 77) != episode_nonce(GUILD, 78)


async def test_settings_default_on_and_are_per_guild(service: PollService) -> None:
    assert (await service.settings(GUILD)).auto_enabled
    updated = await service.update_settings(GUILD, auto=False, mode=PollMode.ANONYMOUS, duration_hours=48)
    assert (updated.auto_enabled, updated.mode, updated.duration_hours) == (False, PollMode.ANONYMOUS, 48)
    assert (await service.settings(OTHER_GUILD)).auto_enabled
    with pytest.raises(PollError, match="between 1 and 768"):
        await service.update_settings(GUILD, auto=None, mode=None, duration_hours=1000)


async def test_search_only_sees_this_guilds_polls(service: PollService) -> None:
    mine = await open_poll(service)
    await open_poll(service, guild=OTHER_GUILD)
    found = await service.search(GUILD, "ahead", only_open=True)
    assert [poll.id for poll in found] == [mine.id]
    assert [poll.id for poll in await service.search(GUILD, f"#{mine.id}", only_open=False)] == [mine.id]
    assert Stance.OPEN in {a.stance for a in mine.answers}
