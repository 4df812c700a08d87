"""An item that is not about AI gets no open-vs-closed poll, whichever backend wrote its digest."""

from __future__ import annotations

from collections.abc import Callable

from bot.digest.models import EpisodeInput
from bot.digest.service import DigestService
from tests.digest.realistic import GARDEN, INTERVIEW
from tests.doubles.openai_double import OpenAIDouble


async def test_the_llm_digest_of_a_non_ai_item_withholds_its_poll_and_keeps_the_reason(
    double: OpenAIDouble, make_service: Callable[..., DigestService]
) -> None:
    service = make_service()
    digest = await service.ensure_digest(EpisodeInput(key="garden", title="Seeds", show_notes_text=GARDEN))
    assert digest.backend == "llm"
    assert digest.poll.answers == [] and "no AI content" in (digest.poll.skip_reason or "")
    assert "not about AI" in digest.angle
    stored = await service.stored("garden")
    assert stored is not None and stored.digest.poll.skip_reason == digest.poll.skip_reason
    again = await service.ensure_digest(EpisodeInput(key="garden", title="Seeds", show_notes_text=GARDEN))
    assert again.poll.skip_reason == digest.poll.skip_reason and len(double.chat_requests) == 1  # cached


async def test_the_llm_digest_of_an_ai_item_keeps_the_models_poll(
    double: OpenAIDouble, make_service: Callable[..., DigestService]
) -> None:
    service = make_service()
    digest = await service.ensure_digest(
        EpisodeInput(key="robots", title="Robots", show_notes_text=INTERVIEW)
    )
    assert digest.backend == "llm" and digest.poll.skip_reason is None and digest.poll.answers
