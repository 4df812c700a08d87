from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.digest.models import Digest, Entities, PollSuggestion
from bot.digest.offline import summarize_offline
from bot.digest.render import format_digest_text, render_digest_embed, render_digest_line
from bot.store import Store
from bot.store.digests import CacheKey
from bot.timeutil import utcnow
from tests.digest.transcripts import SHORT
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401  (store on both engines)


@dataclass
class Item:
    title: str
    link: str | None


def huge_digest() -> Digest:
    long = "word " * 2000
    return Digest(
        tldr=long,
        key_points=[long] * 7,
        topics=[long] * 8,
        entities=Entities([long] * 10, [long] * 10, [long] * 10),
        quote=long,
        angle=long,
        poll=PollSuggestion("q?", ["a", "b"], [0], [1]),
        backend="llm",
        model="m" * 3000,
        source="transcript",
        chunks=3,
        fallback_reason=None,
    )


def test_embed_stays_within_discord_limits() -> None:
    embed = render_digest_embed(huge_digest(), Item("T" * 500, "https://example.com/ep"))
    assert len(embed) <= 6000
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert all(len(f.value or "") <= 1024 and len(f.name or "") <= 256 for f in embed.fields)
    assert len(embed.footer.text or "") <= 2048
    assert render_digest_line(huge_digest()).endswith("…")
    assert len(render_digest_line(huge_digest())) <= 300


def test_embed_shows_the_digest_and_defangs_mentions() -> None:
    digest = summarize_offline(SHORT + " @everyone look <@12345>.", "Ep")
    embed = render_digest_embed(digest, Item("Open weights week", "javascript:alert(1)"))
    assert embed.url is None  # only http(s) links
    assert embed.title == "Digest: Open weights week"
    text = str(embed.to_dict())
    assert "@everyone" not in text and "<@12345>" not in text
    assert digest.key_points[0] in (embed.description or "")
    names = [f.name for f in embed.fields]
    assert names == ["Quote", "Who and what", "Topics", "Open vs closed"]
    assert "Extractive" in (embed.footer.text or "")


def test_text_format_lists_everything() -> None:
    digest = summarize_offline(SHORT, "Ep")
    text = format_digest_text(digest, "Open weights week")
    assert text.startswith("Open weights week\n")
    assert f"TL;DR: {digest.tldr}" in text
    assert all(point in text for point in digest.key_points)
    assert digest.poll.question in text


async def test_repo_cache_recent_and_usage(store: Store) -> None:
    digest = summarize_offline(SHORT, "Ep")
    key = CacheKey("ep-1", "hash", "offline", "x", "1")
    first = await store.digests.save(key, "Open weights week", digest)
    assert (await store.digests.get_cached(key)).digest == digest  # type: ignore[union-attr]
    assert await store.digests.get_cached(CacheKey("ep-1", "other", "offline", "x", "1")) is None
    await store.digests.save(key, "Open weights week", digest)  # regenerate replaces the row in place
    assert (await store.digests.latest("ep-1")).id == first  # type: ignore[union-attr]
    await store.digests.save(CacheKey("ep-2", "h", "offline", "x", "1"), "Closed models 100%", digest)
    assert [r.episode_key for r in await store.digests.recent()] == ["ep-2", "ep-1"]
    assert [r.episode_key for r in await store.digests.recent("100%")] == ["ep-2"]
    assert [r.episode_key for r in await store.digests.recent("weights")] == ["ep-1"]
    today = utcnow().date()
    await store.digests.add_usage(100, 20)
    await store.digests.add_usage(50, 5)
    await store.digests.add_usage(1000, 1000, day=today - timedelta(days=3))
    await store.digests.add_fallback()
    usage = await store.digests.usage_today()
    assert (usage.tokens_in, usage.tokens_out, usage.requests, usage.fallbacks, usage.total) == (
        150,
        25,
        2,
        1,
        175,
    )
    week = await store.digests.usage_since(today - timedelta(days=6))
    assert week.total == 2175
