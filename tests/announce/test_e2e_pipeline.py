"""After the announcement: digest in the thread, its line on the announcement, the poll; failures isolated."""

from __future__ import annotations

from typing import Any

from bot.announce.followups import DigestAdapter
from bot.announce.models import DeliveryState, DigestState, PollState, digest_nonce
from bot.announce.pipeline import ReadyDigest
from bot.announce.render import build_embed
from bot.digest.render import render_digest_line
from bot.digest.service import DigestService
from bot.errors import NO_MENTIONS
from bot.feeds.models import StoredItem
from bot.store import Store
from tests.announce.conftest import AnnounceRunner, World
from tests.announce.flows import bot_messages, configure, delivery_state, new_episode
from tests.announce.helpers import add_item, podcast
from tests.harness import eventually

NOTES = (
    "Today the open weights camp scored a big win as a new model matched the closed frontier on coding. "
    "Meta and Mistral both shipped releases this week, and developers compared them with GPT models. "
    "The debate over open versus closed AI turned to safety, licensing and who controls the weights. "
    "Regulators in Europe asked whether open models should carry the same obligations as closed ones. "
    "Enterprises said they want both: open models for control and closed ones for convenience."
)


async def test_digest_line_and_poll_follow_the_announcement(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    await runner.start()
    service = DigestService(store.digests)  # the real service, offline backend (no LLM configured)
    runner.cog.pipeline.digests = DigestAdapter(service)
    await configure(runner, world, world.episodes)

    feed, item = await new_episode(runner, store, "ep-10", "Open weights catch up", text=NOTES)

    await eventually(
        lambda: delivery_state(store, world.guild.id, item.id, DeliveryState.DONE), timeout=10, what="done"
    )
    delivery = await store.announcements.delivery_for(world.guild.id, item.id)
    assert delivery is not None and delivery.thread_id is not None
    assert (delivery.digest_state, delivery.poll_state) == (DigestState.APPLIED, PollState.DONE)
    in_thread = bot_messages(world, delivery.thread_id)
    digest_messages = [m for m in in_thread if m.embeds and m.nonce == digest_nonce(delivery.id)]
    assert len(digest_messages) == 1 and digest_messages[0].allowed_mentions == {"parse": []}
    assert len([m for m in in_thread if m.poll is not None]) == 1
    stored = await store.feeds.get_item(item.id)
    assert stored is not None
    line = render_digest_line(await service.ensure_digest(stored))
    announcement = bot_messages(world, world.episodes)[0]
    description = announcement.embeds[0]["description"]
    assert description == build_embed(stored, feed, summary_line=line).description
    assert description != build_embed(stored, feed).description  # no longer the show notes' opening
    assert announcement.history  # edited in place, not re-sent
    assert announcement.content == ""  # the edit never adds a ping


class BrokenDigests:
    def __init__(self) -> None:
        self.calls = 0

    async def digest(self, item: StoredItem) -> ReadyDigest | None:
        self.calls += 1
        raise RuntimeError("the summarizer fell over")


async def test_a_failing_digest_never_blocks_the_announcement(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    await runner.start()
    broken = BrokenDigests()
    runner.cog.pipeline.digests = broken
    runner.cog.pipeline.max_attempts = 2
    await configure(runner, world, world.episodes)

    _, item = await new_episode(runner, store, "ep-11", "Announced anyway", text="Plain notes.")

    await eventually(
        lambda: delivery_state(store, world.guild.id, item.id, DeliveryState.DONE), timeout=10, what="done"
    )
    delivery = await store.announcements.delivery_for(world.guild.id, item.id)
    assert delivery is not None
    # No digest, so no open-vs-closed angle: the episode still gets its poll, with the default question.
    assert (delivery.digest_state, delivery.poll_state) == (DigestState.FAILED, PollState.DONE)
    assert any(message.poll for message in world.double.messages_in(delivery.thread_id))
    assert delivery.thread_id is not None and delivery.message_id is not None
    announcement = bot_messages(world, world.episodes)[0]
    assert announcement.embeds[0]["description"] == "Plain notes."
    assert broken.calls >= 1
    why = await (
        await world.double.invoke(world.guild, world.mod, "admin feed why", {"episode": str(item.id)})
    ).wait_response()
    text: Any = why.embeds[0]["description"]
    assert "Announced" in text and "could not be made" in text


async def test_a_digest_posted_before_a_crash_is_not_posted_again(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    double = world.double
    bot = await runner.start()
    service = DigestService(store.digests)
    runner.cog.pipeline.digests = DigestAdapter(service)
    await configure(runner, world, world.episodes)
    feed = await podcast(store, bot.settings.podcast_feed_url)
    await store.announcements.pause(world.guild.id, feed.id, "held by the test", by="moderator")
    item = await add_item(store, feed, "ep-12", "Digest survives a crash", text=NOTES)
    await runner.cog.outbox.dispatch_pending()
    delivery = await store.announcements.delivery_for(world.guild.id, item.id)
    sub = await store.announcements.get_subscription(world.guild.id, feed.id)
    assert delivery is not None and sub is not None
    # What the dead process did: announced, opened the thread, recorded both, then posted the digest and died.
    channel = bot.get_channel(world.episodes.id)
    posted = await runner.cog.announcer._post(channel, delivery, sub, item, feed)
    await store.announcements.record_sent(delivery.id, posted.message_id, item.revision, thread_id=None)
    thread = await channel.get_partial_message(posted.message_id).create_thread(
        name="Digest survives a crash"
    )
    await store.announcements.record_thread(delivery.id, thread.id)
    await store.announcements.mark_sending(delivery.id)
    ready = await DigestAdapter(service).digest(item)
    assert ready is not None
    await thread.send(embed=ready.embed, allowed_mentions=NO_MENTIONS)
    double.world._nonces.clear()  # long after: no nonce to rely on

    await store.announcements.resume(world.guild.id, feed.id)
    runner.cog._followup_wake.set()
    await eventually(lambda: delivery_state(store, world.guild.id, item.id, DeliveryState.DONE), what="done")

    digests = [m for m in bot_messages(world, thread.id) if m.embeds and m.poll is None]
    assert len(digests) == 1
    done = await store.announcements.delivery_for(world.guild.id, item.id)
    assert done is not None and done.digest_message_id == digests[0].id
    assert done.digest_state is DigestState.APPLIED
