"""Metrics other capabilities feed: LLM tokens, latency and errors, digests, thread-tracker events."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.digest.models import EpisodeInput
from bot.digest.service import DigestService
from bot.metrics import METRICS
from bot.store import Store
from bot.threads.tracker import ThreadTracker
from bot.timeutil import utcnow
from tests.digest.transcripts import SHORT
from tests.doubles.openai_double import Fault, OpenAIDouble


def _value(metric: object, **labels: str) -> float:
    target = metric.labels(**labels) if labels else metric  # type: ignore[attr-defined]
    return float(target._value.get())


def _count(histogram: object) -> float:
    return sum(s.value for m in histogram.collect() for s in m.samples if s.name.endswith("_count"))  # type: ignore[attr-defined]


@pytest.fixture
async def llm() -> AsyncIterator[OpenAIDouble]:
    async with OpenAIDouble() as double:
        yield double


async def test_llm_tokens_latency_errors_and_digests_are_counted(llm: OpenAIDouble, store: Store) -> None:
    client = llm.client(timeout=0.5, max_retries=0)
    try:
        service = DigestService(store.digests, llm=client, model="double-model", context_tokens=8000)
        prompt = _value(METRICS.llm_tokens, direction="prompt")
        completion = _value(METRICS.llm_tokens, direction="completion")
        requests, made = _count(METRICS.llm_request_seconds), _value(METRICS.digests, backend="llm")

        digest = await service.ensure_digest(
            EpisodeInput(key="ep-1", title="Open weights", show_notes_text=SHORT)
        )
        assert digest.backend == "llm"
        assert _value(METRICS.llm_tokens, direction="prompt") == prompt + digest.tokens_in
        assert _value(METRICS.llm_tokens, direction="completion") == completion + digest.tokens_out
        assert _count(METRICS.llm_request_seconds) == requests + 1
        assert _value(METRICS.digests, backend="llm") == made + 1

        errors, offline = _value(METRICS.llm_errors), _value(METRICS.digests, backend="offline")
        sent = len(llm.chat_requests)
        llm.always(Fault.server_error())  # every retry and every split part fails
        fallback = await service.ensure_digest(
            EpisodeInput(key="ep-2", title="Closed", show_notes_text=SHORT)
        )
        llm.always(None)
        assert fallback.backend == "offline"
        failed = len(llm.chat_requests) - sent
        assert failed >= 1 and _value(METRICS.llm_errors) == errors + failed
        assert _value(METRICS.digests, backend="offline") == offline + 1
    finally:
        await client.close()


async def test_thread_tracker_events_and_flushes_are_counted(store: Store) -> None:
    tracker = ThreadTracker(store.threads)
    await tracker.track_thread(10, 1, 2, name="Episode thread", created_at=utcnow())
    messages, flushes = (
        _value(METRICS.thread_events, event="message"),
        _value(METRICS.thread_events, event="flush"),
    )
    for author in (100, 101, 100):
        assert tracker.record_message(10, author, utcnow())
    assert not tracker.record_message(99, 100, utcnow())  # not tracked: not an event
    await tracker.flush()
    assert _value(METRICS.thread_events, event="message") == messages + 3
    assert _value(METRICS.thread_events, event="flush") == flushes + 1
