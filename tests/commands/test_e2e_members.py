"""Member commands end to end through the Discord double: /latest, /episode, /search, /help."""

from __future__ import annotations

from bot.client import CommunityBot
from bot.feeds.html import html_to_markdown
from bot.store import Store
from tests.commands.conftest import World
from tests.commands.seed import digest, episode, follow, podcast
from tests.feeds.footers import ANCHOR


async def test_search_pages_with_buttons_only_for_the_searcher(
    bot: CommunityBot, world: World, store: Store
) -> None:
    feed = await podcast(store)
    await follow(store, world.guild.id, feed)
    for n in range(7):
        await episode(store, feed, f"e{n}", f"Agents episode {n}", days_ago=n, text="Notes on agents.")

    record = await world.run(world.member, "search", query="agents")
    assert record.ephemeral and record.allowed_mentions == {"parse": []}
    embed = record.embeds[0]
    assert embed["title"] == "Search: agents" and embed["footer"]["text"] == "Page 1 of 2"
    assert len(embed["fields"]) == 5 and "**Agents**" in embed["fields"][0]["name"]
    message = record.final
    assert message is not None
    next_id = next(cid for cid in message.custom_ids() if cid.startswith("search:") and ":1:" in cid)

    stranger = await world.double.click(message, next_id, world.mod)
    await stranger.wait_final()
    assert stranger.ephemeral and "belong to whoever searched" in stranger.content

    click = await world.double.click(message, next_id, world.member)
    await click.wait_final()
    assert click.response_type == 7  # the results message itself was updated
    page2 = world.double.message(message)
    assert page2.embeds[0]["footer"]["text"] == "Page 2 of 2" and len(page2.embeds[0]["fields"]) == 2


async def test_latest_and_episode_show_digest_links_and_thread(
    bot: CommunityBot, world: World, store: Store
) -> None:
    feed = await podcast(store)
    await follow(store, world.guild.id, feed, world.episodes.id)
    older = await episode(store, feed, "old", "Open weights, explained", days_ago=3, duration_seconds=3840)
    newest = await episode(store, feed, "new", "Agents at work", days_ago=0)
    await digest(store, older, "Open weights are catching up with @everyone's favourite closed models.")
    await store.threads.track(
        thread_id=987654321,
        guild_id=world.guild.id,
        parent_id=world.episodes.id,
        name="Open weights, explained",
        created_at=older.first_seen_at,
        source="episode",
        item_id=older.id,
    )

    latest = await world.run(world.member, "latest")
    assert latest.ephemeral and latest.embeds[0]["title"] == "Agents at work"
    assert latest.embeds[0]["description"] == "Show notes of Agents at work."  # no digest yet: the notes

    choices = await world.double.autocomplete(
        world.guild, world.member, "episode", {"query": "weig"}, focused="query"
    )
    assert [c["value"] for c in choices] == [str(older.id)]
    assert choices[0]["name"].startswith("Open weights, explained · ")
    shown = await world.run(world.member, "episode", query=choices[0]["value"])
    embed = shown.embeds[0]
    assert embed["title"] == "Open weights, explained" and embed["url"] == older.link
    assert "@\u200beveryone" in embed["description"]  # feed/LLM text never pings
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Length"] == "1 h 04 min" and fields["Discussion"] == "<#987654321>"
    assert f"[Listen]({older.link})" in fields["Links"] and "Key points" in fields
    assert shown.allowed_mentions == {"parse": []}

    shared = await world.run(world.member, "episode", query="agents", share=True)
    assert not shared.ephemeral and shared.embeds[0]["title"] == newest.title

    missing = await world.run(world.member, "episode", query="quantum knitting")
    assert missing.ephemeral and "No episode or issue followed here" in missing.content and not missing.embeds
    feeds = await world.double.autocomplete(
        world.guild, world.member, "latest", {"feed": "brief"}, focused="feed"
    )
    assert feeds == [{"name": "The AI Daily Brief", "value": str(feed.id)}]
    wrong = await world.run(world.member, "latest", feed="nonsense")
    assert wrong.ephemeral and "follows no feed called 'nonsense'" in wrong.content


async def test_help_lists_what_each_person_may_use(bot: CommunityBot, world: World) -> None:
    member_help = await world.run(world.member, "help")
    text = str(member_help.embeds)
    assert member_help.ephemeral and "/search <query>" in text and "/latest [feed] [share]" in text
    assert "/admin" not in text and "Moderators" not in text
    assert "/subscribe" in text and "/about" in text and "/poll results" in text
    assert "/poll create" not in text  # a moderator-only subcommand of a member group

    mod_help = await world.run(world.mod, "help")
    text = str(mod_help.embeds)
    assert "/admin setup" in text and "/admin status" in text and "/admin audit" in text
    assert "/admin feed add <url>" in text and "/poll create" in text

    detail = await world.run(world.member, "help", command="search")
    fields = {f["name"]: f["value"] for f in detail.embeds[0]["fields"]}
    assert detail.embeds[0]["title"] == "/search" and fields["Example"].startswith("`/search")
    hidden = await world.run(world.member, "help", command="admin status")
    assert hidden.ephemeral and "no command `/admin status` you can use here" in hidden.content
    names = await world.double.autocomplete(
        world.guild, world.member, "help", {"command": "adm"}, focused="command"
    )
    assert names == []


async def test_about_and_friendly_refusals(bot: CommunityBot, world: World, store: Store) -> None:
    about = await world.run(world.member, "about")
    fields = {f["name"]: f["value"] for f in about.embeds[0]["fields"]}
    assert fields["Version"] == bot.version and "<t:" in fields["Up since"]
    assert "No feeds followed here yet." in fields["Feeds followed here"]
    assert "Source" in about.embeds[0]["footer"]["text"]

    nothing = await world.run(world.member, "search", query="agents")
    assert nothing.ephemeral and "doesn't follow any feed yet" in nothing.content
    symbols = await world.run(world.member, "search", query="*** ---")
    assert symbols.ephemeral and "Type at least one word" in symbols.content
    assert "Traceback" not in symbols.content and symbols.allowed_mentions == {"parse": []}


async def test_episode_card_shows_clean_notes_untracked_link_and_the_episode_number(
    bot: CommunityBot, world: World, store: Store
) -> None:
    feed = await podcast(store)
    await follow(store, world.guild.id, feed, world.episodes.id)
    notes = html_to_markdown(ANCHOR)  # stored as the feed gave it, footer and sponsor list included
    await episode(
        store,
        feed,
        "anchor",
        "Open weights close the gap",
        text=notes,
        link="https://example.com/ep/7?utm_source=rss&fbclid=IwAR0",
        season=2,
        episode_number=3,
        episode_display="Ch. 3",
    )

    shown = await world.run(world.member, "episode", query="Open weights close the gap")
    embed = shown.embeds[0]
    assert embed["description"].startswith("Open-weights labs closed most of the gap")
    for leaked in ("KPMG", "sponsored by", "anchor.fm", "utm_"):
        assert leaked not in embed["description"]
    assert embed["url"] == "https://example.com/ep/7"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Episode"] == "Season 2 · Ch. 3"
    assert "(https://example.com/ep/7)" in fields["Links"]
