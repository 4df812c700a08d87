"""What the bot learns about an OpenAI-compatible server: the model's context and its structured output.

Real servers differ from OpenAI and from each other:

- The context. vLLM lists `max_model_len` for each model in `/v1/models`; llama.cpp's own server lists
  `meta.n_ctx` (or at least `n_ctx_train`); Ollama says nothing there, but its `/api/show` reports
  `model_info["<arch>.context_length"]` (and `num_ctx` among the parameters when one is set). llama-cpp-
  python's server says nothing at all, so the limit is read from its refusal instead:
  `This model's maximum context length is 2048 tokens. However, you requested 4740 tokens (...)`, which is
  also what OpenAI (`context_length_exceeded`) and vLLM answer. llama.cpp's own server answers
  `exceed_context_size_error` with `n_ctx` in the error body.
- Structured output. OpenAI, vLLM and recent Ollama take `response_format: json_schema`; llama-cpp-python
  answers it with a 500 (`Input should be 'text' or 'json_object'`) and takes `json_object` with the schema
  beside it; some servers take neither, and then the prompt asks for JSON in plain text.

`ServerProfile` holds what was learned for one server and model; the store keeps it across restarts.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import openai
    from openai import AsyncOpenAI

log = logging.getLogger(__name__)

ResponseMode = Literal["json_schema", "json_object", "text"]
#: The structured-output ladder, best first: a server that refuses one is asked with the next.
MODES: tuple[ResponseMode, ...] = ("json_schema", "json_object", "text")
#: The context assumed for a server that has not said (nor refused a request yet).
DEFAULT_CONTEXT_TOKENS = 8000
PROBE_TIMEOUT = 10.0

_MAX_CONTEXT = re.compile(r"maximum context length is (\d[\d,]*) tokens", re.I)
_REQUESTED = re.compile(r"requested (\d[\d,]*) tokens \((\d[\d,]*) in the messages", re.I)
_CONTEXT_WORDS = re.compile(
    r"context[_ ]length[_ ]exceeded|exceeds? the (?:available )?context|context (?:size|window) "
    r"(?:exceeded|is too small)|too many tokens|prompt is too long",
    re.I,
)
_FORMAT_WORDS = re.compile(r"response_format|json_schema|json_object|grammar|structured output", re.I)
_CONTEXT_KEYS = ("max_model_len", "n_ctx", "context_length", "context_window", "max_context_length")


@dataclass(slots=True)
class ServerProfile:
    """One server and model as the bot knows them: context (and where it came from), output mode.

    `context_source` is one of "LLM_CONTEXT_TOKENS", "/v1/models", "/api/show", "context error", or None
    (not known: `DEFAULT_CONTEXT_TOKENS` is assumed). `response_mode` is None until a request with a mode
    was answered: then it is confirmed and kept.
    """

    base_url: str
    model: str
    context_tokens: int | None = None
    context_source: str | None = None
    response_mode: ResponseMode | None = None
    probed: bool = False

    @property
    def context(self) -> int:
        return self.context_tokens or DEFAULT_CONTEXT_TOKENS

    def describe_context(self) -> str:
        if self.context_tokens is None:
            return f"{DEFAULT_CONTEXT_TOKENS:,} tokens (assumed: the server has not said)"
        return f"{self.context_tokens:,} tokens (from {self.context_source})"


def public_url(url: str) -> str:
    """A server URL fit to show a moderator: no user name, password, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}".rstrip("/")


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def context_from_models(payload: Any, model: str) -> int | None:
    """The model's context from a `/v1/models` answer (vLLM `max_model_len`, llama.cpp `meta.n_ctx`)."""
    entries = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        return None
    mine = [e for e in entries if isinstance(e, dict) and e.get("id") == model]
    if not mine and len(entries) == 1 and isinstance(entries[0], dict):
        mine = entries  # a server serving one model answers to any name (llama.cpp)
    for entry in mine:
        for place in (entry, entry.get("meta"), entry.get("metadata")):
            if not isinstance(place, dict):
                continue
            for key in (*_CONTEXT_KEYS, "n_ctx_train"):
                value = place.get(key)
                if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                    return value
    return None


def context_from_ollama(payload: Any) -> int | None:
    """The context from Ollama's `/api/show`: a `num_ctx` parameter, else `<arch>.context_length`."""
    if not isinstance(payload, dict):
        return None
    parameters = payload.get("parameters")
    if isinstance(parameters, str):
        found = re.search(r"^\s*num_ctx\s+(\d+)", parameters, re.M)
        if found:
            return int(found.group(1))
    info = payload.get("model_info")
    if isinstance(info, dict):
        for key, value in info.items():
            if key.endswith(".context_length") and isinstance(value, int) and value > 0:
                return value
    return None


def is_context_error(exc: openai.APIStatusError) -> bool:
    """Whether a refusal says the request did not fit the model's context."""
    if exc.status_code not in (400, 413, 422, 500):
        return False
    text = _error_text(exc)
    return bool(_MAX_CONTEXT.search(text) or _CONTEXT_WORDS.search(text))


def context_from_error(exc: openai.APIStatusError) -> tuple[int | None, int | None]:
    """(the server's context, the prompt tokens it counted) from a context refusal, where it says."""
    text = _error_text(exc)
    limit: int | None = None
    prompt: int | None = None
    found = _MAX_CONTEXT.search(text)
    if found:
        limit = _number(found.group(1))
    requested = _REQUESTED.search(text)
    if requested:
        prompt = _number(requested.group(2))
    body: dict[str, Any] = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    inner: dict[str, Any] = error if isinstance(error, dict) else body
    if limit is None and isinstance(inner.get("n_ctx"), int):  # llama.cpp's own server
        limit = inner["n_ctx"]
    if prompt is None and isinstance(inner.get("n_prompt_tokens"), int):
        prompt = inner["n_prompt_tokens"]
    return limit, prompt


def is_format_refusal(exc: openai.APIStatusError) -> bool:
    """Whether a 4xx/5xx refuses the `response_format` (rather than the request as a whole)."""
    return exc.status_code in (400, 422, 500, 501) and bool(_FORMAT_WORDS.search(_error_text(exc)))


def _error_text(exc: openai.APIStatusError) -> str:
    return f"{exc.message} {exc.body!r}"


def _root(client: AsyncOpenAI) -> str:
    base = str(client.base_url).rstrip("/")
    return base[: -len("/v1")] if base.endswith("/v1") else base


async def probe_context(client: AsyncOpenAI, model: str) -> tuple[int | None, str | None]:
    """Ask the server for the model's context: `/v1/models`, then Ollama's `/api/show`.

    One request each at most, never retried (a server without the endpoint answers 404 at once).
    """
    import openai

    quick = client.with_options(max_retries=0, timeout=PROBE_TIMEOUT)
    try:
        listing = await quick.get("/models", cast_to=object)
    except (openai.OpenAIError, ValueError) as exc:
        log.info("the LLM server's model list is unavailable: %s", type(exc).__name__)
    else:
        found = context_from_models(listing, model)
        if found:
            return found, "/v1/models"
    try:
        shown = await quick.post(f"{_root(client)}/api/show", cast_to=object, body={"model": model})
    except (openai.OpenAIError, ValueError) as exc:
        log.info("the LLM server has no Ollama model info: %s", type(exc).__name__)
        return None, None
    found = context_from_ollama(shown)
    return (found, "/api/show") if found else (None, None)
