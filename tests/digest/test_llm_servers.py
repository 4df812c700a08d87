"""Digests through the OpenAI double behaving like real servers: llama.cpp, vLLM and Ollama."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from openai import AsyncOpenAI

from bot.digest.chunking import estimate_tokens
from bot.digest.llm import SYSTEM_PROMPT
from bot.digest.models import EpisodeInput
from bot.digest.service import DigestService
from bot.digest.source import SourceText
from bot.store import Store
from tests.digest.transcripts import SHORT, hour_transcript
from tests.doubles.openai_double import Fault, OpenAIDouble


def episode(key: str = "ep-1", text: str = SHORT, title: str = "Open weights week") -> EpisodeInput:
    return EpisodeInput(key=key, title=title, show_notes_text=text)


@pytest.fixture
async def llama() -> AsyncIterator[OpenAIDouble]:
    async with OpenAIDouble(flavor="llama.cpp", n_ctx=2048) as server:
        yield server


async def _service(
    store: Store, server: OpenAIDouble, **options: object
) -> tuple[DigestService, AsyncOpenAI]:
    client = server.client(timeout=2, max_retries=2)  # the client's retries are on, as in production
    return DigestService(store.digests, llm=client, model="smollm2", **options), client  # type: ignore[arg-type]


async def test_llama_cpp_context_and_format_are_learned_once_and_survive_a_restart(
    llama: OpenAIDouble, store: Store
) -> None:
    service, client = await _service(store, llama)
    try:
        digest = await service.digest_text("ep", "T", SourceText(hour_transcript(2500), "transcript"))
    finally:
        await client.close()
    assert digest.backend == "llm", digest.fallback_reason
    chat = llama.chat_requests
    # json_schema was refused once (its 500 not retried by the client), then json_object with the schema.
    assert [r["response_format"]["type"] for r in chat].count("json_schema") == 1
    assert chat[1]["response_format"]["type"] == "json_object"
    # The whole text was planned for the assumed 8,000 tokens; the 400 taught 2,048 and the plan was redone.
    refused = [r for r in llama.requests if r["path"].endswith("/chat/completions") and "usage" not in r]
    assert len(refused) == 2  # the json_schema refusal and the one context refusal
    answered = [r for r in llama.requests if "usage" in r]
    assert all(r["usage"]["prompt_tokens"] + r["body"]["max_tokens"] <= 2048 for r in answered)
    assert digest.chunks > 1
    lines = "\n".join(await service.status_lines())
    assert "context 2,048 tokens (from context error)" in lines
    assert "json_object with the schema beside it" in lines
    assert "context 1" in lines and "HTTP 0" in lines

    before = len(llama.requests)
    restarted, client = await _service(store, llama)  # a new process on the same database
    try:
        again = await restarted.digest_text("ep-2", "T", SourceText(hour_transcript(2400), "transcript"))
    finally:
        await client.close()
    assert again.backend == "llm"
    after = llama.requests[before:]
    assert all("usage" in r for r in after)  # no refusal at all: nothing to learn again
    assert all(r["path"].endswith("/chat/completions") for r in after)  # and no probing either


async def test_vllm_reports_its_context_in_the_model_list(store: Store) -> None:
    async with OpenAIDouble(flavor="vllm", n_ctx=3000) as vllm:
        service, client = await _service(store, vllm)
        try:
            digest = await service.digest_text("ep", "T", SourceText(hour_transcript(2000), "transcript"))
        finally:
            await client.close()
    assert digest.backend == "llm"
    assert vllm.requests[0]["path"] == "/v1/models"
    assert all("usage" in r for r in vllm.requests if r["path"].endswith("/chat/completions"))
    assert service.summarizer is not None and service.summarizer.profile.context_tokens == 3000
    assert "(from /v1/models)" in "\n".join(await service.status_lines())


async def test_ollama_reports_its_context_through_api_show(store: Store) -> None:
    async with OpenAIDouble(flavor="ollama", n_ctx=4096) as ollama:
        service, client = await _service(store, ollama)
        try:
            await service.ensure_digest(episode())
        finally:
            await client.close()
    assert [r["path"] for r in ollama.requests[:2]] == ["/v1/models", "/api/show"]
    assert ollama.requests[1]["body"] == {"model": "smollm2"}
    assert service.summarizer is not None and service.summarizer.profile.context_source == "/api/show"
    assert service.summarizer.profile.context_tokens == 4096


async def test_the_override_wins_and_the_server_is_not_asked(store: Store) -> None:
    async with OpenAIDouble(flavor="vllm", n_ctx=3000) as vllm:
        service, client = await _service(store, vllm, context_tokens=2500)
        try:
            await service.ensure_digest(episode())
        finally:
            await client.close()
    assert all(r["path"].endswith("/chat/completions") for r in vllm.requests)
    assert "(from LLM_CONTEXT_TOKENS)" in "\n".join(await service.status_lines())


async def test_a_cut_off_answer_is_asked_again_with_more_room(double: OpenAIDouble, store: Store) -> None:
    double.script(Fault.truncated())
    service, client = await _service(store, double)
    try:
        digest = await service.ensure_digest(episode())
    finally:
        await client.close()
    assert digest.backend == "llm"
    first, second = double.chat_requests
    assert second["max_tokens"] > first["max_tokens"]
    assert "cut off 1" in "\n".join(await service.status_lines())


async def test_an_answer_always_cut_off_falls_back_saying_where_and_at_how_many_tokens(
    double: OpenAIDouble, store: Store
) -> None:
    double.always(Fault.truncated())
    service, client = await _service(store, double, context_tokens=2048)
    try:
        digest = await service.digest_text("ep", "T", SourceText(hour_transcript(1500), "transcript"))
    finally:
        await client.close()
    assert digest.backend == "offline"
    reason = digest.fallback_reason or ""
    assert reason.startswith("part 1 of ") and "output cut off at " in reason and " tokens" in reason
    lines = "\n".join(await service.status_lines())
    assert "LLM success rate, last 7 days: 0 of 1 digests (0%)" in lines


async def test_a_failing_part_is_retried_then_split(double: OpenAIDouble, store: Store) -> None:
    service, client = await _service(store, double, context_tokens=2048)
    text = hour_transcript(1500)
    assert service.summarizer is not None
    parts = len(service.summarizer.plan(text).chunks)
    assert parts >= 2
    # Part 1 passes; part 2 is garbage twice (the request and its retry), then each half passes.
    double.script(Fault.generated(), Fault.malformed_json(), Fault.malformed_json())
    try:
        digest = await service.digest_text("ep", "T", SourceText(text, "transcript"))
    finally:
        await client.close()
    assert digest.backend == "llm", digest.fallback_reason
    users = [r["messages"][1]["content"] for r in double.chat_requests]
    assert sum(f"This is part 2 of {parts}.\n" in u for u in users) == 2
    assert any(f"part 2 of {parts}, first half" in u for u in users)
    assert any(f"part 2 of {parts}, second half" in u for u in users)


@pytest.mark.parametrize(
    "fault",
    [
        Fault.control_characters(),
        Fault.answer("```json\n{ANSWER}\n```\nI hope this digest helps!"),
        Fault.answer("Here is the digest: {ANSWER} Let me know if you need more."),
    ],
    ids=["raw-control-characters", "code-fence", "surrounding-prose"],
)
async def test_answers_real_servers_wrap_or_escape_badly_are_read(
    double: OpenAIDouble, store: Store, fault: Fault
) -> None:
    if fault.content:  # wrap a valid answer for this source
        valid = json.dumps(_valid_answer())
        fault = Fault.answer(fault.content.replace("{ANSWER}", valid))
    double.script(fault)
    service, client = await _service(store, double)
    try:
        digest = await service.ensure_digest(episode())
    finally:
        await client.close()
    assert digest.backend == "llm", digest.fallback_reason
    assert len(double.chat_requests) == 1


def _valid_answer(**changes: object) -> dict[str, object]:
    answer: dict[str, object] = {
        "tldr": "Meta released Llama 4 with open weights and developers downloaded it within hours.",
        "key_points": [
            "Meta released Llama 4 with open weights on Monday.",
            "Sam Altman said OpenAI would answer with GPT-5 soon.",
            "DeepSeek R1 matched the frontier labs on reasoning benchmarks.",
        ],
        "topics": ["Open weights"],
        "entities": {"companies": ["Meta", "OpenAI"], "models": ["Llama 4"], "people": ["Sam Altman"]},
        "quote": "Open weights are the only way to know what runs on your own machine,",
        "angle": "The episode leans open, since open weights caught up this week.",
        "poll": {
            "question": "Will open source beat closed models this year?",
            "answers": ["Yes, open wins", "No, closed stays ahead"],
            "open_answers": [0],
            "closed_answers": [1],
        },
    }
    answer.update(changes)
    return answer


async def test_wrong_fields_are_repaired_from_the_offline_analysis_and_recorded(
    double: OpenAIDouble, store: Store
) -> None:
    bad = _valid_answer(
        tldr="Open weights week",  # the title
        quote="{",
        angle="2018-03-19T06:45:59Z",
        entities={"companies": ["Meta", "Acme Robotics"], "models": [], "people": []},
        key_points=[
            "Meta released Llama 4 with open weights on Monday.",
            "Meta released Llama 4 with open weights on Monday!",
            "Sam Altman said OpenAI would answer with GPT-5 soon.",
        ],
    )
    double.script(Fault.answer(json.dumps(bad)))
    service, client = await _service(store, double)
    try:
        digest = await service.ensure_digest(episode())
    finally:
        await client.close()
    assert digest.backend == "llm"
    assert digest.tldr != "Open weights week" and digest.tldr in SHORT.replace("\n", " ")
    assert digest.quote is None or digest.quote in SHORT
    assert digest.angle != bad["angle"] and len(digest.angle.split()) >= 4
    assert digest.entities.companies == ["Meta"]  # the invented company is gone
    assert len(digest.key_points) == 3 and len({p.rstrip("!.") for p in digest.key_points}) == 3
    assert digest.field_sources["tldr"] == "offline"
    assert digest.field_sources["quote"] == "offline"
    assert digest.field_sources["angle"] == "offline"
    assert digest.field_sources["key_points"] == "llm+offline"
    assert digest.field_sources["entities"] == "llm"
    assert digest.field_sources["poll"] == "llm"


async def test_the_prompt_says_to_leave_advertising_out(double: OpenAIDouble, store: Store) -> None:
    service, client = await _service(store, double)
    try:
        await service.ensure_digest(episode())
    finally:
        await client.close()
    system = double.chat_requests[0]["messages"][0]["content"]
    assert system == SYSTEM_PROMPT and "Leave advertising out" in system


async def test_status_with_no_attempt_yet(double: OpenAIDouble, store: Store) -> None:
    service, client = await _service(store, double)
    try:
        lines = "\n".join(await service.status_lines())
    finally:
        await client.close()
    assert "no LLM digest attempted" in lines
    assert "not negotiated yet" in lines
    assert "8,000 tokens (assumed: the server has not said)" in lines
    assert estimate_tokens(lines) < 500


async def test_a_model_repeating_one_key_point_is_topped_up_not_thrown_away(
    double: OpenAIDouble, store: Store
) -> None:
    point = "Meta released Llama 4 with open weights on Monday."
    double.script(Fault.answer(json.dumps(_valid_answer(key_points=[point, point, point]))))
    service, client = await _service(store, double)
    try:
        digest = await service.ensure_digest(episode())
    finally:
        await client.close()
    assert digest.backend == "llm" and len(double.chat_requests) == 1
    assert digest.key_points[0] == point and len(digest.key_points) == 3
    assert len(set(digest.key_points)) == 3
    assert digest.field_sources["key_points"] == "llm+offline"


async def test_a_server_taking_no_response_format_gets_the_shape_in_the_prompt(
    double: OpenAIDouble, store: Store
) -> None:
    double.script(
        Fault.json_schema_unsupported(),
        Fault.bad_request("response_format type 'json_object' is not supported by this server"),
        Fault.answer("Here you go:\n" + json.dumps(_valid_answer())),
        Fault.answer(json.dumps(_valid_answer())),
    )
    service, client = await _service(store, double)
    try:
        digest = await service.ensure_digest(episode())
        await service.ensure_digest(episode("ep-2"))
    finally:
        await client.close()
    assert digest.backend == "llm"
    first, second, third, fourth = double.chat_requests
    assert first["response_format"]["type"] == "json_schema"
    assert second["response_format"]["type"] == "json_object"
    assert (
        "response_format" not in third
        and "one JSON object and nothing else" in third["messages"][0]["content"]
    )
    assert "response_format" not in fourth  # negotiated once, remembered for the next digest
    assert "plain JSON in text" in "\n".join(await service.status_lines())
