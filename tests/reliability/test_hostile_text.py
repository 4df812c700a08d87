"""Hostile text in feed items, all the way to Discord: nothing pings, nothing breaks a message.

Titles and notes carry @everyone, @here, role and user mentions, masked links, markdown, 1 MB titles and
control characters. The real bot (every extension) reads them through its own feed worker, announces them
in two guilds, opens threads, posts digests and polls. Every message the bot sent is checked as Discord
would deliver it: who it pinged, and whether Discord accepted it (`assert_no_errors`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.announce.models import ChannelKind, DeliveryState
from tests.doubles.discord import DiscordDouble, P
from tests.doubles.feed_server import FeedServer
from tests.feeds.builders import Item, rss
from tests.reliability.harness import LiveBot, eventually, figure

MASKED = re.compile(r"\[([^\]]*)\]\((https?://[^)\s]+)\)")


def hostile_items(role_id: int, user_id: int) -> list[Item]:
    notes = [
        f"@everyone @here <@&{role_id}> <@{user_id}> <@!{user_id}> listen now",
        "[https://safe.example/episode](https://evil.example/steal) and [click here](https://evil.example)",
        "**bold** __under__ ~~strike~~ ||spoiler|| `code` ```block``` # Heading\n> quote\n- list",
        "<script>alert(1)</script><img src=x onerror=alert(1)> &lt;@everyone&gt;",
        "\u202eevil\u202c \x07bell \u200b@\u200beveryone",
    ]
    titles = [
        f"@everyone New episode <@&{role_id}>",
        "[Breaking](https://evil.example) news",
        "T" * 1_000_000,
        f"<@{user_id}> is the guest @here",
        "||spoiler|| `code` **bold** \u202ertl",
    ]
    return [
        Item(guid=f"hostile-{n}", title=title, description=note, link=f"https://example.com/{n}")
        for n, (title, note) in enumerate(zip(titles, notes, strict=True))
    ]


async def announce_hostile_items(tmp_path: Path) -> tuple[list[Any], list[Any], int, int]:
    """Run the scenario; returns (every message the bot sent, the announcement channels, items, guilds)."""
    async with DiscordDouble() as double, FeedServer() as server:
        with double.apply_to_discord_py():
            guilds, channels, roles, members = [], [], [], []
            for label in ("A", "B"):
                guild = double.add_guild(f"Guild {label}", bot_permissions=P.BOT_DEFAULT | P.MENTION_EVERYONE)
                guilds.append(guild)
                channels.append(double.add_text_channel(guild, "episodes"))
                roles.append(double.add_role(guild, "listeners", mentionable=True))
                members.append(double.add_member(guild, "ada"))
            server.set_feed("/podcast.xml", rss([Item(guid="old", title="Old episode")], title="Podcast"))
            live = LiveBot(
                double,
                tmp_path / "bot.sqlite3",
                podcast_feed_url=server.url("/podcast.xml"),
                feed_allow_private_hosts=True,
            )
            bot = await live.start()
            store = live.store
            assert store is not None
            try:
                worker: Any = bot.get_cog("FeedWorker").worker  # type: ignore[union-attr]
                feed = await store.feeds.get_feed_by_name("podcast")
                assert feed is not None
                for guild, channel in zip(guilds, channels, strict=True):
                    await store.announcements.subscribe(guild.id, feed.id, channel.id, ChannelKind.TEXT)
                await worker.poll_feed(feed.id)  # the first read: remembered, not announced
                items = hostile_items(roles[0].id, members[0].id)
                server.set_feed("/podcast.xml", rss([*items, Item(guid="old", title="Old episode")]))
                result = await worker.poll_feed(feed.id)
                assert len(result.new_items) == len(items), result

                async def all_done() -> bool:
                    for guild in guilds:
                        for item in result.new_items:
                            delivery = await store.announcements.delivery_for(guild.id, item.id)
                            if delivery is None or delivery.state is not DeliveryState.DONE:
                                return False
                    return True

                await eventually(all_done, timeout=60, what="every hostile item announced in both guilds")
            finally:
                await live.stop()
            double.assert_no_errors()  # Discord accepted every message, embed, thread name and poll

    sent = [m for m in double.world.messages.values() if m.author.id == double.world.bot.id]
    return sent, channels, len(items), len(guilds)


def deceptive_links(sent: list[Any]) -> list[tuple[str, str]]:
    """Masked links whose visible text names another host than the one they lead to."""
    found = []
    for message in sent:
        for text, target in MASKED.findall(message.content + message.text()):
            shown = re.sub(r"^https?://", "", text).split("/")[0]
            if "." in shown and shown != re.sub(r"^https?://", "", target).split("/")[0]:
                found.append((text, target))
    return found


async def test_hostile_titles_and_notes_never_ping_or_break_a_message(tmp_path: Path) -> None:
    sent, channels, items, guilds = await announce_hostile_items(tmp_path)
    pinged = [m for m in sent if m.mention_everyone or m.mention_role_ids or m.mention_user_ids]
    unguarded = [m for m in sent if m.allowed_mentions is None]
    announcements = [m for m in sent if m.channel_id in {c.id for c in channels}]
    assert len(announcements) == items * guilds
    assert pinged == [] and unguarded == []
    deceptive = deceptive_links(sent)
    assert deceptive == [], deceptive  # no link shows one host and leads to another
    longest_title = max(len(m.embeds[0].get("title", "")) for m in announcements if m.embeds)
    assert longest_title <= 256
    figure(
        "hostile text",
        f"items with mentions/masked links/markdown/1 MB titles: {items} x {guilds} guilds; "
        f"messages sent (announcements, digests, polls): {len(sent)}; pings: 0; messages without "
        f"allowed_mentions: 0; deceptive masked links: 0; refused by Discord: 0; "
        f"longest title {longest_title}",
    )
