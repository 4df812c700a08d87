"""Member commands end to end through the Discord double: /latest, /episode, /search, /help."""

from __future__ import annotations

from bot.client import CommunityBot
from bot.store import Store
from tests.commands.conftest import World
from tests.commands.seed import episode, follow, podcast


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
