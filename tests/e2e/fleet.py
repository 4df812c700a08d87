"""A fleet under test: two `python -m bot run` processes on one PostgreSQL database, one gateway shard each.

The Discord double serves each process on an address of its own (`DiscordDouble.add_address`), so every
REST request and gateway session it records says which process made it, although both use the one bot
token. The guilds are built two per shard. A process is known by its shard (the slot a supervisor keeps
filled): a restarted process takes the same shard and address. The feed-poller lease and the process
registry are read from the database (`leases`, `processes`), whose process ids carry the pid.

`tests/e2e/test_fleet.py` tells the story; this module starts, kills and restarts the processes, reads
who holds the lease, and counts what the guilds received.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bot.timeutil import from_db, utcnow
from cogs.feed_worker import tick_seconds
from tests.doubles.discord import Channel, DiscordDouble, DoubleAddress, Guild, Member, Message, P
from tests.doubles.discord.records import InteractionRecord
from tests.doubles.discord.transport import RecordedRequest
from tests.doubles.feed_server import FeedServer
from tests.doubles.openai_double import OpenAIDouble
from tests.e2e.process import BotProcess
from tests.feeds.builders import Item, rss

SHARD_COUNT = 2
LEASE_SECONDS = 5
FEED_POLL_INTERVAL = 2.0  # every feed is due at every tick of the poll loop
FEED_SCHEDULE_MIN_INTERVAL = 5.0
#: The poll loop's tick at these settings, as `cogs.feed_worker` computes it.
TICK = tick_seconds(min(FEED_POLL_INTERVAL, FEED_SCHEDULE_MIN_INTERVAL) / 6, LEASE_SECONDS)
#: What a loaded two-core machine adds to a takeover: a process's start, the tick's own work.
SLACK = 2.0
#: A dead leader is replaced within its lease plus one tick of the next leader (docs/scaling.md).
TAKEOVER_BOUND = LEASE_SECONDS + TICK + SLACK

PODCAST = "/podcast.xml"
NEWSLETTER = "/newsletter.xml"
POLL_SECRET = "fleet-poll-secret-0123456789abcdef"
API_KEY = "sk-fleet-0123456789abcdef"
NOTES = (
    "An open-weights lab released a model that matches closed frontier systems on coding. "
    "Meanwhile a closed lab cut its API prices in half. "
    "Developers argue whether open weights can keep pace with proprietary research budgets."
)


def episode(number: int, title: str) -> Item:
    return Item(
        guid=f"fleet-{number:04d}",
        title=title,
        link=f"https://example.com/episodes/{number}",
        published=utcnow() - timedelta(hours=48) + timedelta(minutes=number),
        description=f"<p>{NOTES}</p>",
        audio_url=f"https://example.com/audio/{number}.mp3",
        duration="00:24:31",
        episode=number,
    )


@dataclass
class Community:
    """One guild of the test: its shard, its #general, the channel its episodes are announced in, a
    moderator, a member."""

    guild: Guild
    shard: int
    general: Channel
    episodes: Channel
    mod: Member
    member: Member


def build_communities(double: DiscordDouble, per_shard: int = 2) -> list[Community]:
    """`per_shard` guilds on each shard, each with an #episodes channel, a moderator and a member."""
    communities = []
    for index in range(per_shard * SHARD_COUNT):
        shard = index % SHARD_COUNT
        guild = double.add_guild(f"Community {index} (shard {shard})", shard=(shard, SHARD_COUNT))
        general = double.add_text_channel(guild, "general")
        episodes = double.add_text_channel(guild, "episodes")
        mod = double.add_member(guild, f"mod{index}", permissions=P.MANAGE_GUILD)
        member = double.add_member(guild, f"member{index}")
        communities.append(Community(guild, shard, general, episodes, mod, member))
    return communities


@dataclass(frozen=True)
class LeaseState:
    holder: str
    term: int

    @property
    def pid(self) -> int:
        """The holder's pid: process ids are `host:pid:random`."""
        return int(self.holder.rsplit(":", 2)[1])


@dataclass
class Takeover:
    """One SIGKILL of the polling leader and what followed."""

    round: int
    kind: str  # "poll cycle" or "fan-out"
    killed_shard: int
    seconds: float  # from the kill to the first feed request by the next leader
    new_holder_shard: int
    term_before: int
    term_after: int


