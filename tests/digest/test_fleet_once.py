"""A digest is made once per episode across the fleet: two services on two stores (two processes sharing a
database), on both engines."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from openai import AsyncOpenAI

from bot.digest.models import EpisodeInput
from bot.digest.service import DigestPending, DigestService
from bot.fleet.once import FleetLeases
from bot.metrics import METRICS
from bot.store import Store
from bot.timeutil import utcnow
from tests.digest.transcripts import SHORT
from tests.doubles.openai_double import OpenAIDouble
from tests.fleet.two_processes import second_store
from tests.postgres import postgres_server, store_on_both_engines  # noqa: F401

LEASE = timedelta(seconds=30)


def episode() -> EpisodeInput:
    return EpisodeInput(key="ep-fleet", title="Open weights week", show_notes_text=SHORT)


def service_of(store: Store, holder: str, llm: AsyncOpenAI | None) -> DigestService:
    """The digest service as the container builds it for the process `holder`."""
    leases = FleetLeases(store.leases, holder, LEASE)
    return DigestService(
        store.digests,
        llm=llm,
        model="double-model",
        context_tokens=8000,
        claim=lambda key: leases.gate(f"digest:{key}"),
    )


def made(backend: str) -> float:
    return METRICS.digests.labels(backend=backend)._value.get()


@pytest.mark.parametrize("with_llm", [True, False], ids=["llm", "offline"])
async def test_two_processes_asking_at_once_make_one_digest_and_both_get_it(
    store: Store, tmp_path: Path, double: OpenAIDouble, llm_client: AsyncOpenAI, with_llm: bool
) -> None:
    other = await second_store(store, tmp_path)
    backend = "llm" if with_llm else "offline"
    before = made(backend)
    try:
        llm = llm_client if with_llm else None
        a, b = service_of(store, "proc-a", llm), service_of(other, "proc-b", llm)
        for _ in range(3):  # asked again and again (the pipeline retries; other guilds ask)
            first, second = await asyncio.gather(
                a.ensure_digest(episode(), wait=10), b.ensure_digest(episode(), wait=10)
            )
            assert first.to_dict() == second.to_dict()
            assert first.backend == backend
        assert made(backend) - before == 1
        assert len(double.chat_requests) == (1 if with_llm else 0)
    finally:
        await other.close()


async def test_while_another_process_makes_it_the_digest_is_pending_until_stored(
    store: Store, tmp_path: Path, double: OpenAIDouble, llm_client: AsyncOpenAI
) -> None:
    other = await second_store(store, tmp_path)
    try:
        maker, waiter = service_of(store, "proc-a", llm_client), service_of(other, "proc-b", llm_client)
        gate = maker.claim("ep-fleet")  # type: ignore[misc]
        release = asyncio.Event()
        results: list[str] = []

        async def hold_then_make() -> None:
            async def make() -> None:
                await release.wait()  # the LLM is slow
                results.append((await maker.ensure_digest(episode())).backend)

            await gate.run(make, release=True)

        holding = asyncio.create_task(hold_then_make())
        await asyncio.sleep(0.2)
        with pytest.raises(DigestPending):  # what the pipeline turns into "ask again later"
            await waiter.ensure_digest(episode())
        assert double.chat_requests == []
        release.set()
        await holding
        ready = await waiter.ensure_digest(episode())
        assert ready.backend == "llm" and results == ["llm"]
        assert len(double.chat_requests) == 1
    finally:
        await other.close()


async def test_a_process_that_died_making_it_loses_it_after_the_lease(
    store: Store, tmp_path: Path, double: OpenAIDouble, llm_client: AsyncOpenAI
) -> None:
    # A process took the claim and died: nothing renews it, and it runs out in about a second.
    started = utcnow() - LEASE + timedelta(seconds=1)
    assert await store.leases.acquire("digest:ep-fleet", "dead", now=started, duration=LEASE) is not None
    other = await second_store(store, tmp_path)
    try:
        survivor = service_of(other, "proc-b", llm_client)
        with pytest.raises(DigestPending):
            await survivor.ensure_digest(episode())
        digest = await survivor.ensure_digest(episode(), wait=5)
        assert digest.backend == "llm"
        assert len(double.chat_requests) == 1
    finally:
        await other.close()


async def test_a_maker_stalled_past_its_lease_stops_and_leaves_the_digest_to_the_new_holder(
    store: Store, tmp_path: Path, double: OpenAIDouble, llm_client: AsyncOpenAI
) -> None:
    short = FleetLeases(store.leases, "proc-a", timedelta(milliseconds=450))
    stalling = DigestService(
        store.digests,
        llm=llm_client,
        model="double-model",
        context_tokens=8000,
        claim=lambda key: short.gate(f"digest:{key}"),
    )
    stalled = asyncio.Event()

    async def stall(done: int, total: int) -> None:  # after the LLM answered, before the digest is stored
        stalled.set()
        await asyncio.sleep(30)

    making = asyncio.create_task(stalling.ensure_digest(episode(), progress=stall))
    await stalled.wait()
    # Its lease ran out (as if it froze) and another process took the claim over.
    await store.leases.release("digest:ep-fleet", "proc-a")
    other = await second_store(store, tmp_path)
    try:
        assert await other.leases.acquire("digest:ep-fleet", "proc-b", now=utcnow(), duration=LEASE)
        with pytest.raises(DigestPending):  # stopped at its next renewal, not left running beside proc-b
            await asyncio.wait_for(making, timeout=5)
        assert await store.digests.latest("ep-fleet") is None  # nothing stored by the stopped maker
    finally:
        await other.close()
