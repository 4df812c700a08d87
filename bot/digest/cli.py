"""`python -m bot digest SOURCE [--json] [--backend auto|llm|offline]`.

SOURCE is a local transcript or notes file (text, HTML, WebVTT, SubRip, Podcasting 2.0 JSON) or the key of
an episode in the store. Local files digested offline need no database; anything that may call the LLM
goes through the store so the digest is cached and its tokens count against the daily budget.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from bot.digest.models import Digest, EpisodeInput
from bot.digest.offline import summarize_offline
from bot.digest.render import format_digest_text
from bot.digest.service import BackendChoice, DigestError, DigestService
from bot.digest.source import SourceText, decode, to_clean_text
from bot.settings import Settings

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_SOURCE = 3
MAX_FILE_BYTES = 20 * 1024 * 1024

_DECLARED = {
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
    ".txt": "text/plain",
}


def read_source_file(path: Path) -> SourceText:
    """A local file reduced to clean text; raises `OSError`/`ValueError` with a readable message."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    text = to_clean_text(decode(path.read_bytes()), _DECLARED.get(path.suffix.lower()))
    if not text.strip():
        raise ValueError(f"{path} contains no text to summarize")
    return SourceText(text, "file", str(path))


def _print(digest: Digest, title: str, key: str, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"episode": key, "title": title, **digest.to_dict()}, ensure_ascii=False))
    else:
        print(format_digest_text(digest, title))


async def digest_command(settings: Settings, source: str, *, as_json: bool, backend: str) -> int:
    """Print the digest of `source`; returns the process exit status."""
    if backend == "llm" and not settings.llm_configured:
        print("error: --backend llm needs OPENAI_BASE_URL and/or OPENAI_API_KEY", file=sys.stderr)
        return EXIT_USAGE
    path = Path(source)
    if path.is_file():  # noqa: ASYNC240 (one stat of a path the operator typed)
        try:
            text = read_source_file(path)
        except (OSError, ValueError) as exc:
            print(f"error: cannot read {source}: {exc}", file=sys.stderr)
            return EXIT_SOURCE
        if backend == "offline" or not settings.llm_configured:
            _print(summarize_offline(text.text, path.stem, source="file"), path.stem, source, as_json=as_json)
            return EXIT_OK
        return await _with_store(
            settings, source, as_json=as_json, backend=backend, text=text, title=path.stem
        )
    if path.suffix.lower() in _DECLARED or "/" in source:
        print(f"error: no such file: {source}", file=sys.stderr)
        return EXIT_SOURCE
    return await _with_store(settings, source, as_json=as_json, backend=backend, text=None, title=source)


async def _with_store(
    settings: Settings, key: str, *, as_json: bool, backend: str, text: SourceText | None, title: str
) -> int:
    from bot.http import create_fetcher, create_http_session
    from bot.llm import create_llm_client
    from bot.store import Store

    store = await Store.open(settings.database, pool_size=settings.database_pool_size)
    llm = create_llm_client(settings) if backend != "offline" else None
    try:
        async with create_http_session(settings) as session:
            service = DigestService.from_settings(
                settings, store.digests, llm, create_fetcher(session, settings)
            )
            choice: BackendChoice = (
                "offline" if backend == "offline" else ("llm" if backend == "llm" else "auto")
            )
            try:
                if text is not None:
                    digest = await service.digest_text(f"file:{key}", title, text, backend=choice)
                else:
                    items = [item for item in await store.feeds.find_items(key, limit=25) if item.key == key]
                    if not items:
                        print(
                            f"error: {key!r} is neither a file nor the key of an episode in the store "
                            f"({settings.database_path})",
                            file=sys.stderr,
                        )
                        return EXIT_SOURCE
                    item = items[0]
                    feed = await store.feeds.get_feed(item.feed_id)
                    episode = EpisodeInput.from_item(item, kind=feed.kind if feed else None)
                    title = episode.title
                    digest = await service.ensure_digest(episode, backend=choice)
            except DigestError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return EXIT_USAGE
    finally:
        if llm is not None:
            await llm.close()
        await store.close()
    if digest.fallback_reason:
        print(f"note: the LLM was not used ({digest.fallback_reason}); offline digest shown", file=sys.stderr)
    _print(digest, title, key, as_json=as_json)
    return EXIT_OK
