"""The SSRF guard refuses private destinations however they are written, reached or redirected to."""

from __future__ import annotations

import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.feeds.errors import BadURL, RefusedAddress
from bot.feeds.fetch import Fetcher, build_session
from bot.feeds.ssrf import StaticResolver, check_host_literal, check_url
from bot.http import USER_AGENT
from tests.doubles.feed_server import FeedServer

PRIVATE_HOSTS = [
    "127.0.0.1", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "127.1", "017700000001",
    "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "localhost", "localhost.", "LOCALHOST", "app.localhost",
    "169.254.169.254", "[fd00:ec2::254]", "10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1", "0.0.0.0",
    "224.0.0.1", "[ff02::1]", "[fe80::1]", "[fc00::1]", "[2002:7f00:1::]", "metadata.google.internal",
]  # fmt: skip


@pytest.mark.parametrize("host", PRIVATE_HOSTS)
def test_private_literals_and_local_names_are_refused(host: str) -> None:
    with pytest.raises(RefusedAddress):
        check_host_literal(host, allow_private=False)


@pytest.mark.parametrize("host", ["93.184.216.34", "[2606:4700::1111]", "example.com"])
def test_public_hosts_pass_the_literal_check(host: str) -> None:
    check_host_literal(host, allow_private=False)


def test_allow_private_lifts_address_checks_but_not_the_scheme() -> None:
    check_host_literal("127.0.0.1", allow_private=True)
    with pytest.raises(BadURL, match="only http and https"):
        check_url("file:///etc/passwd")


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/feed", "gopher://example.com/", "feed.xml", "http:///x"]
)
def test_only_http_and_https_urls(url: str) -> None:
    with pytest.raises(BadURL):
        check_url(url)


def guarded_fetcher(session: object, resolver: AbstractResolver, **kwargs: object) -> Fetcher:
    return Fetcher(session, allow_private=False, timeout=5, resolver=resolver, **kwargs)  # type: ignore[arg-type]


async def test_direct_private_address_is_refused_before_any_request(server: FeedServer) -> None:
    server.set_feed("/feed.xml", b"<rss/>")
    async with build_session(allow_private=False, user_agent=USER_AGENT) as session:
        fetcher = Fetcher(session, allow_private=False, timeout=5)
        for url in (server.url("/feed.xml"), f"http://2130706433:{server.port}/feed.xml"):
            with pytest.raises(RefusedAddress):
                await fetcher.fetch(url)
    assert server.requests == []


async def test_public_name_resolving_to_loopback_is_refused(server: FeedServer) -> None:
    server.set_feed("/feed.xml", b"<rss/>")
    resolver = StaticResolver({"feeds.example.net": "127.0.0.1"})
    async with build_session(allow_private=False, user_agent=USER_AGENT, resolver=resolver) as session:
        with pytest.raises(RefusedAddress, match=r"feeds\.example\.net resolves to 127\.0\.0\.1"):
            await guarded_fetcher(session, resolver).fetch(f"http://feeds.example.net:{server.port}/feed.xml")
    assert server.requests == []


async def test_redirect_to_metadata_or_private_address_is_refused(server: FeedServer) -> None:
    trusted = {"127.0.0.1"}  # the double itself is trusted, so only the redirect target is judged
    server.set_redirect("/meta", "http://169.254.169.254/latest/meta-data/", status=302)
    server.set_redirect("/ten", "http://10.1.2.3/feed", status=301)
    server.set_redirect("/v6", "http://[::1]/feed", status=307)
    server.set_redirect("/named", "http://internal.example.net/feed", status=302)
    resolver = StaticResolver({"internal.example.net": "192.168.0.10"})
    async with build_session(
        allow_private=False, user_agent=USER_AGENT, resolver=resolver, allowed_hosts=trusted
    ) as session:
        fetcher = guarded_fetcher(session, resolver, allowed_hosts=trusted)
        for path in ("/meta", "/ten", "/v6", "/named"):
            with pytest.raises(RefusedAddress):
                await fetcher.fetch(server.url(path))
    assert [r.path for r in server.requests] == ["/meta", "/ten", "/v6", "/named"]


class FlippingResolver(AbstractResolver):
    """Answers a public address first and loopback afterwards: a DNS rebinding attack."""

    def __init__(self) -> None:
        self.calls = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls += 1
        address = "93.184.216.34" if self.calls == 1 else "127.0.0.1"
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        return None


async def test_dns_rebinding_between_check_and_connect_cannot_reach_loopback(server: FeedServer) -> None:
    server.set_feed("/feed.xml", b"<rss/>")
    resolver = FlippingResolver()
    async with build_session(allow_private=False, user_agent=USER_AGENT, resolver=resolver) as session:
        with pytest.raises(RefusedAddress):
            await guarded_fetcher(session, resolver).fetch(
                f"http://rebind.example.net:{server.port}/feed.xml"
            )
    assert resolver.calls >= 2  # checked once by the fetcher, once more by the connector, which refused
    assert server.requests == []