@dataclass
class Fleet:
    """The processes, the doubles they talk to, and the database they share."""

    double: DiscordDouble
    feeds: FeedServer
    llm: OpenAIDouble
    database_url: str
    folder: Path
    communities: list[Community] = field(default_factory=list)
    addresses: dict[int, DoubleAddress] = field(default_factory=dict)
    processes: dict[int, BotProcess] = field(default_factory=dict)
    retired: list[tuple[int, BotProcess]] = field(default_factory=list)
    db: asyncpg.Connection | None = None

    # Lifecycle ----------------------------------------------------------------------------------------

    async def open(self) -> Fleet:
        for shard in range(SHARD_COUNT):
            self.addresses[shard] = await self.double.add_address()
        self.db = await asyncpg.connect(self.database_url)
        return self

    async def close(self) -> None:
        """SIGTERM every running process (a clean stop), SIGKILL what does not stop; every process's log
        is left in the test's folder (`shard0-pid123.log`)."""
        for process in self.processes.values():
            with contextlib.suppress(Exception):
                await process.stop(signal.SIGTERM, timeout=15)
            await process.kill_quietly()
        if self.db is not None:
            await self.db.close()
        for shard, process in [*self.retired, *self.processes.items()]:
            pid = process.proc.pid if process.proc is not None else 0
            (self.folder / f"shard{shard}-pid{pid}.log").write_text(process.log)

    def env(self, shard: int) -> dict[str, str]:
        address = self.addresses[shard]
        return {
            "DISCORD_TOKEN": self.double.token,
            "DISCORD_API_BASE": address.api_base,
            "DISCORD_GATEWAY_URL": address.gateway_url,
            "GUILD_READY_TIMEOUT": "0.05",
            "DATABASE_URL": self.database_url,
            "DATABASE_PATH": str(self.folder / f"shard{shard}.sqlite3"),  # unused on PostgreSQL
            "DATABASE_POOL_SIZE": "4",
            "SHARD_COUNT": str(SHARD_COUNT),
            "SHARD_IDS": str(shard),
            "LEADER_LEASE_SECONDS": str(LEASE_SECONDS),
            "POLL_SECRET": POLL_SECRET,
            "PODCAST_FEED_URL": self.feeds.url(PODCAST),
            "NEWSLETTER_FEED_URL": self.feeds.url(NEWSLETTER),
            "FEED_ALLOW_PRIVATE_HOSTS": "true",
            "FEED_POLL_INTERVAL": str(FEED_POLL_INTERVAL),
            "FEED_SCHEDULE_MIN_INTERVAL": str(FEED_SCHEDULE_MIN_INTERVAL),
            "FEED_SCHEDULE_LEARN": "false",
            "FEED_TIMEOUT": "10",
            "ANNOUNCE_RETRY_BASE": "0.5",
            "ANNOUNCE_RETRY_MAX": "2",
            "TRACKER_FLUSH_INTERVAL": "1",
            "OPENAI_BASE_URL": self.llm.base_url,
            "OPENAI_API_KEY": API_KEY,
            "OPENAI_MODEL": self.llm.model,
            "LLM_TIMEOUT": "5",
            "LOG_LEVEL": "INFO",
        }

    async def start(self, shard: int) -> BotProcess:
        """Start the process of `shard` and wait until it runs: its gateway session is up on its own
        address and it is in the process registry."""
        sessions = len(self.double.gateway.sessions)
        process = await BotProcess(self.env(shard), self.folder).start()
        self.processes[shard] = process
        assert process.proc is not None
        pid = process.proc.pid
        address = self.addresses[shard]

        def connected() -> bool:
            return any(
                s.port == address.port and s.shard == (shard, SHARD_COUNT) and s.connection is not None
                for s in list(self.double.gateway.sessions.values())[sessions:]
            )

        async def running() -> bool:
            if process.proc is not None and process.proc.returncode is not None:
                await asyncio.sleep(0.2)  # the rest of its output
                raise AssertionError(f"exited with status {process.proc.returncode}")
            return connected() and await self.registered(pid)

        try:
            await self.eventually(running, 45, "its shard connected and the process registered")
        except AssertionError as exc:
            raise AssertionError(
                f"the process of shard {shard}: {exc}\n--- its log:\n{process.log[-4000:]}"
            ) from None
        return process

    async def kill(self, shard: int) -> float:
        """SIGKILL the process of `shard` (a crash: no lease released, no registry row removed); returns
        the monotonic time of its death. Its slot stays empty until `start(shard)`."""
        process = self.processes.pop(shard)
        assert await process.stop(signal.SIGKILL) == -signal.SIGKILL
        self.retired.append((shard, process))
        return time.monotonic()

    def pid(self, shard: int) -> int:
        process = self.processes[shard]
        assert process.proc is not None
        return process.proc.pid

    def shard_of_pid(self, pid: int) -> int | None:
        return next((s for s, p in self.processes.items() if p.proc is not None and p.proc.pid == pid), None)

    def logs(self) -> str:
        every = [*self.retired, *self.processes.items()]
        return "\n".join(
            f"--- shard {shard} (pid {p.proc.pid if p.proc else '?'}):\n{p.log}" for shard, p in every
        )

    # Waiting ------------------------------------------------------------------------------------------

    async def wait(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait for the double's state (re-checked on each change in the double)."""
        await self.double.wait_for(predicate, timeout=timeout, description=what)

    @staticmethod
    async def eventually(check: Callable[[], Awaitable[Any]], timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while not (value := await check()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what} (last value: {value!r})")
            await asyncio.sleep(0.05)
        return value

    async def wait_for_episode(
        self, community: Community, title: str, timeout: float, *, announced_only: bool = False
    ) -> None:
        """Wait for the episode's announcement in the guild and, unless `announced_only`, for its thread
        with the digest and the poll in it."""

        def there() -> bool:
            if announced_only:
                return bool(announcements(self.double, community.episodes, title))
            return complete(self.double, community, title)

        await self.wait(there, timeout, f"{title!r} in {community.guild.name}")

    async def until(self, predicate: Callable[[], bool], timeout: float, what: str) -> float:
        """Wait for something outside the double (the feed server's records); returns when it was seen."""

        async def check() -> bool:
            return predicate()

        await self.eventually(check, timeout, what)
        return time.monotonic()

    # Chaos ----------------------------------------------------------------------------------------------

    async def kill_leader_mid_poll(self, number: int, items: list[Item]) -> Takeover:
        """SIGKILL the polling leader while it reads the podcast feed (the feed server dribbles it out),
        wait for the other process to poll, then restart the killed one."""
        shard, lease = await self.leader()
        body = feed_of(items)
        chunk = max(64, len(body) // 20)
        dribble = 0.1 * len(body) / chunk  # seconds the slow answer takes
        self.feeds.set_slow(PODCAST, body, chunk_delay=0.1, chunk_size=chunk)
        seen = len(self.feeds.requests_for(PODCAST))
        arrived = await self.until(
            lambda: len(self.feeds.requests_for(PODCAST)) > seen, TICK + 10, "the leader's next poll cycle"
        )
        killed_at = await self.kill(shard)
        assert killed_at - arrived < dribble, "the kill came after the poll cycle's fetch had ended"
        takeover = await self._takeover(number, "poll cycle", shard, killed_at, lease)
        self.feeds.set_feed(PODCAST, body)
        await self.start(shard)
        return takeover

    async def kill_leader_mid_fanout(self, number: int, items: list[Item], *, arrives: bool) -> Takeover:
        """Publish `items[-1]`, hold the leader's announcement posts in the double until it is SIGKILLed
        in the middle of its fan-out, then let the held posts through (`arrives`: Discord had received
        them and creates the message, so a resend must not duplicate it) or fail them (a 503: they never
        arrived); wait for the other process to poll, then restart the killed one."""
        shard, lease = await self.leader()
        gate = asyncio.Event()
        held = self.double.inject(
            self.announcement_posts(shard), status=None if arrives else 503, times=None, gate=gate
        )
        self.feeds.set_feed(PODCAST, feed_of(items))
        try:
            await self.wait(lambda: held.hits >= 1, TICK + 20, "the leader to send its guilds' announcements")
            killed_at = await self.kill(shard)
        finally:
            held.cancel()
            gate.set()
        takeover = await self._takeover(number, "fan-out", shard, killed_at, lease)
        await self.start(shard)
        return takeover

    async def _takeover(
        self, number: int, kind: str, killed: int, killed_at: float, before: LeaseState
    ) -> Takeover:
        """Wait for the first feed request after the kill (only the other process runs now) and check
        that it polls as the lease's new holder."""
        seen = len(self.feeds.requests)
        polled_at = await self.until(
            lambda: len(self.feeds.requests) > seen, TAKEOVER_BOUND + 10, "another process to poll the feeds"
        )
        lease = await self.lease()
        assert lease is not None, "a process polled the feeds without holding the lease"
        survivor = self.shard_of_pid(lease.pid)
        assert survivor is not None and survivor != killed, f"the lease is held by {lease.holder}"
        assert lease.term > before.term, "a new holder takes the lease under a new term"
        return Takeover(number, kind, killed, polled_at - killed_at, survivor, before.term, lease.term)

    # The database --------------------------------------------------------------------------------------

    async def registered(self, pid: int) -> bool:
        assert self.db is not None
        return bool(await self.db.fetchval("SELECT count(*) FROM processes WHERE pid = $1", pid))

    async def lease(self) -> LeaseState | None:
        """The feed-poller lease while it is held (not expired), else None."""
        assert self.db is not None
        row = await self.db.fetchrow("SELECT holder, term, expires_at FROM leases WHERE name = 'feed-poller'")
        if row is None:
            return None
        expires = from_db(row["expires_at"])
        if expires is None or expires <= utcnow():
            return None
        return LeaseState(row["holder"], int(row["term"]))

    async def leader(self, timeout: float = TAKEOVER_BOUND) -> tuple[int, LeaseState]:
        """The shard whose process holds the feed-poller lease, and the lease."""

        async def held() -> tuple[int, LeaseState] | None:
            lease = await self.lease()
            shard = None if lease is None else self.shard_of_pid(lease.pid)
            return None if lease is None or shard is None else (shard, lease)

        found: tuple[int, LeaseState] = await self.eventually(held, timeout, "a running process to lead")
        return found

    async def ballots(self, poll_message_id: int) -> int:
        assert self.db is not None
        count = await self.db.fetchval(
            "SELECT count(*) FROM poll_ballots b JOIN polls p ON p.id = b.poll_id WHERE p.message_id = $1",
            poll_message_id,
        )
        return int(count)

    # Who did what, from the double's records -------------------------------------------------------

    def shard_of_port(self, port: int | None) -> int | None:
        return next((s for s, a in self.addresses.items() if a.port == port), None)

    def sender(self, made: Message | Channel) -> int | None:
        """The shard of the process whose request created this message or thread (None: no request did)."""
        for request in self.double.requests:
            if (
                request.method == "POST"
                and isinstance(request.response, dict)
                and str(request.response.get("id")) == str(made.id)
            ):
                return self.shard_of_port(request.port)
        return None

    def answerer(self, record: InteractionRecord) -> int | None:
        """The shard of the process that answered an interaction (its callback request)."""
        prefix = f"/interactions/{record.id}/"
        for request in self.double.requests:
            if request.path.startswith(prefix):
                return self.shard_of_port(request.port)
        return None

    def announcement_posts(self, shard: int) -> Callable[[RecordedRequest], bool]:
        """Matches the process of `shard` posting in an #episodes channel: an announcement being sent."""
        channels = {c.episodes.id for c in self.communities if c.shard == shard}
        port = self.addresses[shard].port

        def match(request: RecordedRequest) -> bool:
            return (
                request.port == port
                and request.method == "POST"
                and request.route == "/channels/{channel_id}/messages"
                and int(request.params.get("channel_id", 0)) in channels
            )

        return match


# What the guilds received ---------------------------------------------------------------------------------


def announcements(double: DiscordDouble, channel: Channel, title: str) -> list[Message]:
    return [m for m in double.messages_in(channel.id) if m.embeds and m.embeds[0].get("title") == title]


def threads_of(double: DiscordDouble, channel: Channel, title: str) -> list[Channel]:
    return [t for t in double.threads if t.parent_id == channel.id and t.name == title]


def digests_in(double: DiscordDouble, thread: Channel) -> list[Message]:
    return [m for m in double.messages_in(thread.id) if m.embeds and m.poll is None]


def polls_in(double: DiscordDouble, thread: Channel) -> list[Message]:
    return [m for m in double.messages_in(thread.id) if m.poll is not None]


def complete(double: DiscordDouble, community: Community, title: str) -> bool:
    """The episode's announcement is there with its thread, the digest and the poll in it."""
    threads = threads_of(double, community.episodes, title)
    return (
        bool(announcements(double, community.episodes, title))
        and bool(threads)
        and bool(digests_in(double, threads[0]))
        and bool(polls_in(double, threads[0]))
    )


def feed_of(items: list[Item]) -> bytes:
    """The podcast feed with these items, newest first."""
    return rss(list(reversed(items)), title="The AI Daily Brief")
