"""The pieces of push: signatures, hub discovery in the poller, the subscriptions' store, slower polling."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest

from bot.announce.models import ChannelKind
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import parse_bytes
from bot.feeds.ssrf import StaticResolver
from bot.feeds.worker import FeedWorker
from bot.settings import Settings
from bot.store import Store
from bot.timeutil import utcnow
from bot.websub.signature import BodySigner, sign
from bot.websub.subscriber import WebSubService
from tests.announce.flows import episode
from tests.doubles.feed_server import FeedServer
from tests.doubles.websub_hub import WebSubHub
from tests.feeds.builders import rss
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401  (store on both engines)

HUB = '<atom:link rel="hub" href="https://pubsubhubbub.appspot.com/"/>'
SELF = '<atom:link href="https://anchor.fm/s/x/podcast/rss" rel="self" type="application/rss+xml"/>'


@pytest.mark.parametrize("method", ["sha1", "sha256", "sha384", "sha512"])
def test_signature_of_every_method_verifies_in_chunks(method: str) -> None:
    body = b"<rss>" + b"x" * 100_000 + b"</rss>"
    signer = BodySigner("s3cret", sign("s3cret", body, method))
    for start in range(0, len(body), 4096):
        signer.update(body[start : start + 4096])
    assert signer.usable and signer.verify()


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256", "sha256=", "md5=" + "0" * 32, "sha256=not-hex", "SHA256=" + "0" * 64, "=abc"],
)
def test_malformed_or_wrong_signatures_never_verify(header: str | None) -> None:
    signer = BodySigner("s3cret", header)
    signer.update(b"body")
    assert not signer.verify()


def test_signature_with_another_secret_or_body_fails() -> None:
    header = sign("s3cret", b"body")
    wrong_secret = BodySigner("other", header)
    wrong_secret.update(b"body")
    wrong_body = BodySigner("s3cret", header)
    wrong_body.update(b"body!")
    assert not wrong_secret.verify() and not wrong_body.verify()
    upper = BodySigner("s3cret", header.upper().replace("SHA256", "sha256"))  # hex digits in capitals
    upper.update(b"body")
    assert upper.verify()


def test_hub_and_topic_are_read_from_rss_and_atom() -> None:
    feed, _ = parse_bytes(rss([episode(1)], channel_extra=HUB + SELF))
    assert (feed.hub_url, feed.self_url) == (
        "https://pubsubhubbub.appspot.com/",
        "https://anchor.fm/s/x/podcast/rss",
    )
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        b'<link rel="hub" href="https://hub.example/"/><link rel="self" href="https://example.com/atom"/>'
        b"<entry><title>e</title><id>1</id></entry></feed>"
    )
    feed, _ = parse_bytes(atom)
    assert (feed.hub_url, feed.self_url) == ("https://hub.example/", "https://example.com/atom")
    feed, _ = parse_bytes(
        rss([episode(1)], channel_extra='<atom:link rel="hub" href="javascript:alert(1)"/>')
    )
    assert feed.hub_url is None  # only http(s) hubs
    feed, _ = parse_bytes(rss([episode(1)]))
    assert (feed.hub_url, feed.self_url) == (None, None)


async def test_record_hub_keeps_the_secret_until_the_hub_changes(store: Store) -> None:
    feed = await store.feeds.add_feed("https://example.com/feed.xml")
    now = utcnow()
    await store.websub.record_hub(feed.id, "https://hub.example/", "https://example.com/feed.xml", now)
    first = await store.websub.get(feed.id)
    await store.websub.record_hub(feed.id, "https://hub.example/", "https://example.com/feed.xml", now)
    again = await store.websub.get(feed.id)
    assert first is not None and again is not None
    assert (again.callback_token, again.secret, again.state) == (first.callback_token, first.secret, "new")
    assert first.secret not in repr(first) and first.callback_token not in repr(first)
    assert len(first.callback_token) >= 32 and len(first.secret) >= 40  # random, not derived from the feed

    await store.websub.activate(first.id, 3600, now)
    await store.websub.record_hub(feed.id, "https://other-hub.example/", "https://example.com/feed.xml", now)
    moved = await store.websub.get(feed.id)
    assert moved is not None and moved.state == "new" and moved.hub == "https://other-hub.example/"
    assert moved.callback_token != first.callback_token and moved.secret != first.secret
    assert await store.websub.get_by_token(first.callback_token) is None  # the old hub's pushes find nothing

    await store.websub.mark_undeclared(feed.id)
    gone = await store.websub.get(feed.id)
    assert gone is not None and not gone.declared


async def test_push_active_needs_a_verified_unexpired_lease_and_no_recent_error(store: Store) -> None:
    feed = await store.feeds.add_feed("https://example.com/feed.xml")
    now, grace = utcnow(), timedelta(hours=1)
    await store.websub.record_hub(feed.id, "https://hub.example/", "https://example.com/feed.xml", now)
    sub = await store.websub.get(feed.id)
    assert sub is not None
    assert not await store.websub.push_active(feed.id, now, grace)  # never verified
    await store.websub.activate(sub.id, 3600, now)
    assert await store.websub.push_active(feed.id, now, grace)
    assert not await store.websub.push_active(feed.id, now + timedelta(hours=2), grace)  # lease ran out
    await store.websub.mark_failed(sub.id, "the hub answered HTTP 500", now, now + timedelta(minutes=1))
    assert not await store.websub.push_active(feed.id, now + timedelta(minutes=5), grace)
    assert await store.websub.push_active(feed.id, now + timedelta(minutes=59, seconds=30), timedelta(0))
    assert not await store.websub.push_active(feed.id + 1, now, grace)


async def test_worker_records_the_hub_and_the_schedule_slows_while_push_is_healthy(store: Store) -> None:
    now = {"at": utcnow()}
    async with FeedServer() as server, aiohttp.ClientSession() as session:
        server.set_feed("/feed.xml", rss([episode(1)], channel_extra=HUB))
        feed = await store.feeds.add_feed(server.url("/feed.xml"))
        fetcher = Fetcher(session, allow_private=True)
        worker = FeedWorker(store, fetcher, interval=600, jitter=0)
        service = WebSubService(
            store,
            session,
            fetcher,
            public_url="https://bot.example.org",
            lease_seconds=3600,
            ingest=_never_ingest,
            clock=lambda: now["at"],
        )

        await worker.poll_feed(feed.id)
        sub = await store.websub.get(feed.id)
        assert sub is not None
        assert (sub.hub, sub.topic) == ("https://pubsubhubbub.appspot.com/", server.url("/feed.xml"))
        await service.sync_schedule(feed.id)
        polled = await store.feeds.get_feed(feed.id)
        assert polled is not None and not polled.push_active  # not verified yet: polled as learned

        await store.websub.activate(sub.id, 3600, now["at"])
        await service.sync_schedule(feed.id)
        started = utcnow()
        await worker.poll_feed(feed.id)  # healthy push: the next poll is the safety net's
        polled = await store.feeds.get_feed(feed.id)
        assert polled is not None and polled.push_active and polled.next_poll_at is not None
        assert polled.next_poll_at - started > timedelta(seconds=1800)
        assert "push" in (polled.poll_reason or "")

        now["at"] += timedelta(hours=2)  # the lease ran out: the feed is polled at once
        await service.sync_schedule(feed.id)
        lapsed = await store.feeds.get_feed(feed.id)
        assert lapsed is not None and not lapsed.push_active and lapsed.next_poll_at is None

        server.set_feed("/feed.xml", rss([episode(2), episode(1)]))  # the hub is gone from the feed
        await worker.poll_feed(feed.id)
        gone = await store.websub.get(feed.id)
        assert gone is not None and not gone.declared


async def _never_ingest(feed_id: int) -> bool:
    raise AssertionError(f"no notification was sent, yet feed {feed_id} was ingested")


def test_push_needs_both_a_public_url_and_the_http_server() -> None:
    def settings(**values: object) -> Settings:
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    assert not settings().websub_enabled
    assert not settings(public_url="https://bot.example.org").websub_enabled
    assert not settings(http_port=8080).websub_enabled
    assert settings(http_port=8080, public_url="https://bot.example.org").websub_enabled
    assert settings(http_port="").http_port is None
    assert settings().http_host == "127.0.0.1"
    with pytest.raises(ValueError, match=r"public_url"):
        settings(public_url="ftp://bot.example.org")


async def _followed_with_hub(store: Store, hub_url: str) -> int:
    feed = await store.feeds.add_feed("https://example.com/feed.xml")
    await store.announcements.subscribe(1, feed.id, 2, ChannelKind.TEXT)
    await store.websub.record_hub(feed.id, hub_url, "https://example.com/feed.xml", utcnow())
    return feed.id


@pytest.mark.parametrize(
    ("hub_path", "public_url", "refusal"),
    [
        ("/", "https://bot.example.org", "refused: "),  # the hub is on a loopback address
        (None, "http://10.1.2.3:8080", "refused: "),  # a public hub, but our callback is private
        (None, "file:///etc/passwd", "refused: only http and https"),
    ],
)
async def test_hub_and_callback_pass_the_address_guard(
    store: Store, hub_path: str | None, public_url: str, refusal: str
) -> None:
    async with WebSubHub() as hub, aiohttp.ClientSession() as session:
        hub_url = hub.url if hub_path else "http://93.184.216.34/hub"  # never reached: the callback fails
        feed_id = await _followed_with_hub(store, hub_url)
        guard = Fetcher(session, allow_private=False, resolver=StaticResolver({}))

        async def ingest(feed_id: int) -> None:
            raise AssertionError("nothing may be fetched")

        service = WebSubService(
            store, session, guard, public_url=public_url, lease_seconds=3600, ingest=ingest
        )
        await service.reconcile()
        sub = await store.websub.get(feed_id)
        assert sub is not None and sub.last_error is not None
        assert sub.last_error.startswith(refusal), sub.last_error
        assert sub.state == "new" and sub.failures == 1
        assert hub.requests == []
