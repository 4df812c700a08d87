"""The composition root: every long-lived service, built once at start-up in dependency order.

The runner opens the outside resources (the store, the HTTP session, the LLM client), creates the Discord
client and calls `build_services`; the client keeps the resulting `Services` and each cog's `setup`
hands its cog the services it uses, in the cog's constructor. Nothing looks a service up by cog name.

Capabilities hand work to each other through what is wired here: the feed worker reports to the one
`FeedEventHub` (`Services.feed_events`), which the announcer and any other listener subscribe to; other
cross-capability events (a discussion thread opened, a poll closed) go through the one typed `EventBus`
(`Services.events`), whose reactions `_subscribe_reactions` wires; the announcement pipeline is given the
thread tracker, the poll service and the digest service directly, as steps that must finish.
`Features` says which optional capabilities this process runs (a deployment, or a test, without the digest
capability builds a pipeline that skips the digest step).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot import __version__
from bot.announce.alerts import Alerts
from bot.announce.delivery import Announcer
from bot.announce.directory import FeedDirectory
from bot.announce.followups import DigestAdapter, TrackerAdapter
from bot.announce.outbox import Outbox
from bot.announce.pipeline import Pipeline
from bot.ask.service import AskService
from bot.console.audit_log import AuditService
from bot.console.setup import SetupService
from bot.digest.service import DigestService
from bot.events import EventBus, PollClosed, ThreadOpened
from bot.feeds.events import FeedEventHub
from bot.feeds.leader import FeedLeader
from bot.feeds.schedule import schedule_config
from bot.feeds.worker import FeedWorker
from bot.fleet import ProcessIdentity, Topology
from bot.fleet.registry import FleetRegistry
from bot.http import create_fetcher
from bot.maintenance import Maintenance
from bot.metrics import METRICS
from bot.ops.server import OpsServer
from bot.polls.ballots import load_ballot_key
from bot.polls.closing import PollCloser
from bot.polls.service import PollService
from bot.search.episodes import EpisodeCards
from bot.search.service import SearchService
from bot.threads.service import ThreadsService
from bot.threads.sources import AnnouncedEpisodes, PollResults
from bot.threads.tracker import ThreadTracker
from bot.websub.subscriber import WebSubService

if TYPE_CHECKING:
    import aiohttp
    from discord.ext import commands
    from openai import AsyncOpenAI

    from bot.feeds.fetch import Fetcher
    from bot.feeds.models import StoredItem
    from bot.settings import Settings
    from bot.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Features:
    """The optional capabilities this process runs. The feed poller, digests, polls and thread tracking
    can each be left out (a test of one capability, a process that only serves commands); the services
    still exist, but nothing hands them work and `feed_worker` is None without the poller."""

    feed_polling: bool = True
    digests: bool = True
    polls: bool = True
    threads: bool = True


@dataclass(frozen=True, slots=True)
class Services:
    """Everything the cogs use, built once by `build_services`."""

    settings: Settings
    store: Store
    http_session: aiohttp.ClientSession
    llm: AsyncOpenAI | None
    features: Features
    topology: Topology
    process: ProcessIdentity
    fleet: FleetRegistry
    fetcher: Fetcher
    feed_events: FeedEventHub
    events: EventBus
    feed_worker: FeedWorker | None
    feed_leader: FeedLeader
    feed_directory: FeedDirectory
    alerts: Alerts
    outbox: Outbox
    announcer: Announcer
    pipeline: Pipeline
    digests: DigestService
    polls: PollService
    poll_closer: PollCloser
    tracker: ThreadTracker
    threads: ThreadsService
    episodes: AnnouncedEpisodes
    poll_results: PollResults | None
    search: SearchService
    cards: EpisodeCards
    ask: AskService
    maintenance: Maintenance
    setup: SetupService
    audit: AuditService
    websub: WebSubService | None
    ops: OpsServer


def build_services(
    *,
    settings: Settings,
    store: Store,
    http_session: aiohttp.ClientSession,
    client: commands.Bot | commands.AutoShardedBot,
    llm: AsyncOpenAI | None = None,
    features: Features | None = None,
    fetcher: Fetcher | None = None,
    process: ProcessIdentity | None = None,
) -> Services:
    """Build every service once, each from the ones before it. `fetcher` replaces the guarded fetcher the
    settings describe (a test resolving names itself); `client` is the Discord client the announcer, the
    alerts, the poll closer and the HTTP surface talk through."""
    features = features or Features()
    process = process or ProcessIdentity()
    topology = Topology.from_settings(settings)
    fetcher = fetcher or create_fetcher(http_session, settings)
    feed_events = FeedEventHub()
    events = EventBus()
    worker = _feed_worker(settings, store, fetcher, feed_events) if features.feed_polling else None
    alerts = Alerts(client, store)
    liveness = timedelta(seconds=settings.leader_lease_seconds)  # a process is live this long after a beat
    outbox = Outbox(store, topology=topology, process_id=process.id, liveness=liveness)
    announcer = Announcer(
        client,
        store,
        outbox.items,
        alerts,
        retry_base=settings.announce_retry_base,
        retry_max=settings.announce_retry_max,
    )

    async def kind_of(item: StoredItem) -> str | None:
        feed = await store.feeds.get_feed(item.feed_id)
        return feed.kind if feed is not None else None

    digests = DigestService.from_settings(
        settings,
        store.digests,
        llm,
        fetcher,
        kind_of=kind_of,
        on_transcript=store.search.store_transcript,  # /search covers transcripts too
    )
    polls = PollService(store, load_ballot_key(settings))
    tracker = ThreadTracker(store.threads)
    pipeline = Pipeline(
        client,
        store,
        outbox.items,
        alerts,
        retry_base=settings.announce_retry_base,
        digests=DigestAdapter(digests) if features.digests else None,
        polls=polls if features.polls else None,
        tracker=TrackerAdapter(tracker) if features.threads else None,
        events=events,
        topology=topology,
    )
    _subscribe_reactions(events, tracker, features)
    websub = _websub(settings, store, http_session, fetcher, worker)
    return Services(
        settings=settings,
        store=store,
        http_session=http_session,
        llm=llm,
        features=features,
        topology=topology,
        process=process,
        fleet=FleetRegistry(
            store.processes,
            store.leases,
            topology=topology,
            process=process,
            version=__version__,
            window=timedelta(seconds=settings.leader_lease_seconds),
        ),
        fetcher=fetcher,
        feed_events=feed_events,
        events=events,
        feed_worker=worker,
        feed_leader=FeedLeader(
            store.leases, duration=timedelta(seconds=settings.leader_lease_seconds), holder=process.id
        ),
        feed_directory=FeedDirectory(
            store, settings.feed_urls, worker, window=timedelta(days=settings.announce_window_days)
        ),
        alerts=alerts,
        outbox=outbox,
        announcer=announcer,
        pipeline=pipeline,
        digests=digests,
        polls=polls,
        poll_closer=PollCloser(polls, client, events),
        tracker=tracker,
        threads=ThreadsService(store.threads),
        episodes=AnnouncedEpisodes(store.announcements),
        poll_results=PollResults(polls) if features.polls else None,
        search=SearchService(store.search),
        cards=EpisodeCards(store),
        ask=AskService.from_settings(settings, store.ask, store.digests, llm),
        maintenance=Maintenance(store),
        setup=SetupService(store, settings.feed_urls),
        audit=AuditService(store),
        websub=websub,
        ops=OpsServer(client, settings, store, worker, websub),
    )


def _subscribe_reactions(events: EventBus, tracker: ThreadTracker, features: Features) -> None:
    """Who reacts to what: the thread tracker counts a new episode thread at once; closed polls are counted
    in the metrics."""
    if features.threads:
        events.subscribe(ThreadOpened, tracker.on_thread_opened)

    async def count_closed(event: PollClosed) -> None:
        METRICS.polls_closed.inc()

    events.subscribe(PollClosed, count_closed)


def _feed_worker(settings: Settings, store: Store, fetcher: Fetcher, events: FeedEventHub) -> FeedWorker:
    return FeedWorker(
        store,
        fetcher,
        interval=settings.feed_poll_interval,
        max_concurrency=settings.feed_max_concurrency,
        window=timedelta(days=settings.announce_window_days),
        daily_cap=settings.feed_daily_cap,
        failing_after=settings.feed_failing_after,
        allow_private=settings.feed_allow_private_hosts,
        listener=events,
        schedule=schedule_config(settings),
    )


def _websub(
    settings: Settings,
    store: Store,
    http_session: aiohttp.ClientSession,
    fetcher: Fetcher,
    worker: FeedWorker | None,
) -> WebSubService | None:
    """The push subscriber, when push is on (it needs PUBLIC_URL, HTTP_PORT and the feed poller)."""
    if not settings.websub_enabled or settings.public_url is None or worker is None:
        return None

    async def ingest(feed_id: int) -> bool:
        """Poll the feed now, as `/admin feed check` does; True when the document changed."""
        result = await worker.poll_feed(feed_id, force=True)
        log.info("WebSub: feed %s checked after a notification: %s", feed_id, result.outcome)
        return result.outcome == "updated"

    return WebSubService(
        store,
        http_session,
        fetcher,
        public_url=settings.public_url,
        lease_seconds=settings.websub_lease_seconds,
        ingest=ingest,
    )
