"""`python -m bot preview` and the offline `python -m bot run`, as a person runs them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.feeds.fetch import Fetcher
from bot.feeds.worker import FeedWorker
from bot.preview import PreviewMode, load_sources, offline_run, preview_command
from bot.settings import Settings
from bot.store import Store
from bot.timeutil import utcnow
from tests.conftest import PYTHON, ROOT, bot_subprocess_env
from tests.doubles.feed_server import FeedServer
from tests.feeds.builders import Item, rss
from tests.feeds.footers import ANCHOR

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
        "openly licensed model, Llama 3",
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
    # The open-weights sample shows the community poll its digest suggests, and its show-notes bullets
    # become key points without their list markers.
    assert "Both sides: 1 open-side mention (Llama) against 1 closed-side mention (GPT)." in out
    assert "Poll: Open or closed: which kind of AI is winning" in out
    assert "- What the new release includes" in out and "- - " not in out


async def test_run_without_token_previews_the_configured_feeds_when_reachable(
    capsys: pytest.CaptureFixture[str], make_settings: Callable[..., Settings]
) -> None:
    async with FeedServer() as server:
        episode = Item(guid="p1", title="Real podcast episode", description=ANCHOR, published=utcnow())
        server.set_feed("/podcast.xml", rss([episode], title="The Podcast"))
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
    # The same decisions as `preview`, and what a member would read: no footer, no sponsor list.
    assert "as a first read, as when the feed is added: would announce 0 of 1: 1 first run" in out
    assert "decision    first run: a newly added feed's items are remembered, not announced" in out
    assert "closed most of the gap" in out and "--followed" in out
    for leaked in ("sponsored by", "KPMG", "anchor.fm", "utm_"):
        assert leaked not in out


# --- decisions: what the real worker would do, and why -------------------------------------------------


def dated_feed(path: Path, count: int, *, start: datetime, step: timedelta) -> str:
    """A feed of `count` episodes published `step` apart from `start` (oldest first), written to `path`."""
    items = [
        Item(
            guid=f"ep-{n}",
            title=f"Episode {n}",
            link=f"https://example.com/ep/{n}",
            published=start + n * step,
        )
        for n in range(count)
    ]
    path.write_bytes(rss(list(reversed(items)), title="Dated feed"))
    return str(path)


async def test_a_first_run_announces_nothing_and_says_why(
    capsys: pytest.CaptureFixture[str], make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    source = dated_feed(tmp_path / "f.xml", 18, start=utcnow() - timedelta(days=2), step=timedelta(hours=2))
    code, out, _ = await preview(capsys, make_settings(), source, limit=3)
    assert code == 0
    assert "would announce 0 of 18: 18 first run" in out
    assert out.count("decision    first run: a newly added feed's items are remembered") == 3

    code, out, _ = await preview(capsys, make_settings(), source, as_json=True, limit=0)
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 18 and {row["decision"] for row in rows} == {"first_run"}
    assert all("remembered, not announced" in row["reason"] for row in rows)


async def test_an_aged_feed_is_too_old_for_a_later_poll_too(
    capsys: pytest.CaptureFixture[str], make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    years_ago = datetime(2021, 5, 1, 9, 0, tzinfo=UTC)
    source = dated_feed(tmp_path / "old.xml", 18, start=years_ago, step=timedelta(days=7))
    _, first, _ = await preview(capsys, make_settings(), source, limit=1)
    assert "would announce 0 of 18: 18 first run" in first
    assert "published 2021-08-28, outside the 7-day window too" in first

    settings = make_settings()
    mode = PreviewMode(followed=True)
    code = await preview_command(settings, [source], as_json=False, limit=2, mode=mode)
    out = capsys.readouterr().out
    assert code == 0 and "as a later poll of a followed feed: would announce 0 of 18: 18 too old" in out
    assert "decision    too old: published 2021-08-28, before the 7-day window" in out

    # The feed's newest episode today: only that one would be announced.
    fresh = Item(guid="new", title="Today", link="https://example.com/today", published=utcnow())
    old_items = [
        Item(guid=f"ep-{n}", title=f"Episode {n}", published=years_ago + timedelta(days=7 * n))
        for n in range(17)
    ]
    (tmp_path / "mixed.xml").write_bytes(rss([fresh, *old_items]))
    await preview_command(settings, [str(tmp_path / "mixed.xml")], as_json=True, limit=0, mode=mode)
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["title"] for row in rows if row["decision"] == "announce"] == ["Today"]


async def test_past_the_daily_cap_the_rest_is_held_back(
    capsys: pytest.CaptureFixture[str], make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    source = dated_feed(
        tmp_path / "burst.xml", 7, start=utcnow() - timedelta(hours=8), step=timedelta(hours=1)
    )
    settings = make_settings(feed_daily_cap=5)
    await preview_command(settings, [source], as_json=True, limit=0, mode=PreviewMode(followed=True))
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["decision"] for row in rows] == ["announce"] * 5 + ["daily_cap"] * 2  # oldest first
    assert rows[-1]["reason"] == "5 new items of this feed in a day already"

    await preview_command(settings, [source], as_json=False, limit=2, mode=PreviewMode(followed=True))
    assert "would announce 5 of 7: 2 over the daily cap" in capsys.readouterr().out


async def test_newest_n_mirrors_feed_add(
    capsys: pytest.CaptureFixture[str], make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    source = dated_feed(tmp_path / "f.xml", 6, start=utcnow() - timedelta(days=1), step=timedelta(hours=1))
    await preview_command(make_settings(), [source], as_json=True, limit=0, mode=PreviewMode(newest=2))
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["decision"] for row in rows] == ["first_run"] * 4 + ["announce"] * 2


async def test_the_preview_and_the_worker_decide_alike(
    make_settings: Callable[..., Settings], tmp_path: Path, store: Store
) -> None:
    """One feed through the real worker (a first read; a later poll) and through the preview."""
    body = rss(
        [
            Item(guid="a", title="Fresh", link="https://e.com/a", published=utcnow() - timedelta(hours=1)),
            Item(guid="b", title="Old", link="https://e.com/b", published=utcnow() - timedelta(days=40)),
        ]
    )
    (tmp_path / "f.xml").write_bytes(body)
    settings = make_settings()
    previews = {
        followed: (await load_sources(settings, [(str(tmp_path / "f.xml"), None)], limit=0, mode=mode))[0]
        for followed, mode in ((False, PreviewMode()), (True, PreviewMode(followed=True)))
    }
    async with FeedServer() as server, aiohttp.ClientSession() as session:
        server.set_feed("/f.xml", body)
        worker = FeedWorker(store, Fetcher(session, allow_private=True), jitter=0)
        for followed in (False, True):
            feed = await store.feeds.add_feed(server.url(f"/f.xml?followed={followed}"))
            await store.feeds.update_feed(feed.id, first_fetch_done=int(followed))
            await worker.poll_feed(feed.id)
            stored = await store.feeds.latest_items(feed.id, 10)
            decided = {i.key: "announce" if i.status == "new" else i.skip_reason for i in stored}
            assert decided == {k: d.decision for k, d in previews[followed].decisions.items()}
    assert previews[True].summary == "would announce 1 of 2: 1 too old"


async def test_wrapping_never_breaks_a_url(
    capsys: pytest.CaptureFixture[str], make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    url = "https://example.com/" + "-".join(["a-very-long-path-segment"] * 8) + "?page=2&section=notes"
    assert len(url) > 120
    words = "Read the full notes, with every link the hosts mentioned in this episode, at"
    item = Item(guid="u", title="Long link", description=f"<p>{words} {url} before the show.</p>")
    (tmp_path / "u.xml").write_bytes(rss([item]))
    _, out, _ = await preview(capsys, make_settings(), str(tmp_path / "u.xml"))
    assert f"      {url}" in out.splitlines()  # on a line of its own, whole, although longer than 100


async def test_a_feed_in_the_bots_database_is_judged_as_its_next_poll(
    capsys: pytest.CaptureFixture[str], make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(feed_allow_private_hosts=True)
    hour = timedelta(hours=1)
    old = Item(guid="a", title="Stored episode", link="https://e.com/a", published=utcnow() - 3 * hour)
    async with FeedServer() as server, aiohttp.ClientSession() as session:
        server.set_feed("/f.xml", rss([old]))
        store = await Store.open(settings.database_path)  # the bot's own database
        try:
            feed = await store.feeds.add_feed(server.url("/f.xml"))
            await FeedWorker(store, Fetcher(session, allow_private=True), jitter=0).poll_feed(feed.id)
        finally:
            await store.close()
        # The host rewrote the stored episode's GUID (same link), and a new episode appeared.
        moved = Item(guid="a-moved", title="Stored episode", link="https://e.com/a", published=old.published)
        fresh = Item(guid="b", title="New episode", link="https://e.com/b", published=utcnow() - hour)
        server.set_feed("/f.xml", rss([fresh, moved, old]))
        await preview_command(settings, [server.url("/f.xml")], as_json=True, limit=0)
        rows = {
            row["title"] + row["key"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())
        }
        await preview_command(settings, [server.url("/f.xml")], as_json=False, limit=0)
        text = capsys.readouterr().out
    assert rows["Stored episodeguid:a"]["decision"] == "known"
    assert rows["Stored episodeguid:a-moved"]["decision"] == "duplicate"
    assert rows["Stored episodeguid:a-moved"]["reason"] == "of “Stored episode”"
    assert rows["New episodeguid:b"]["decision"] == "announce"
    assert f"as the next poll of feed {feed.id} in the bot's database: would announce 1 of 3" in text
    assert "1 duplicate, 1 already known" in text and "decision    duplicate: of “Stored episode”" in text
