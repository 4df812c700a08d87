"""The OpenAI-compatible client (OpenAI, Ollama, vLLM, llama.cpp server), made once from the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:
    from openai import AsyncOpenAI


def create_llm_client(settings: Settings) -> AsyncOpenAI | None:
    """None when no LLM is configured: the embedded offline summarizer then serves."""
    if not settings.llm_configured:
        return None
    from openai import AsyncOpenAI  # imported only when an LLM is configured (~25 MB, ~1 s of start-up)

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    return AsyncOpenAI(
        api_key=key,
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
    )
