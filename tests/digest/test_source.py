from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.digest.models import EpisodeInput, TranscriptRef
from bot.digest.source import (
    MIN_TRANSCRIPT_CHARS,
    captions_to_text,
    choose_source,
    html_to_text,
    json_to_text,
    plain_to_text,
    sniff_format,
    to_clean_text,
)
from bot.feeds.fetch import Fetcher
from tests.digest.transcripts import SHORT, as_srt, as_vtt

PROSE = " ".join(SHORT.split())


def test_webvtt_is_reduced_to_prose() -> None:
    text = captions_to_text(as_vtt(SHORT))
    assert text == PROSE
    assert "-->" not in text and "WEBVTT" not in text and "<v" not in text


def test_webvtt_with_identifiers_styles_and_rolling_duplicates() -> None:
    vtt = (
        "WEBVTT - a title\n\nSTYLE\n::cue { color: red }\n\nNOTE\nmulti line\nnote\n\n"
        "intro-1\n00:00:01.000 --> 00:00:02.000 align:start\n<c.loud>Hello &amp; welcome.</c>\n\n"
        "intro-2\n00:00:02.000 --> 00:00:03.000\nHello &amp; welcome.\nToday: open weights.\n"
    )
    assert captions_to_text(vtt) == "Hello & welcome. Today: open weights."


def test_subrip_is_reduced_to_prose() -> None:
    assert captions_to_text(as_srt(SHORT)) == PROSE
    assert sniff_format(as_srt(SHORT), None) == "application/x-subrip"


def test_podcasting_json_transcript() -> None:
    data = {
        "version": "1.0.0",
        "segments": [
            {"speaker": "Host", "startTime": 0.1, "endTime": 1.0, "body": "Welcome back."},
            {"speaker": "Host", "startTime": 1.0, "endTime": 2.0, "body": "Llama 4 is out."},
            {"speaker": "Guest", "startTime": 2.0, "endTime": 3.0, "body": "It has open weights."},
        ],
    }
    assert json_to_text(json.dumps(data)) == "Welcome back. Llama 4 is out.\n\nIt has open weights."


def test_html_transcript_drops_times_and_scripts() -> None:
    html = (
        "<html><head><title>x</title></head><body><cite>Host:</cite><time>0:00</time>"
        "<p>Welcome <a href='#'>back</a>.</p><script>alert(1)</script><p>Second<br>line.</p></body></html>"
    )
    assert html_to_text(html) == "Host:\n\nWelcome back.\n\nSecond line."


def test_plain_transcript_drops_timestamps_and_numbers() -> None:
    assert plain_to_text("[00:01:02] Hello there.\n12\n00:05 Next line.") == "Hello there.\nNext line."


def test_declared_type_is_checked_against_the_content() -> None:
    # A host that labels a VTT file text/plain still gets it parsed as captions.
    assert to_clean_text(as_vtt(SHORT), "text/plain") == PROSE
    assert to_clean_text("{broken json", "application/json") == "{broken json"


@pytest.fixture
async def transcript_server() -> AsyncIterator[str]:
    long_vtt = as_vtt(SHORT * 3)

    async def vtt(request: web.Request) -> web.Response:
        return web.Response(text=long_vtt, content_type="text/vtt")

    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=404)

    async def tiny(request: web.Request) -> web.Response:
        return web.Response(text="Hi.")

    app = web.Application()
    app.router.add_get("/t.vtt", vtt)
    app.router.add_get("/gone.txt", gone)
    app.router.add_get("/tiny.txt", tiny)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_fetched_transcript_is_preferred_and_broken_ones_skipped(transcript_server: str) -> None:
    async with aiohttp.ClientSession() as session:
        fetcher = Fetcher(session, allow_private=True, timeout=5)
        episode = EpisodeInput(
            key="ep1",
            title="Ep 1",
            show_notes_text="Notes about the episode.",
            transcripts=(
                TranscriptRef(f"{transcript_server}/gone.txt", "text/plain"),
                TranscriptRef(f"{transcript_server}/tiny.txt", "text/plain"),
                TranscriptRef(f"{transcript_server}/t.vtt", "text/vtt"),
            ),
        )
        source = await choose_source(episode, fetcher)
    assert source.kind == "transcript"
    assert source.url == f"{transcript_server}/t.vtt"
    assert source.text.startswith("Welcome back to the show.")
    assert len(source.text) >= MIN_TRANSCRIPT_CHARS


async def test_refused_private_transcript_falls_back_to_show_notes(transcript_server: str) -> None:
    async with aiohttp.ClientSession() as session:
        fetcher = Fetcher(session, allow_private=False, timeout=5)  # as in production: 127.0.0.1 refused
        episode = EpisodeInput(
            key="ep1",
            title="Ep 1",
            show_notes_text="<p>Notes about <b>the</b> episode.</p><p>Second.</p>",
            transcripts=(TranscriptRef(f"{transcript_server}/t.vtt", "text/vtt"),),
            kind="newsletter",
        )
        source = await choose_source(episode, fetcher)
    assert source.kind == "newsletter"
    assert source.text == "Notes about the episode.\n\nSecond."


async def test_no_transcript_and_no_notes_uses_the_title() -> None:
    source = await choose_source(EpisodeInput(key="k", title="Only a title"), None)
    assert (source.kind, source.text) == ("title", "Only a title")
