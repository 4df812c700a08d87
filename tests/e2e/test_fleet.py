"""Two bot processes, two shards, four guilds, one PostgreSQL database: the fleet end to end.

Two real `python -m bot run` processes share a throwaway PostgreSQL database; each runs one of the bot's
two gateway shards against the Discord double, which routes each guild's events to its shard's session
only. Two guilds are on each shard. A moderator in each guild picks the announcement channel; a new
episode is then announced exactly once in every guild, by the process owning it, with its thread, its
digest and its poll; members' commands, votes and the buttons of an anonymous poll (a persistent view)
are answered on both shards, by the process owning the guild.

Then the chaos: ten times, the process polling the feeds (the `feed-poller` lease's holder) is killed
with SIGKILL, five times in the middle of a poll cycle and five times in the middle of the fan-out of a
new episode, and restarted as a supervisor would. Each time the other process polls within the lease
plus one tick, and in the end every episode was announced exactly once in each guild: none lost, none
duplicated. The harness is `tests/e2e/fleet.py`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest

from tests.doubles.discord import DiscordDouble
from tests.doubles.feed_server import FeedServer
from tests.doubles.openai_double import OpenAIDouble
from tests.e2e.fleet import (
    API_KEY,
    LEASE_SECONDS,
    NEWSLETTER,
    PODCAST,
    POLL_SECRET,
    SHARD_COUNT,
    TAKEOVER_BOUND,
    TICK,
    Fleet,
    Takeover,
    announcements,
    build_communities,
    digests_in,
    episode,
    feed_of,
    polls_in,
    threads_of,
)
from tests.feeds.builders import rss
from tests.postgres import postgres_server, postgres_url  # noqa: F401

OLD = episode(1, "Before the fleet arrived")


@pytest.fixture
async def fleet(postgres_url: str, tmp_path: Path) -> AsyncIterator[Fleet]:  # noqa: F811
    """Both processes running, and every guild's moderator has picked its #episodes channel."""
    async with DiscordDouble() as double, FeedServer() as feeds, OpenAIDouble() as llm:
        feeds.set_feed(PODCAST, feed_of([OLD]))
        feeds.set_feed(NEWSLETTER, rss([], title="The AI Daily Brief newsletter"))
        running = await Fleet(double, feeds, llm, postgres_url, tmp_path).open()
        running.communities = build_communities(double)
        try:
            for shard in range(SHARD_COUNT):
                await running.start(shard)
            await running.wait(lambda: double.command_named("admin") is not None, 30, "commands synced")
            # The first read of the feed remembers what is there and announces nothing.
            await running.until(lambda: bool(feeds.requests_for(PODCAST)), TAKEOVER_BOUND, "the first poll")
            for community in running.communities:
                record = await double.invoke(
                    community.guild,
                    community.mod,
                    "admin feed channel",
                    {"feed": "podcast", "channel": community.episodes},
                )
                reply = await record.wait_final(timeout=20)
                assert record.ephemeral and "✅" in reply.content, reply.content
                assert running.answerer(record) == community.shard, "answered by the guild's own process"
            yield running
        finally:
            await running.close()
        logs = running.logs()
        for secret in (double.token, API_KEY, POLL_SECRET):
            assert secret not in logs


