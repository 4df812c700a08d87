"""Build RSS documents for tests and benchmarks, including the Spotify for Creators (Anchor) format.

`spotify_feed(n)` writes a realistic podcast feed in the shape Spotify for Creators publishes (CDATA
titles and descriptions, UUID GUIDs, play-id enclosure URLs, `HH:MM:SS` durations, episode slugs with an
id suffix). Everything is generated here, deterministically from a seed; no real episode is copied.
Regenerate the committed fixture with `python -m tests.feeds.builders`.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
SPOTIFY_FIXTURE = FIXTURES / "spotify_1500.xml"
NAMESPACES = (
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
    'xmlns:podcast="https://podcastindex.org/namespace/1.0"'
)


def rfc822(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC), usegmt=True)


@dataclass
class Item:
    """One test item; None fields are left out of the XML."""

    guid: str | None = None
    title: str | None = "An episode"
    link: str | None = None
    published: datetime | str | None = None
    description: str | None = None
    content: str | None = None
    audio_url: str | None = None
    audio_type: str = "audio/mpeg"
    audio_length: int | None = 1000
    duration: str | None = None
    season: int | None = None
    episode: int | None = None
    image: str | None = None
    chapters: str | None = None
    transcripts: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)
    extra: str = ""  # raw XML inside the item (e.g. `<podcast:episode>`), written as is

    def xml(self) -> str:
        parts = ["<item>"]
        if self.title is not None:
            parts.append(f"<title>{escape(self.title)}</title>")
        if self.guid is not None:
            parts.append(f'<guid isPermaLink="false">{escape(self.guid)}</guid>')
        if self.link is not None:
            parts.append(f"<link>{escape(self.link)}</link>")
        if self.published is not None:
            when = self.published if isinstance(self.published, str) else rfc822(self.published)
            parts.append(f"<pubDate>{escape(when)}</pubDate>")
        if self.description is not None:
            parts.append(f"<description><![CDATA[{self.description}]]></description>")
        if self.content is not None:
            parts.append(f"<content:encoded><![CDATA[{self.content}]]></content:encoded>")
        if self.audio_url is not None:
            length = f" length={quoteattr(str(self.audio_length))}" if self.audio_length is not None else ""
            parts.append(
                f"<enclosure url={quoteattr(self.audio_url)} type={quoteattr(self.audio_type)}{length}/>"
            )
        if self.duration is not None:
            parts.append(f"<itunes:duration>{escape(self.duration)}</itunes:duration>")
        if self.season is not None:
            parts.append(f"<itunes:season>{self.season}</itunes:season>")
        if self.episode is not None:
            parts.append(f"<itunes:episode>{self.episode}</itunes:episode>")
        if self.image is not None:
            parts.append(f"<itunes:image href={quoteattr(self.image)}/>")
        if self.chapters is not None:
            parts.append(
                f'<podcast:chapters url={quoteattr(self.chapters)} type="application/json+chapters"/>'
            )
        for url, kind, language, rel in self.transcripts:
            attrs = f"url={quoteattr(url)} type={quoteattr(kind)}"
            attrs += f" language={quoteattr(language)}" if language else ""
            attrs += f" rel={quoteattr(rel)}" if rel else ""
            parts.append(f"<podcast:transcript {attrs}/>")
        parts.append(self.extra)
        parts.append("</item>")
        return "".join(parts)


def rss(
    items: list[Item],
    *,
    title: str = "Test feed",
    build_date: datetime | str | None = None,
    channel_extra: str = "",
) -> bytes:
    """An RSS 2.0 document with the podcast namespaces declared."""
    built = (
        build_date if isinstance(build_date, str) else rfc822(build_date or datetime(2025, 1, 1, tzinfo=UTC))
    )
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" {NAMESPACES}><channel>'
        f"<title>{escape(title)}</title><link>https://example.com/</link>"
        f"<description>A test feed</description><lastBuildDate>{built}</lastBuildDate>{channel_extra}\n"
    )
    return (head + "\n".join(item.xml() for item in items) + "\n</channel></rss>\n").encode()


# --- Spotify for Creators ---------------------------------------------------------------------------------

_TOPICS = [
    "open weights", "frontier labs", "agents", "chips", "regulation", "coding assistants", "robotics",
    "video models", "enterprise adoption", "AI safety", "reasoning models", "data centers", "startups",
    "benchmarks", "education", "healthcare AI", "search", "voice assistants", "copyright", "funding rounds",
]  # fmt: skip
_VERBS = ["rethinks", "bets on", "questions", "doubles down on", "explains", "pushes back on", "maps out"]
SHOW_ID = "aidb-sample"
PLAY_BASE = "https://anchor.fm/s/0000sample/podcast/play"
CLOUD = "https%3A%2F%2Fd3sample.cloudfront.net%2Fstaging"


def spotify_episode(index: int, rng: random.Random, published: datetime) -> str:
    """One episode in the Spotify for Creators item shape."""
    topic, other = rng.sample(_TOPICS, 2)
    title = f"Episode {index}: Who {rng.choice(_VERBS)} {topic}? Plus {other}"
    slug = "-".join(title.replace(":", "").replace("?", "").split()[:8])
    episode_id = f"e{index:03x}{rng.randrange(16**4):04x}"
    guid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    play_id = 80_000_000 + index * 37
    upload = f"{rng.randrange(10**8)}-44100-2-{guid[:12]}.mp3"
    audio = f"{PLAY_BASE}/{play_id}/{CLOUD}%2F{published:%Y-%m-%d}%2F{upload}"
    seconds = rng.randrange(600, 3600)
    duration = f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    notes = (
        f"<p>Today's brief looks at {topic} and {other}. NLW walks through what happened, why it matters "
        f"and what listeners argued about in the community this week.</p><p>Brought to you by our sponsors. "
        f'Learn more at <a href="https://example.com/sponsor/{index}">example.com</a>.</p>'
        f"<p>Join the conversation on Discord.</p>"
    )
    return (
        f"<item><title><![CDATA[{title}]]></title><description><![CDATA[{notes}]]></description>"
        f"<link>https://creators.spotify.com/pod/show/{SHOW_ID}/episodes/{slug}-{episode_id}</link>"
        f'<guid isPermaLink="false">{guid}</guid><dc:creator><![CDATA[NLW]]></dc:creator>'
        f"<pubDate>{rfc822(published)}</pubDate>"
        f'<enclosure url="{audio}" length="{seconds * 16000}" type="audio/mpeg"/>'
        "<itunes:explicit>false</itunes:explicit>"
        f"<itunes:duration>{duration}</itunes:duration><itunes:episodeType>full</itunes:episodeType></item>"
    )


def spotify_channel_head(build_date: datetime) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss {NAMESPACES} version="2.0"><channel>'
        "<title><![CDATA[The AI Daily Brief (sample fixture)]]></title>"
        "<description><![CDATA[<p>A daily news analysis show on all things artificial intelligence. "
        "This feed is a generated test fixture.</p>]]></description>"
        f"<link>https://creators.spotify.com/pod/show/{SHOW_ID}</link>"
        f"<image><url>https://d3sample.cloudfront.net/production/podcast_uploaded/{SHOW_ID}.jpg</url>"
        f"<title>The AI Daily Brief (sample fixture)</title><link>https://creators.spotify.com/pod/show/{SHOW_ID}</link>"
        "</image><generator>Anchor Podcasts</generator>"
        f"<lastBuildDate>{rfc822(build_date)}</lastBuildDate>"
        '<atom:link href="https://anchor.fm/s/0000sample/podcast/rss" rel="self" type="application/rss+xml"/>'
        "<author><![CDATA[NLW]]></author><copyright><![CDATA[NLW]]></copyright>"
        '<language><![CDATA[en]]></language><atom:link rel="hub" href="https://pubsubhubbub.appspot.com/"/>'
        "<itunes:author>NLW</itunes:author><itunes:summary>A daily AI news show (fixture).</itunes:summary>"
        "<itunes:type>episodic</itunes:type><itunes:owner><itunes:name>NLW</itunes:name>"
        "<itunes:email>owner@example.com</itunes:email></itunes:owner><itunes:explicit>false</itunes:explicit>"
        '<itunes:category text="Technology"/>'
        f'<itunes:image href="https://d3sample.cloudfront.net/production/podcast_uploaded/{SHOW_ID}.jpg"/>'
    )


def spotify_feed(
    count: int = 1500,
    *,
    seed: int = 4,
    newest: datetime = datetime(2025, 3, 1, 11, 0, tzinfo=UTC),
    build_date: datetime | None = None,
    extra_top: int = 0,
) -> bytes:
    """`count` episodes, newest first, one a day; `extra_top` more episodes published after `newest`."""
    rng = random.Random(seed)
    episodes = [spotify_episode(i + 1, rng, newest - timedelta(days=count - 1 - i)) for i in range(count)]
    extra_rng = random.Random(seed + 1000)
    extra = [
        spotify_episode(count + j + 1, extra_rng, newest + timedelta(days=j + 1)) for j in range(extra_top)
    ]
    items = list(reversed(episodes + extra))
    head = spotify_channel_head(build_date or newest)
    return (head + "\n".join(items) + "\n</channel></rss>\n").encode()


if __name__ == "__main__":
    FIXTURES.mkdir(parents=True, exist_ok=True)
    SPOTIFY_FIXTURE.write_bytes(spotify_feed())
    print(f"wrote {SPOTIFY_FIXTURE} ({SPOTIFY_FIXTURE.stat().st_size} bytes)")
