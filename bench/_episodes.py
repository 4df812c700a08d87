"""A store full of episodes, written the way the bot writes them (`FeedRepo.save_poll`, one transaction),
and the RSS body of the feed those episodes came from, so a bot started on that store finds them known.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from bot.feeds.identity import content_hash, guid_key, normalize_link, normalize_title
from bot.feeds.models import ParsedItem
from bot.store import Store
from bot.store.feeds import NewItem

FIRST_EPISODE = datetime(2023, 1, 2, 10, 0, tzinfo=UTC)
#: Words of AI news, for synthetic titles and notes (shared by the search benchmark).
TOPICS = [
    "open",
    "weights",
    "closed",
    "models",
    "agents",
    "reasoning",
    "inference",
    "chips",
    "regulation",
    "europe",
    "benchmark",
    "safety",
    "alignment",
    "startup",
    "funding",
    "enterprise",
    "adoption",
    "copilots",
    "multimodal",
    "video",
    "voice",
    "robotics",
    "compute",
    "datacenter",
    "policy",
    "anthropic",
    "openai",
    "google",
    "meta",
    "llama",
    "mistral",
    "deepseek",
    "nvidia",
    "coding",
    "agentic",
]


def episode(n: int, rng: random.Random, notes: list[str]) -> ParsedItem:
    """Episode number `n` (1 = the oldest), with ~1,200 characters of show notes, as the parser makes it."""
    title = f"Episode {n}: " + " ".join(rng.sample(TOPICS, 4)).capitalize()
    text = f"{rng.choice(notes)} Episode {n}."
    guid = f"3f9c2a1e-bench-{n:06d}"
    link = f"https://podcasters.example/ai-daily-brief/episodes/episode-{n}-e{n:06d}"
    return ParsedItem(
        key=guid_key(guid),
        title=title,
        guid=guid,
        link=link,
        published=FIRST_EPISODE + timedelta(hours=8 * n),
        audio_url=f"https://media.example/{n:06d}.mp3",
        audio_type="audio/mpeg",
        audio_length=25_000_000,
        duration_seconds=1500 + n % 900,
        episode_number=n,
        text=text,
        content_hash=content_hash(title, text),
        norm_link=normalize_link(link),
        norm_title=normalize_title(title),
    )


def episodes(count: int, seed: int = 10) -> list[ParsedItem]:
    rng = random.Random(seed)
    notes = [" ".join(rng.choices(TOPICS, k=160)).capitalize() + "." for _ in range(200)]
    return [episode(n, rng, notes) for n in range(1, count + 1)]


def rss(items: list[ParsedItem], newest: int) -> bytes:
    """An RSS body listing the `newest` items, newest first, the way a podcast host serves them."""
    entries = []
    for item in sorted(items, key=lambda i: i.episode_number or 0, reverse=True)[:newest]:
        assert item.published is not None and item.guid is not None
        entries.append(
            f"<item><title>{escape(item.title)}</title>"
            f'<guid isPermaLink="false">{escape(item.guid)}</guid>'
            f"<link>{escape(item.link or '')}</link>"
            f"<pubDate>{format_datetime(item.published, usegmt=True)}</pubDate>"
            f"<description>{escape(item.text)}</description>"
            f'<enclosure url="{escape(item.audio_url or "")}" type="audio/mpeg" length="25000000"/>'
            f"</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        "<title>The AI Daily Brief</title><link>https://podcasters.example/ai-daily-brief</link>"
        f"{''.join(entries)}</channel></rss>"
    ).encode()


async def seed_store(path: Path, podcast_url: str, newsletter_url: str, items: list[ParsedItem]) -> int:
    """A migrated store at `path` whose built-in podcast feed holds `items`; returns the stored count.

    The items are stored as seen on a first fetch (status 'skipped', reason 'first_run'), in the one
    transaction `save_poll` uses, so nothing is announced when the bot starts on this store.
    """
    store = await Store.open(path)
    try:
        await store.feeds.ensure_builtin("newsletter", newsletter_url, "newsletter")
        podcast = await store.feeds.ensure_builtin("podcast", podcast_url, "podcast")
        new = [NewItem(item, "skipped", "first_run") for item in items]
        now = datetime.now(UTC)
        await store.feeds.save_poll(
            podcast.id,
            now=now,
            feed_fields={"first_fetch_done": True, "title": "The AI Daily Brief", "last_success_at": now},
            new=new,
        )
        return int(await store.db.fetchval("SELECT count(*) FROM items WHERE feed_id = ?", (podcast.id,)))
    finally:
        await store.close()
