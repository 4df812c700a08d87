from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from openai import AsyncOpenAI

from bot.digest.service import DigestService
from bot.store import Store
from tests.doubles.openai_double import OpenAIDouble


@pytest.fixture
async def double() -> AsyncIterator[OpenAIDouble]:
    async with OpenAIDouble() as server:
        yield server


@pytest.fixture
async def llm_client(double: OpenAIDouble) -> AsyncIterator[AsyncOpenAI]:
    client = double.client(timeout=0.5, max_retries=0)
    yield client
    await client.close()


@pytest.fixture
def make_service(store: Store, llm_client: AsyncOpenAI) -> Callable[..., DigestService]:
    def build(**overrides: Any) -> DigestService:
        options: dict[str, Any] = {"llm": llm_client, "model": "double-model", "context_tokens": 8000}
        options.update(overrides)
        return DigestService(store.digests, **options)

    return build
