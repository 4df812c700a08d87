"""A feed that is not about AI: its episode is announced with a digest, but no open-vs-closed poll."""

from __future__ import annotations

from typing import Any

from bot.announce.followups import DigestAdapter
from bot.announce.models import DeliveryState, DigestState, PollState
from bot.digest.service import DigestService
from bot.store import Store
from tests.announce.conftest import AnnounceRunner, World
from tests.announce.flows import configure, delivery_state, new_episode
from tests.digest.realistic import GARDEN
from tests.harness import eventually


async def test_a_non_ai_episode_gets_no_open_vs_closed_poll_and_moderators_see_why(
    runner: AnnounceRunner, world: World, store: Store
) -> None:
    await runner.start()
    service = DigestService(store.digests)  # the real service, offline backend
    runner.cog.pipeline.digests = DigestAdapter(service)
    await configure(runner, world, world.episodes)

    _, item = await new_episode(
        runner, store, "garden-1", "The seed library that lends tomatoes", text=GARDEN
    )

    await eventually(
        lambda: delivery_state(store, world.guild.id, item.id, DeliveryState.DONE), timeout=10, what="done"
    )
    delivery = await store.announcements.delivery_for(world.guild.id, item.id)
    assert delivery is not None and delivery.thread_id is not None
    assert (delivery.digest_state, delivery.poll_state) == (DigestState.APPLIED, PollState.SKIPPED)
    in_thread = world.double.messages_in(delivery.thread_id)
    assert any(m.embeds for m in in_thread)  # the digest is there
    assert not any(m.poll is not None or m.components for m in in_thread)  # no poll of either kind
    digest = (await service.stored(f"{item.feed_id}/{item.key}")).digest  # type: ignore[union-attr]
    assert digest.poll.answers == [] and "no AI content" in (digest.poll.skip_reason or "")

    why = await (
        await world.double.invoke(world.guild, world.mod, "admin feed why", {"episode": str(item.id)})
    ).wait_response()
    text: Any = why.embeds[0]["description"]
    assert "No episode poll" in text and "no AI content" in text
