"""`python -m bot preview` and the offline `python -m bot run`, as a person runs them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.preview import offline_run, preview_command
from bot.settings import Settings
from tests.conftest import PYTHON, ROOT, bot_subprocess_env
from tests.doubles.feed_server import FeedServer
from tests.feeds.builders import Item, rss

SAMPLE = ROOT / "bot" / "samples" / "sample_feed.xml"


async def run_bot(*args: str, cwd: Path, **env: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=bot_subprocess_env(**env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, stdout.decode(), stderr.decode()


async def preview(
    capsys: pytest.CaptureFixture[str],
    settings: Settings,
    *sources: str,
    as_json: bool = False,
    limit: int = 5,
) -> tuple[int, str, str]:
    code = await preview_command(settings, list(sources), as_json=as_json, limit=limit)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_json_preview_of_a_local_file(
    capsys: pytest.CaptureFixture[str], make_settings: Callable[..., Settings]
) -> None:
    code, out, err = await preview(capsys, make_settings(), str(SAMPLE), as_json=True, limit=2)
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["key"] for row in rows] == ["guid:sample-episode-0002", "guid:sample-episode-0003"]
    newest = rows[-1]
    for key in (
        "key",
        "title",
        "link",
        "published",
        "audio_url",
        "duration_seconds",
        "transcripts",
        "chapters_url",
        "text",
    ):
        assert key in newest
    assert newest["published"] == "2025-03-03T11:00:00Z" and newest["duration_seconds"] == 1471
    assert newest["transcripts"][0] == {
        "url": "https://example.com/sample-podcast/ep3.vtt",
        "type": "text/vtt",
        "language": "en",
        "rel": "captions",
    }
    assert newest["chapters_url"].endswith("ep3-chapters.json") and "<" not in newest["text"]


async def test_text_preview_shows_what_would_be_announced(
    capsys: pytest.CaptureFixture[str], make_settings: Callable[..., Settings]
) -> None:
    code, out, _ = await preview(capsys, make_settings(), str(SAMPLE), limit=1)
    assert code == 0
    for expected in (
        "SAMPLE: Open weights catch up on coding benchmarks",
        "guid:sample-episode-0003",
        "2025-03-03 11:00 UTC",
        "https://example.com/sample-podcast/audio/ep3.mp3",
        "24:31",
        "ep3.vtt (text/vtt, en, captions)",
        "openly licensed model",
    ):
        assert expected in out
    assert "Welcome to the offline preview" not in out  # --limit 1


async def test_each_bad_source_is_one_line_and_the_good_ones_still_print(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<!doctype html><html><body>Not a feed</body></html>")
    (tmp_path / "big.xml").write_bytes(b"<rss>" + b" " * 40_000 + b"</rss>")
    sources = [
        "missing.xml",
        "page.html",
        "big.xml",
        "http://127.0.0.1:9/feed.xml",
        "ftp://example.com/f",
        str(SAMPLE),
    ]
    code, out, err = await run_bot("preview", *sources, "--json", cwd=tmp_path, FEED_MAX_BYTES="20000")
    assert code == 3
    lines = err.strip().splitlines()
    assert len(lines) == 5 and "Traceback" not in err
    reasons = dict(line.removeprefix("error: ").split(": ", 1) for line in lines)
    assert "no such file" in reasons["missing.xml"]
    assert "not an RSS or Atom feed" in reasons["page.html"]
    assert "more than" in reasons["big.xml"]
    assert "not a public internet address" in reasons["http://127.0.0.1:9/feed.xml"]
    assert "only http and https" in reasons["ftp://example.com/f"]
    assert len(out.splitlines()) == 3  # the sample still printed


async def test_preview_of_a_url_goes_through_the_fetcher(
    capsys: pytest.CaptureFixture[str], make_settings: Callable[..., Settings]
) -> None:
    async with FeedServer() as server:
        server.set_feed(
            "/feed.xml", rss([Item(guid="a", title="Served episode", audio_url="https://e.com/a.mp3")])
        )
        settings = make_settings(feed_allow_private_hosts=True)
        code, out, err = await preview(capsys, settings, server.url("/feed.xml"), as_json=True)
        assert code == 0, err
        assert json.loads(out)["title"] == "Served episode"
        assert "AIDailyBriefCommunityBot" in server.requests[0].headers["User-Agent"]


async def test_run_without_token_falls_back_to_the_labelled_sample(tmp_path: Path) -> None:
    code, out, err = await run_bot(
        "run",
        cwd=tmp_path,
        PODCAST_FEED_URL="http://127.0.0.1:9/podcast.xml",
        NEWSLETTER_FEED_URL="http://127.0.0.1:9/newsletter.xml",
    )
    assert code == 0, err
    assert "podcast feed http://127.0.0.1:9/podcast.xml could not be read" in err
    assert "newsletter feed http://127.0.0.1:9/newsletter.xml could not be read" in err
    assert "sample feed" in err and "[SAMPLE" in out
    assert "SAMPLE: Open weights catch up on coding benchmarks" in out and "Traceback" not in err
    # Each item comes with the digest the embedded offline summarizer would post.
    assert out.count("digest (embedded offline summarizer):") == 3 and "TL;DR:" in out and "Poll:" in out


async def test_run_without_token_previews_the_configured_feeds_when_reachable(
    capsys: pytest.CaptureFixture[str], make_settings: Callable[..., Settings]
) -> None:
    async with FeedServer() as server:
        server.set_feed(
            "/podcast.xml", rss([Item(guid="p1", title="Real podcast episode")], title="The Podcast")
        )
        settings = make_settings(
            podcast_feed_url=server.url("/podcast.xml"),
            newsletter_feed_url=server.url("/missing.xml"),
            feed_allow_private_hosts=True,
        )
        code = await offline_run(settings)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Real podcast episode" in out and "[podcast] The Podcast" in out
    assert "SAMPLE" not in out and "404" in err
    assert "digest (embedded offline summarizer):" in out
