"""Hostile feed URLs: every one refused with a clear message, none fetched, nothing stored.

Each URL is typed by a moderator into `/admin feed add` of the real bot (Discord double), whose feed
worker fetches through the production guarded session. The session is traced (every request started,
every connection opened), DNS is a recording table, and the feed server double logs what reached it: a
refused URL must leave no request, no connection and no stored feed behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.feeds.errors import BadURL, RefusedAddress
from bot.feeds.fetch import Fetcher
from tests.doubles.discord import DiscordDouble, Guild, Member, P
from tests.doubles.feed_server import FeedServer
from tests.feeds.builders import Item, rss
from tests.reliability.harness import (
    LiveBot,
    RecordingResolver,
    Traffic,
    figure,
    plain_fetcher,
    traced_session,
)

# A public-looking name the operator trusts (it stands for a real feed host) that serves redirects.
REDIRECTOR = "redirector.example"
DNS = {
    REDIRECTOR: "127.0.0.1",
    "loopback.evil.example": "127.0.0.1",
    "private.evil.example": "10.0.0.7",
    "metadata.evil.example": "169.254.169.254",
    "v6loop.evil.example": "::1",
    "mapped.evil.example": "::ffff:127.0.0.1",
    "cgnat.evil.example": "100.64.1.1",
}


def direct_urls(port: int) -> list[str]:
    """URLs refused before any connection: the address, the scheme or the name is not acceptable."""
    return [
        # loopback in every notation
        f"http://127.0.0.1:{port}/feed.xml",
        f"http://2130706433:{port}/feed.xml",  # decimal
        f"http://0177.0.0.1:{port}/feed.xml",  # octal
        f"http://017700000001:{port}/feed.xml",  # octal, one number
        f"http://0x7f.0.0.1:{port}/feed.xml",  # hex
        f"http://0x7f000001:{port}/feed.xml",
        f"http://127.1:{port}/feed.xml",  # short form
        f"http://[::1]:{port}/feed.xml",
        f"http://[::ffff:127.0.0.1]:{port}/feed.xml",  # IPv4-mapped IPv6
        f"http://[::ffff:7f00:1]:{port}/feed.xml",
        f"http://[0:0:0:0:0:ffff:127.0.0.1]:{port}/feed.xml",
        f"http://[2002:7f00:1::]:{port}/feed.xml",  # 6to4 of loopback
        f"http://0.0.0.0:{port}/feed.xml",
        f"http://0:{port}/feed.xml",
        f"http://[::]:{port}/feed.xml",
        f"http://localhost:{port}/feed.xml",
        f"http://localhost.:{port}/feed.xml",  # trailing dot
        f"http://LOCALHOST:{port}/feed.xml",
        f"http://feeds.localhost:{port}/feed.xml",
        f"http://example.com@127.0.0.1:{port}/feed.xml",  # userinfo that looks like a host
        # private, shared and link-local ranges
        "http://10.0.0.1/feed.xml",
        "http://172.16.5.4/feed.xml",
        "http://192.168.1.1/feed.xml",
        "http://100.64.0.1/feed.xml",
        "http://[fc00::1]/feed.xml",
        "http://[fe80::1]/feed.xml",
        "http://[ff02::1]/feed.xml",
        # cloud metadata services
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://100.100.100.200/latest/meta-data/",
        # schemes other than http(s)
        "file:///etc/passwd",
        f"gopher://127.0.0.1:{port}/_GET%20/feed.xml",
        "ftp://example.com/feed.xml",
        "javascript:alert(1)",
        "data:application/rss+xml,<rss/>",
        "//example.com/feed.xml",
        # DNS names that resolve to private addresses
        f"http://loopback.evil.example:{port}/feed.xml",
        "http://private.evil.example/feed.xml",
        "http://metadata.evil.example/latest/meta-data/",
        f"http://v6loop.evil.example:{port}/feed.xml",
        f"http://mapped.evil.example:{port}/feed.xml",
        "http://cgnat.evil.example/feed.xml",
        # very long URLs (Discord allows 6,000 characters in an option)
        f"http://127.0.0.1:{port}/" + "a" * 5900,
        "http://169.254.169.254/" + "?x=" + "%41" * 1900,
    ]


def redirect_targets(port: int) -> list[str]:
    """Where a trusted host redirects to: every one must be refused at the hop, never requested."""
    return [
        f"http://127.0.0.1:{port}/secret",
        f"http://2130706433:{port}/secret",
        f"http://[::ffff:127.0.0.1]:{port}/secret",
        f"http://localhost.:{port}/secret",
        "http://169.254.169.254/latest/meta-data/",
        f"http://loopback.evil.example:{port}/secret",
        "http://private.evil.example/secret",
        "file:///etc/passwd",
        f"gopher://127.0.0.1:{port}/_secret",
    ]


@dataclass
class Setup:
    double: DiscordDouble
    server: FeedServer
    live: LiveBot
    traffic: Traffic
    resolver: RecordingResolver
    guild: Guild
    mod: Member


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    async with DiscordDouble() as double, FeedServer() as server:
        with double.apply_to_discord_py():
            resolver = RecordingResolver(DNS)
            traffic = Traffic()
            session = traced_session(resolver, traffic, allowed_hosts=(REDIRECTOR,))
            live = LiveBot(double, tmp_path / "bot.sqlite3")
            guild = double.add_guild("AI Daily Brief")
            double.add_text_channel(guild, "episodes")
            mod = double.add_member(guild, "mod", permissions=P.MANAGE_GUILD)
            await live.start(
                session, fetcher=plain_fetcher(session, resolver=resolver, allowed_hosts=(REDIRECTOR,))
            )
            try:
                yield Setup(double, server, live, traffic, resolver, guild, mod)
            finally:
                await live.stop()
            double.assert_no_errors()


async def test_hostile_feed_urls_are_refused_clearly_and_never_fetched(setup: Setup) -> None:
    double, server = setup.double, setup.server
    port = server.port
    server.set_feed("/feed.xml", rss([Item(guid="ep-1", title="A real episode")], title="Feed"))
    server.set_feed("/secret", b"internal admin page")
    for index, target in enumerate(redirect_targets(port)):
        server.set_redirect(f"/hop{index}", target, status=302 if index % 2 else 301)
    guild, mod = setup.guild, setup.mod
    assert setup.live.store is not None

    # A control: the trusted host itself is fetched and followed, so refusals below are the guard's doing.
    control = await (
        await double.invoke(guild, mod, "admin feed add", {"url": f"http://{REDIRECTOR}:{port}/feed.xml"})
    ).wait_final()
    assert "A real episode" in control.content, control.content
    baseline_requests, baseline_connections = len(server.requests), setup.traffic.connections
    started_before = len(setup.traffic.requests)

    hostile = direct_urls(port)
    hops = [f"http://{REDIRECTOR}:{port}/hop{i}" for i in range(len(redirect_targets(port)))]
    refusals: dict[str, str] = {}
    for url in hostile + hops:
        record = await double.invoke(guild, mod, "admin feed add", {"url": url})
        reply = await record.wait_final()
        assert record.ephemeral, url
        assert reply.allowed_mentions is not None
        assert "couldn't read that feed" in reply.content, (url[:120], reply.content)
        refusals[url] = reply.content
        assert await setup.live.store.feeds.get_feed_by_url(url) is None, url

    # Nothing but the redirect hops themselves reached the server, and no redirect target was requested.
    reached = [r.path for r in server.requests[baseline_requests:]]
    assert sorted(reached) == sorted(f"/hop{i}" for i in range(len(hops))), reached
    assert server.requests_for("/secret") == []
    started = setup.traffic.requests[started_before:]
    assert len(started) == len(hops), started  # one request per hop, none for any hostile URL
    connections = setup.traffic.connections - baseline_connections
    assert connections <= len(hops)
    # The reasons are specific: an address, a local name, a scheme, or a resolution, never a generic error.
    reasons = {
        "not a public internet address": 0,
        "local name": 0,
        "only http and https": 0,
        "resolves to": 0,
    }
    for text in refusals.values():
        for key in reasons:
            if key in text:
                reasons[key] += 1
    unexplained = [u[:80] for u, text in refusals.items() if not any(k in text for k in reasons)]
    assert unexplained == [], unexplained
    figure(
        "hostile URLs",
        f"refused: {len(refusals)}/{len(refusals)} ({len(hostile)} direct, {len(hops)} via redirect), "
        f"requests to hostile targets: 0, new connections: {connections}, "
        f"feeds stored: 0, reasons: {reasons}",
    )


@pytest.mark.parametrize("index", range(len(direct_urls(0))))
async def test_the_fetcher_refuses_each_hostile_url_with_the_right_reason(index: int) -> None:
    """The same list straight at the fetcher: the exception class says why, and no request starts."""
    async with FeedServer() as server:
        url = direct_urls(server.port)[index]
        resolver = RecordingResolver(DNS)
        traffic = Traffic()
        async with traced_session(resolver, traffic) as session:
            fetcher = Fetcher(session, allow_private=False, timeout=5, resolver=resolver)
            with pytest.raises((BadURL, RefusedAddress)) as caught:
                await fetcher.fetch(url)
        assert caught.value.reason
        assert traffic.requests == [] and traffic.connections == 0
        assert server.requests == []
        private_names = {n for n in DNS if n != REDIRECTOR}
        assert set(resolver.lookups) <= private_names  # only names were looked up, never an IP literal
