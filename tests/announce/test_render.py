"""The announcement as members see it: content, links, artwork, limits, and who can be pinged."""

from __future__ import annotations

from datetime import UTC, datetime

import discord

from bot.announce.render import build_view, render_announcement, teaser, thread_name
from bot.store import Store
from tests.announce.helpers import TRANSCRIPTS, add_item, podcast

PUBLISHED = datetime(2026, 11, 28, 14, 30, tzinfo=UTC)


async def test_embed_carries_episode_facts(store: Store) -> None:
    feed = await podcast(store)
    item = await add_item(
        store, feed, "ep-1", "OpenAI ships a new model", published=PUBLISHED, duration_seconds=3725,
        season=2, episode_number=417, image_url="https://cdn.example.com/art.jpg", transcripts=TRANSCRIPTS,
        text="Today we look at the open weights debate.\n\nSecond paragraph that is not in the teaser.",
    )  # fmt: skip

    rendered = render_announcement(item, feed, newsletter_url="https://news.example.com/issue-1")
    embed = rendered.embed

    assert embed.title == "OpenAI ships a new model"
    assert embed.url == "https://example.com/episodes/ep-1"
    assert embed.description == "Today we look at the open weights debate."
    fields = {field.name: field.value for field in embed.fields}
    stamp = int(PUBLISHED.timestamp())
    assert fields["Published"] == f"<t:{stamp}:F> (<t:{stamp}:R>)"
    assert fields["Duration"] == "1:02:05"
    assert fields["Episode"] == "Season 2 · Episode 417"
    assert embed.thumbnail.url == "https://cdn.example.com/art.jpg"
    assert embed.footer.text == "Podcast · The AI Daily Brief"
    assert [(link.label, link.url) for link in rendered.links] == [
        ("Listen", "https://example.com/episodes/ep-1"),
        ("Transcript", "https://example.com/t.html"),  # the readable transcript beats the captions
        ("Newsletter", "https://news.example.com/issue-1"),
    ]


async def test_digest_line_replaces_the_show_notes(store: Store) -> None:
    feed = await podcast(store)
    item = await add_item(store, feed, "ep-1", "Title", text="Show notes opening.")
    rendered = render_announcement(item, feed, summary_line="The week open models caught up.")
    assert rendered.embed.description == "The week open models caught up."


async def test_everything_stays_within_discord_limits(store: Store) -> None:
    feed = await podcast(store)
    long_title = "Agents " * 200
    item = await add_item(
        store, feed, "ep-long", long_title, text="word " * 5000, link="https://e.com/" + "x" * 600
    )

    rendered = render_announcement(item, feed, ping_role_id=5)
    embed = rendered.embed

    assert embed.title is not None and len(embed.title) <= 256 and embed.title.endswith("…")
    assert not embed.title[:-1].endswith(" ")  # cut on a word
    assert embed.description is not None and len(embed.description) <= 350 and embed.description.endswith("…")
    assert len(embed) <= 6000
    assert len(thread_name(item)) <= 100 and thread_name(item).endswith("…")
    # A link too long for a button is not offered as one (the send would fail), but the title still links.
    assert all(len(link.url) <= 512 for link in rendered.links)


async def test_feed_text_pings_nobody(store: Store) -> None:
    feed = await podcast(store)
    item = await add_item(
        store, feed, "ep-x", "@everyone look <@123> and <@&456>", text="Hey @here, ping <@!789>"
    )

    plain = render_announcement(item, feed)
    assert plain.content is None
    mentions = plain.allowed_mentions.to_dict()
    assert mentions["parse"] == [] and not mentions.get("roles") and not mentions.get("users")
    assert "@everyone" not in (plain.embed.title or "")
    assert "<@123>" not in (plain.embed.title or "") and "<@&456>" not in (plain.embed.title or "")
    assert "@here" not in (plain.embed.description or "")

    with_role = render_announcement(item, feed, ping_role_id=42)
    assert with_role.content == "<@&42>"
    assert with_role.allowed_mentions.to_dict() == {"parse": [], "roles": [42]}


async def test_edits_and_backfills_do_not_ping(store: Store) -> None:
    feed = await podcast(store)
    item = await add_item(store, feed, "ep-1", "Title")
    quiet = render_announcement(item, feed, ping_role_id=42, ping=False)
    assert quiet.content is None
    assert quiet.allowed_mentions.to_dict()["parse"] == []
    assert quiet.notify_custom_id == f"announce:role:{feed.id}"  # the opt-in button stays


async def test_view_has_link_buttons_and_the_opt_in_toggle(store: Store) -> None:
    feed = await podcast(store)
    item = await add_item(
        store, feed, "ep-1", "Title", link="javascript:alert(1)", audio_url="https://a.com/1.mp3"
    )

    view = build_view(render_announcement(item, feed, ping_role_id=42))

    assert view is not None
    buttons = [child for child in view.children if isinstance(child, discord.ui.Button)]
    assert [(b.label, b.url, b.custom_id) for b in buttons] == [
        ("Listen", "https://a.com/1.mp3", None),  # the non-http link is never offered
        ("Notify me", None, f"announce:role:{feed.id}"),
    ]
    assert view.is_finished()  # a layout only: clicks go to the persistent handler


def test_teaser_folds_whitespace_and_cuts_on_a_word() -> None:
    assert teaser("  One   two\nthree\n\nnext paragraph") == "One two three"
    assert teaser("alpha beta gamma delta", limit=12) == "alpha beta…"
    assert teaser("") == ""
