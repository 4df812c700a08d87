"""The OpenAI-compatible client (OpenAI, Ollama, vLLM, llama.cpp server), made once from the settings."""

from __future__ import annotations

from openai import AsyncOpenAI

from bot.settings import Settings


def create_llm_client(settings: Settings) -> AsyncOpenAI | None:
    """None when no LLM is configured: the embedded offline summarizer then serves."""
    if not settings.llm_configured:
        return None
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    return AsyncOpenAI(
        api_key=key,
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
    )
