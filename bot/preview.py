"""The main job without Discord: print what the bot would announce for feeds, per item and why.

`python -m bot preview [SOURCE ...] [--json] [--limit N] [--newest N | --followed]` reads feed URLs
(through the same guarded fetcher as the bot) or local files; without SOURCE it reads the configured
feeds. Each item's decision comes from the worker's own rules (`bot.feeds.decide`), run on the whole feed
as a first poll would see it (`--newest N`: as `/admin feed add` with the newest N; `--followed`: as a
later poll of a feed the bot already follows, where every item is new). `python -m bot run` without a
token calls `offline_run`, which falls back to the sample feed shipped in `bot/samples/` when no
configured feed can be reached. A source that fails gives one line on stderr and exit status 3; the other
sources still print. Never a traceback. Text is shown as members would read it (`bot.feeds.boilerplate`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.digest import preview_text
from bot.feeds.boilerplate import clean_link, clean_notes
from bot.feeds.decide import ItemDecision, PollRules, summary
from bot.feeds.errors import FetchError, TooLarge
from bot.feeds.fetch import human_bytes
from bot.feeds.models import ParsedFeed, ParsedItem, episode_label
from bot.feeds.parse import parse_document, split_document
from bot.feeds.worker import newest
from bot.preview_decide import PreviewMode, decide_source, stored_state
from bot.samples import SAMPLE_FEED, SAMPLE_LABEL
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_SOURCE = 3
TEXT_PREVIEW = 700
OFFLINE_TIMEOUT = 10.0


@dataclass(slots=True)
class PreviewFeed:
    """One source as the preview read it: its feed, items and their decisions, or the reason it failed."""

    source: str
    label: str | None = None
    feed: ParsedFeed | None = None
    items: list[ParsedItem] = field(default_factory=list)
    error: str | None = None
    decisions: dict[str, ItemDecision] = field(default_factory=dict)  # by key, for every item of the feed
    followed: bool = False
    stored_feed_id: int | None = None  # judged against this feed of the bot's store

    @property
    def summary(self) -> str:
        return summary(list(self.decisions.values()))


def _is_url(source: str) -> bool:
    return "://" in source


def _read_file(path: Path, max_bytes: int) -> bytes:
    if not path.is_file():
        raise FetchError("no such file, and not an http(s) URL")
    size = path.stat().st_size
    if size > max_bytes:
        raise TooLarge(f"the file is {human_bytes(size)}, more than the {human_bytes(max_bytes)} allowed")
    return path.read_bytes()


async def _load_one(
    source: str,
    label: str | None,
    fetcher: Any,
    max_bytes: int,
    limit: int,
    rules: PollRules,
    store: Store | None = None,
) -> PreviewFeed:
    result = PreviewFeed(source=source, label=label, followed=not rules.first_fetch)
    try:
        if _is_url(source):
            if fetcher is None:
                raise FetchError("no HTTP session")
            fetched = await fetcher.fetch(source)
            body, base = fetched.body, fetched.url
        else:
            body, base = await asyncio.to_thread(_read_file, Path(source), max_bytes), None
        doc = split_document(body)
        feed = await asyncio.to_thread(parse_document, doc, base_url=base)
        urls = [source, base] if base else [source]
        result.decisions, stored = await decide_source(feed, doc.hashes, urls, rules, store)
    except FetchError as exc:
        result.error = exc.reason
        return result
    except OSError as exc:
        result.error = f"could not be read ({exc.strerror or type(exc).__name__})"
        return result
    except Exception as exc:  # the preview never shows a traceback
        log.debug("preview of %s failed", source, exc_info=True)
        result.error = f"could not be read ({type(exc).__name__})"
        return result
    result.feed = feed
    result.stored_feed_id = stored.id if stored else None
    result.items = newest(feed.items, limit if limit > 0 else len(feed.items), rules.now)
    return result


async def load_sources(
    settings: Settings,
    sources: Sequence[tuple[str, str | None]],
    *,
    limit: int,
    fetch_timeout: float | None = None,
    mode: PreviewMode | None = None,
) -> list[PreviewFeed]:
    """Read every (source, label) concurrently and decide about its items as the worker would: as its
    next poll when the bot's store holds the feed, else a first read unless `mode` says otherwise. URLs go
    through the guarded fetcher."""
    from bot.http import create_fetcher, create_http_session

    rules = (mode or PreviewMode()).rules(settings)
    if fetch_timeout is not None:
        settings = settings.model_copy(update={"feed_timeout": min(settings.feed_timeout, fetch_timeout)})
    cap = settings.feed_max_bytes
    async with stored_state(settings) as store:
        if not any(_is_url(source) for source, _ in sources):
            return [await _load_one(s, label, None, cap, limit, rules, store) for s, label in sources]
        async with create_http_session(settings) as session:
            fetcher = create_fetcher(session, settings)
            loads = (_load_one(s, label, fetcher, cap, limit, rules, store) for s, label in sources)
            return list(await asyncio.gather(*loads))


def item_json(item: ParsedItem, source: PreviewFeed) -> dict[str, Any]:
    """The JSON object printed per item by `preview --json` (text and link as members would see them)."""
    decision = source.decisions.get(item.key)
    return {
        "feed": source.feed.title if source.feed else None,
        "source": source.source,
        "sample": source.label == SAMPLE_LABEL,
        "key": item.key,
        "title": item.title,
        "decision": decision.decision if decision else None,
        "reason": decision.reason if decision else None,
        "link": clean_link(item.link) if item.link else None,
        "published": item.published.isoformat().replace("+00:00", "Z") if item.published else None,
        "audio_url": item.audio_url,
        "audio_type": item.audio_type,
        "audio_length": item.audio_length,
        "duration_seconds": item.duration_seconds,
        "season": item.season,
        "episode_number": item.episode_number,
        "episode_display": item.episode_display,
        "image_url": item.image_url,
        "transcripts": [
            {"url": t.url, "type": t.type, "language": t.language, "rel": t.rel} for t in item.transcripts
        ],
        "chapters_url": item.chapters_url,
        "text": item.shown_text if item.shown_text is not None else clean_notes(item.text),
    }


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def render_text(source: PreviewFeed, *, with_digests: bool = False) -> str:
    """The human-readable preview of one source: the summary of the decisions, then each shown item with
    its decision and reason (and its offline digest when asked)."""
    feed = source.feed
    title = (feed.title if feed else None) or source.source
    label = f"[{source.label}] " if source.label else ""
    lines = [f"=== {label}{title}", f"    source: {source.source}"]
    if feed and feed.podcast_guid:
        lines.append(f"    podcast:guid: {feed.podcast_guid}")
    if source.stored_feed_id is not None:
        poll = f"the next poll of feed {source.stored_feed_id} in the bot's database"
    elif source.followed:
        poll = "a later poll of a followed feed"
    else:
        poll = "a first read, as when the feed is added"
    lines.append(f"    as {poll}: {source.summary}")
    total = len(feed.items) if feed else len(source.items)
    shown = "" if len(source.items) == total else f"the newest {len(source.items)}, "
    lines.append(f"    showing {shown}oldest first:")
    for item in source.items:
        lines.extend(_item_lines(item, source, with_digests=with_digests))
    return "\n".join(lines)


def _item_lines(item: ParsedItem, source: PreviewFeed, *, with_digests: bool) -> list[str]:
    decision = source.decisions.get(item.key)
    rows: list[tuple[str, str | None]] = [
        ("decision", f"{decision.label}: {decision.reason}" if decision else None),
        ("key", item.key),
        ("published", item.published.strftime("%Y-%m-%d %H:%M UTC") if item.published else "(no date)"),
        ("link", clean_link(item.link) if item.link else None),
        ("episode", episode_label(item.season, item.episode_number, item.episode_display)),
    ]
    if item.audio_url:
        size = f", {human_bytes(item.audio_length)}" if item.audio_length else ""
        rows.append(("audio", f"{item.audio_url} ({item.audio_type or 'unknown type'}{size})"))
    if item.duration_seconds:
        rows.append(("duration", f"{_duration(item.duration_seconds)} ({item.duration_seconds} s)"))
    for transcript in item.transcripts:
        facts = ", ".join(x for x in (transcript.type, transcript.language, transcript.rel) if x)
        rows.append(("transcript", f"{transcript.url} ({facts})" if facts else transcript.url))
    if item.chapters_url:
        rows.append(("chapters", item.chapters_url))
    lines = ["", f"  * {item.title}"]
    lines.extend(f"    {name:<11} {value}" for name, value in rows if value)
    shown = item.shown_text if item.shown_text is not None else clean_notes(item.text)
    text = shown if len(shown) <= TEXT_PREVIEW else shown[: TEXT_PREVIEW - 1].rstrip() + "…"
    lines.append("    text:")
    lines.extend(_wrap(text or "(no text)", "      "))
    if with_digests:
        digest = preview_text(item.title, shown, newsletter=source.label == "newsletter")
        lines.append("    digest (embedded offline summarizer):")
        lines.extend(_wrap(digest, "      "))
    return lines


def _wrap(text: str, indent: str, width: int = 100) -> list[str]:
    """Text wrapped for a terminal, keeping paragraphs and list items; a URL (or any long word) is never
    broken, even when it is longer than the line."""
    lines: list[str] = []
    for line in text.splitlines():
        marker = line[: len(line) - len(line.lstrip())] + ("- " if line.lstrip().startswith("- ") else "")
        lines.extend(
            textwrap.wrap(
                line,
                width=width,
                initial_indent=indent,
                subsequent_indent=indent + " " * len(marker),
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [""]
        )
    return lines


def _print(results: Sequence[PreviewFeed], as_json: bool, *, with_digests: bool = False) -> None:
    """Print the readable sources; a closed pipe (`| head`) ends the output quietly."""
    try:
        _print_all(results, as_json, with_digests=with_digests)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush does not fail again


def _print_all(results: Sequence[PreviewFeed], as_json: bool, *, with_digests: bool) -> None:
    first = True
    for result in results:
        if result.error is not None:
            continue
        if as_json:
            for item in result.items:
                print(json.dumps(item_json(item, result), ensure_ascii=False))
        else:
            if not first:
                print()
            print(render_text(result, with_digests=with_digests))
            first = False


def _report_errors(results: Sequence[PreviewFeed]) -> int:
    failed = 0
    for result in results:
        if result.error is not None:
            failed += 1
            print(f"error: {result.source}: {result.error}", file=sys.stderr)
    return failed


def configured_sources(settings: Settings) -> list[tuple[str, str | None]]:
    return [(url, name) for name, url in settings.feed_urls.items()]


FIRST_READ_HINT = (
    "A first read announces nothing: the bot remembers what a feed holds when it is added. "
    "`python -m bot preview --followed` shows what a later poll would do with these items."
)


async def preview_command(
    settings: Settings,
    sources: Sequence[str],
    *,
    as_json: bool,
    limit: int,
    mode: PreviewMode | None = None,
) -> int:
    """`python -m bot preview`: exit 0 when every source printed, 3 when any failed."""
    wanted = [(source, None) for source in sources] if sources else configured_sources(settings)
    results = await load_sources(settings, wanted, limit=limit, mode=mode)
    _print(results, as_json)
    return EXIT_SOURCE if _report_errors(results) else EXIT_OK


async def offline_run(settings: Settings) -> int:
    """`python -m bot run` without a token: preview the configured feeds, or the sample when none answers."""
    results = await load_sources(
        settings, configured_sources(settings), limit=3, fetch_timeout=OFFLINE_TIMEOUT
    )
    for result in results:
        if result.error is not None:
            print(
                f"the {result.label or ''} feed {result.source} could not be read: {result.error}",
                file=sys.stderr,
            )
    readable = [result for result in results if result.error is None]
    if not readable:
        print(
            f"None of the configured feeds could be reached, so here is the sample feed shipped with the bot "
            f"({SAMPLE_FEED.name}), labelled {SAMPLE_LABEL}:",
            file=sys.stderr,
        )
        readable = await load_sources(settings, [(str(SAMPLE_FEED), SAMPLE_LABEL)], limit=3)
        if _report_errors(readable):
            return EXIT_SOURCE
    _print(readable, as_json=False, with_digests=True)
    if any(result.stored_feed_id is None for result in readable):
        print(f"\n{FIRST_READ_HINT}")
    return EXIT_OK