@pytest.mark.timeout(150)
async def test_each_guild_gets_one_announcement_from_its_own_process_and_members_are_answered(
    fleet: Fleet,
) -> None:
    double, llm = fleet.double, fleet.llm
    new = episode(2, "Open weights catch up on coding")
    title = new.title or ""
    fleet.feeds.set_feed(PODCAST, feed_of([OLD, new]))

    for community in fleet.communities:
        await fleet.wait_for_episode(community, title, 60)
    for community in fleet.communities:
        [announcement] = announcements(double, community.episodes, title)
        assert fleet.sender(announcement) == community.shard, f"sent by the process of {community.guild.name}"
        assert announcement.allowed_mentions is not None and not announcement.mention_everyone
        [thread] = threads_of(double, community.episodes, title)
        [digest], [poll] = digests_in(double, thread), polls_in(double, thread)
        assert {fleet.sender(thread), fleet.sender(digest), fleet.sender(poll)} == {community.shard}
        assert announcements(double, community.episodes, OLD.title or "") == []
    # The digest is made once for the whole fleet, then posted in every guild.
    assert len(llm.chat_requests) == 1, f"{len(llm.chat_requests)} LLM requests for one episode's digest"

    # On each shard, a member votes in the episode's poll and asks for the latest episode.
    for shard in range(SHARD_COUNT):
        community = next(c for c in fleet.communities if c.shard == shard)
        [thread] = threads_of(double, community.episodes, title)
        [poll] = polls_in(double, thread)
        await double.vote(poll, 1, community.member)
        await fleet.eventually(partial(fleet.ballots, poll.id), 15, f"the vote on shard {shard} counted")
        latest = await double.invoke(community.guild, community.member, "latest")
        reply = await latest.wait_final(timeout=20)
        assert title in str(reply.embeds) + reply.content
        assert fleet.answerer(latest) == shard

        # A moderator starts an anonymous poll; its buttons (a persistent view) answer the member.
        created = await double.invoke(
            community.guild,
            community.mod,
            "poll create",
            {"question": "Open or closed weights?", "answers": "Open|Closed", "mode": "anonymous"},
            channel=community.general,
        )
        await created.wait_final(timeout=20)
        panel = await double.wait_for_message(community.general, lambda m: bool(m.custom_ids()), timeout=20)
        vote = next(i for i in panel.custom_ids() if i.startswith("polls:vote:"))
        click = await double.click(panel, vote, community.member)
        await click.wait_final(timeout=20)
        assert click.ephemeral and fleet.answerer(click) == fleet.sender(panel) == shard
        assert await fleet.ballots(panel.id) == 1

    # Slash commands were synced once, by one process, not once per process.
    assert len(double.command_store.sync_log) == 1
    double.assert_no_errors()


@pytest.mark.timeout(300)
async def test_ten_sigkills_of_the_leader_lose_and_duplicate_no_announcement(fleet: Fleet) -> None:
    double = fleet.double
    started = time.monotonic()
    items = [OLD]
    published = []
    takeovers: list[Takeover] = []
    for number in range(1, 11):
        if number % 2:
            takeovers.append(await fleet.kill_leader_mid_poll(number, items))
            continue
        new = episode(10 + number, f"Fleet episode {number}")
        items.append(new)
        published.append(new.title or "")
        takeovers.append(await fleet.kill_leader_mid_fanout(number, items, arrives=number % 4 == 0))
        for community in fleet.communities:
            await fleet.wait_for_episode(community, published[-1], 30, announced_only=True)
    for community in fleet.communities:
        for title in published:
            await fleet.wait_for_episode(community, title, 45)

    lost, duplicated, misrouted = [], [], []
    for community in fleet.communities:
        for title in published:
            sent = announcements(double, community.episodes, title)
            where = f"{title} in {community.guild.name}"
            if not sent:
                lost.append(where)
            duplicated += [where] * (len(sent) - 1)
            misrouted += [where for m in sent if fleet.sender(m) != community.shard]
            threads = threads_of(double, community.episodes, title)
            duplicated += [f"thread of {where}"] * (len(threads) - 1)
            for thread in threads:
                digests, polls = digests_in(double, thread), polls_in(double, thread)
                duplicated += [f"digest of {where}"] * (len(digests) - 1)
                duplicated += [f"poll of {where}"] * (len(polls) - 1)
                made = [thread, *digests, *polls]
                misrouted += [f"follow-up of {where}" for m in made if fleet.sender(m) != community.shard]
    seconds = [t.seconds for t in takeovers]
    summary = (
        f"{len(takeovers)} SIGKILLs of the leader; takeover after {min(seconds):.1f}-{max(seconds):.1f} s "
        f"(mean {sum(seconds) / len(seconds):.1f} s; lease {LEASE_SECONDS} s, tick {TICK:.0f} s); "
        f"announcements lost {len(lost)}; duplicated {len(duplicated)} and sent by another process "
        f"{len(misrouted)} (announcements, threads, digests, polls); "
        f"chaos took {time.monotonic() - started:.0f} s"
    )
    print(summary)  # the figures of this run, for the report
    for t in takeovers:
        print(
            f"  round {t.round} ({t.kind}): shard {t.killed_shard} killed, shard {t.new_holder_shard} polled "
            f"after {t.seconds:.1f} s, term {t.term_before} -> {t.term_after}"
        )
    assert not lost and not duplicated and not misrouted, f"{summary}\n{lost=}\n{duplicated=}\n{misrouted=}"
    slow = [t for t in takeovers if t.seconds > TAKEOVER_BOUND]
    assert not slow, f"takeovers slower than the lease plus a tick ({TAKEOVER_BOUND} s): {slow}"
    # One new term per kill: a live leader renews its lease before it runs out, never losing it.
    lapsed = [t for t in takeovers if t.term_after != t.term_before + 1]
    assert not lapsed, f"the lease changed hands more than once per kill: {lapsed}"
