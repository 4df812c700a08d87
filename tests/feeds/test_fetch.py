"""The fetcher against the feed server double: conditional GET, gzip, redirects, caps, timeouts, errors."""

from __future__ import annotations

import gzip

import aiohttp
import pytest

from bot.feeds.errors import ConnectionFailed, HTTPStatus, Timeout, TooLarge, TooManyRedirects
from bot.feeds.fetch import Fetcher, parse_retry_after
from bot.http import USER_AGENT
from tests.doubles.feed_server import FeedServer, Route

BODY = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"


async def test_etag_and_last_modified_are_replayed_and_304_is_not_modified(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.set_feed("/f", BODY, etag='"v1"', last_modified=LAST_MODIFIED)
    first = await fetcher.fetch(server.url("/f"))
    assert (first.status, first.body, first.etag, first.last_modified) == (200, BODY, '"v1"', LAST_MODIFIED)
    second = await fetcher.fetch(server.url("/f"), etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.body == b""
    sent = server.requests_for("/f")[-1].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == LAST_MODIFIED
    assert sent["User-Agent"] == USER_AGENT and "+https://" in sent["User-Agent"]


async def test_gzip_body_is_requested_and_decompressed(server: FeedServer, fetcher: Fetcher) -> None:
    server.set_feed("/gz", BODY * 50, gzip=True)
    result = await fetcher.fetch(server.url("/gz"))
    assert result.body == BODY * 50
    assert "gzip" in server.requests_for("/gz")[0].headers["Accept-Encoding"]


async def test_gzip_bomb_is_capped_on_the_decompressed_size(server: FeedServer, fetcher: Fetcher) -> None:
    bomb = b"<rss>" + b" " * (2 * 1024 * 1024) + b"</rss>"
    assert len(gzip.compress(bomb)) < fetcher.max_bytes
    server.set_feed("/bomb", bomb, gzip=True)
    with pytest.raises(TooLarge):
        await fetcher.fetch(server.url("/bomb"))


@pytest.mark.parametrize("send_length", [True, False])
async def test_oversize_body_is_refused(server: FeedServer, fetcher: Fetcher, send_length: bool) -> None:
    server.set_oversize("/big", 600 * 1024, send_length=send_length)
    with pytest.raises(TooLarge, match="allowed"):
        await fetcher.fetch(server.url("/big"))


async def test_endless_body_is_cut_at_the_cap(server: FeedServer, fetcher: Fetcher) -> None:
    server.set_infinite("/endless")
    with pytest.raises(TooLarge):
        await fetcher.fetch(server.url("/endless"))


async def test_slow_body_times_out(server: FeedServer, session: aiohttp.ClientSession) -> None:
    server.set_slow("/slow", BODY * 20, chunk_delay=0.2, chunk_size=16)
    fetcher = Fetcher(session, allow_private=True, timeout=0.5)
    with pytest.raises(Timeout, match=r"0\.5 s"):
        await fetcher.fetch(server.url("/slow"))


async def test_redirects_are_followed_and_only_a_permanent_chain_moves_the_feed(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.set_feed("/final", BODY)
    server.set_redirect("/moved", "/final", status=301)
    server.set_redirect("/temp", "/final", status=302)
    server.set_redirect("/mixed", "/temp", status=308)
    moved = await fetcher.fetch(server.url("/moved"))
    assert moved.body == BODY and moved.permanent_url == server.url("/final")
    temp = await fetcher.fetch(server.url("/temp"))
    assert temp.body == BODY and temp.permanent_url is None and temp.url == server.url("/final")
    mixed = await fetcher.fetch(server.url("/mixed"))
    assert mixed.permanent_url == server.url("/temp")


async def test_redirect_loops_and_long_chains_stop(server: FeedServer, fetcher: Fetcher) -> None:
    server.set_redirect("/a", "/b", status=302)
    server.set_redirect("/b", "/a", status=302)
    with pytest.raises(TooManyRedirects, match="loop"):
        await fetcher.fetch(server.url("/a"))
    for hop in range(8):
        server.set_redirect(f"/hop{hop}", f"/hop{hop + 1}", status=302)
    server.set_feed("/hop8", BODY)
    with pytest.raises(TooManyRedirects, match="more than 5"):
        await fetcher.fetch(server.url("/hop0"))
    assert len(server.requests_for("/hop5")) == 1 and server.requests_for("/hop6") == []


async def test_error_statuses_carry_a_reason_and_retry_after(server: FeedServer, fetcher: Fetcher) -> None:
    server.set_status("/busy", 503, retry_after="120")
    with pytest.raises(HTTPStatus) as caught:
        await fetcher.fetch(server.url("/busy"))
    assert caught.value.status == 503 and caught.value.retry_after == 120.0
    assert "503" in caught.value.reason
    server.set_route("/gone", Route(status=410))
    with pytest.raises(HTTPStatus, match="gone for good"):
        await fetcher.fetch(server.url("/gone"))


async def test_connection_refused_is_a_clear_failure(fetcher: Fetcher) -> None:
    with pytest.raises(ConnectionFailed, match="could not connect"):
        await fetcher.fetch("http://127.0.0.1:9/feed.xml")


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("Wed, 01 Jan 2020 00:00:00 GMT") == 0.0
    assert parse_retry_after("9999999") == 24 * 3600.0
    assert parse_retry_after("soon") is None
