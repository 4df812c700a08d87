"""What is read from real servers' answers and errors, the poll indices, and balanced chunks."""

from __future__ import annotations

import httpx2 as httpx
import openai
import pytest

from bot.digest.chunking import estimate_tokens, plan_chunks, split_in_two
from bot.digest.schema import DigestOut, clean_output, parse_output
from bot.digest.server import (
    context_from_error,
    context_from_models,
    context_from_ollama,
    is_context_error,
    is_format_refusal,
    public_url,
)
from tests.digest.transcripts import hour_transcript
from tests.doubles.openai_double import Fault, context_error


def _status_error(status: int, message: str, **extra: object) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    body = {"error": {"message": message, "code": extra.pop("code", None), **extra}}
    response = httpx.Response(status, request=request, json=body)
    return openai.APIStatusError(message, response=response, body=body["error"])


def test_llama_cpp_and_vllm_context_refusals_teach_the_limit_and_the_prompt_size() -> None:
    exc = _status_error(400, context_error(2048, 3840, 900))
    assert is_context_error(exc)
    assert context_from_error(exc) == (2048, 3840)
    assert not is_format_refusal(exc)


def test_openai_and_llama_server_context_refusals() -> None:
    openai_style = _status_error(
        400,
        "This model's maximum context length is 128,000 tokens. However, your messages resulted in "
        "130,512 tokens. Please reduce the length of the messages.",
        code="context_length_exceeded",
    )
    assert is_context_error(openai_style) and context_from_error(openai_style) == (128_000, None)
    llama_server = _status_error(
        400,
        "the request exceeds the available context size, try increasing it",
        n_ctx=4096,
        n_prompt_tokens=5000,
    )
    assert is_context_error(llama_server) and context_from_error(llama_server) == (4096, 5000)
    assert not is_context_error(_status_error(400, "Invalid value for 'messages'"))


def test_a_json_schema_refusal_is_a_format_refusal() -> None:
    fault = Fault.json_schema_unsupported()
    exc = _status_error(fault.status, fault.content or "")
    assert is_format_refusal(exc) and not is_context_error(exc)
    assert not is_format_refusal(_status_error(500, "The server had an error while processing your request."))


def test_context_from_model_metadata() -> None:
    vllm = {"data": [{"id": "other", "max_model_len": 1}, {"id": "qwen", "max_model_len": 32768}]}
    assert context_from_models(vllm, "qwen") == 32768
    llama_server = {"data": [{"id": "model.gguf", "meta": {"n_ctx_train": 8192, "n_ctx": 4096}}]}
    assert context_from_models(llama_server, "anything") == 4096  # one model: it answers to any name
    assert context_from_models({"data": [{"id": "m", "owned_by": "me"}]}, "m") is None
    assert context_from_models("not json", "m") is None
    show = {"model_info": {"general.architecture": "qwen2", "qwen2.context_length": 32768}}
    assert context_from_ollama(show) == 32768
    assert context_from_ollama({**show, "parameters": "stop <|im_end|>\nnum_ctx 8192"}) == 8192


def test_a_server_url_is_shown_without_credentials() -> None:
    assert public_url("https://user:secret@llm.example:8443/v1?key=abc") == "https://llm.example:8443/v1"


def test_poll_indices_follow_the_answers_that_survive_cleaning() -> None:
    out = parse_output(
        '{"tldr": "t", "key_points": ["a", "b", "c"], "topics": [], '
        '"entities": {"companies": [], "models": [], "people": []}, "quote": null, "angle": "x", '
        '"poll": {"question": "Open or closed?", "answers": ["", "Open weights win", "Closed stays ahead", '
        '"open weights win"], "open_answers": [1], "closed_answers": [2, 3]}}'
    )
    assert isinstance(out, DigestOut)
    *_, poll = clean_output(out)
    assert poll.answers == ["Open weights win", "Closed stays ahead"]
    assert poll.answers[poll.open_answers[0]] == "Open weights win"
    assert poll.open_answers == [0] and poll.closed_answers == [1]  # the repeat of 0 is not closed


def test_parser_reads_raw_control_characters_fences_and_trailing_prose() -> None:
    body = (
        '{"tldr": "line one\nline two", "key_points": ["a\tb", "c", "d"], "topics": [], '
        '"entities": {"companies": [], "models": [], "people": []}, "quote": null, "angle": "x", '
        '"poll": {"question": "q", "answers": ["y", "n"], "open_answers": [0], "closed_answers": [1]}}'
    )
    for wrapped in (body, f"```json\n{body}\n```", f"Sure! {body}\nHope it helps {{not json}}"):
        assert parse_output(wrapped).tldr == "line one\nline two"


@pytest.mark.parametrize(("words", "budget"), [(2000, 699), (10_000, 1000), (6000, 883), (1500, 883)])
def test_chunks_are_balanced_with_no_short_remainder(words: int, budget: int) -> None:
    plan = plan_chunks(hour_transcript(words), budget)
    sizes = [estimate_tokens(chunk) for chunk in plan.chunks]
    assert max(sizes) <= budget
    assert min(sizes) > 0.85 * max(sizes), sizes


def test_a_part_splits_into_two_halves_of_about_equal_size() -> None:
    text = hour_transcript(600)
    halves = split_in_two(text)
    assert halves is not None
    first, second = halves
    assert f"{first} {second}".split() == text.split()
    assert 0.7 < estimate_tokens(first) / estimate_tokens(second) < 1.4
    assert split_in_two("Too short to split.") is None
