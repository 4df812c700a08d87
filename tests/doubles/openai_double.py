"""An OpenAI-compatible server on 127.0.0.1 for tests: `/v1/chat/completions` and `/v1/models`.

The real `openai` client talks to it through `base_url` (or `OPENAI_BASE_URL`). By default a chat request
is answered with JSON that conforms to the request's `response_format` JSON schema, derived from the
request text by a deterministic mini-summarizer (strings are sentences of the source, cut to any
"at most N characters" in the field's description or its `maxLength`; arrays get `minItems`..3 items).
Every request is recorded (path, JSON body) and `usage` is returned, counted as ceil(chars / 4) of the
messages plus the schema, so tests can assert what was sent and what it cost.

It can behave like a real server (`flavor`):

- "openai" (default): takes every response format, never cuts an answer.
- "llama.cpp" (llama-cpp-python's server): answers `json_schema` with its HTTP 500 text, takes
  `json_object` with a schema, honours `max_tokens` by cutting the answer (`finish_reason: "length"`,
  unterminated JSON), and writes raw newlines inside JSON strings as its grammar allows.
- "vllm": lists `max_model_len` in `/v1/models`.
- "ollama": answers `/api/show` with `model_info["llama.context_length"]`.

With `n_ctx` set, a request whose prompt plus `max_tokens` exceeds it is refused with llama.cpp's (and
vLLM's) 400: "This model's maximum context length is N tokens. However, you requested ...".

Faults and canned answers are scripted per test, consumed one per chat request in order:

    double.script(Fault.rate_limit(retry_after=0.01), Fault.server_error(), Fault.hang(),
                  Fault.bad_request("Unsupported parameter: 'max_tokens'"), Fault.not_found(),
                  Fault.json_schema_unsupported(),
                  Fault.malformed_json(), Fault.schema_violation(), Fault.answer('{"tldr": ...}'))

Usage:

    async with OpenAIDouble() as double:
        client = double.client(timeout=0.5)
        ...
        assert double.chat_requests[0]["response_format"]["type"] == "json_schema"
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from openai import AsyncOpenAI

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_AT_MOST = re.compile(r"at most (\d+) characters")
_FENCE = re.compile(r"<source>\n?(.*?)\n?</source>", re.S)


@dataclass(frozen=True)
class Fault:
    """One scripted answer: an HTTP error, a hang, a broken body, or fixed message content."""

    kind: str
    status: int = 200
    retry_after: float | None = None
    content: str | None = None

    @classmethod
    def rate_limit(cls, retry_after: float = 0.01) -> Fault:
        """429 with `retry-after`/`retry-after-ms` headers (the client honours the latter precisely)."""
        return cls("rate_limit", 429, retry_after)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls("server_error", status)

    @classmethod
    def bad_request(cls, message: str) -> Fault:
        """400 with this error message (e.g. an unsupported parameter)."""
        return cls("bad_request", 400, content=message)

    @classmethod
    def not_found(cls, message: str = "The model does not exist") -> Fault:
        return cls("bad_request", 404, content=message)

    @classmethod
    def json_schema_unsupported(cls) -> Fault:
        """What llama-cpp-python's server answers to a `json_schema` response format: a 500."""
        return cls(
            "bad_request",
            500,
            content="1 validation error: ('body', 'response_format', 'type') Input should be 'text' or "
            "'json_object', input: 'json_schema'",
        )

    @classmethod
    def generated(cls) -> Fault:
        """The usual generated answer (a placeholder in a script)."""
        return cls("generated")

    @classmethod
    def truncated(cls) -> Fault:
        """A generated answer cut half-way: `finish_reason: "length"` and unterminated JSON."""
        return cls("truncated")

    @classmethod
    def control_characters(cls) -> Fault:
        """A generated answer whose strings hold raw newlines and tabs (valid only with strict=False)."""
        return cls("control")

    @classmethod
    def context_exceeded(cls, n_ctx: int = 2048) -> Fault:
        """llama.cpp's 400 for a request over the context, whatever the request's size."""
        return cls("context", 400, content=str(n_ctx))

    @classmethod
    def hang(cls) -> Fault:
        """Never answer (until the double closes): the client's timeout must fire."""
        return cls("hang")

    @classmethod
    def malformed_json(cls) -> Fault:
        """A 200 whose message content is not JSON."""
        return cls("content", content='{"tldr": "cut off mid-answer", "key_points": [')

    @classmethod
    def schema_violation(cls) -> Fault:
        """A 200 whose content is JSON but not of the requested schema."""
        return cls("content", content=json.dumps({"tldr": 42, "key_points": "not a list", "poll": None}))

    @classmethod
    def broken_body(cls) -> Fault:
        """A 200 whose HTTP body itself is not JSON."""
        return cls("broken_body")

    @classmethod
    def answer(cls, content: str) -> Fault:
        """A 200 with exactly this message content."""
        return cls("content", content=content)

    def as_response(self) -> web.Response:
        return _error(self.status, self.content or "bad request", "invalid_request_error")


def count_tokens(text: str) -> int:
    """The double's token count: ceil(chars / 4), the usual English average."""
    return math.ceil(len(text) / 4) if text else 0


def _source_sentences(text: str) -> list[str]:
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    try:
        data = json.loads(body)
    except ValueError:
        pieces = [s.strip() for s in _SENTENCE.split(" ".join(body.split()))]
    else:
        pieces = []
        _strings_in(data, pieces)
    return [p for p in pieces if len(p.split()) >= 3] or [p for p in pieces if p] or ["Nothing to summarize."]


def _strings_in(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _strings_in(item, out)
    elif isinstance(value, list):
        for item in value:
            _strings_in(item, out)


class _Generator:
    """Builds an instance of a JSON schema from sentences of the request, deterministically."""

    def __init__(self, sentences: list[str]) -> None:
        self.sentences = sentences
        self.cursor = 0
        self.integer_arrays = 0

    def next_sentence(self) -> str:
        sentence = self.sentences[self.cursor % len(self.sentences)]
        self.cursor += 1
        return sentence

    def build(self, schema: dict[str, Any]) -> Any:
        if "enum" in schema:
            return schema["enum"][0]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self.build(schema[key][0])
        kind = schema.get("type", "object")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object":
            return {name: self.build(sub) for name, sub in schema.get("properties", {}).items()}
        if kind == "array":
            items = schema.get("items", {})
            count = max(schema.get("minItems", 0), min(schema.get("maxItems", 3), 3))
            if items.get("type") == "integer":
                self.integer_arrays += 1
                return [self.integer_arrays - 1] if count else []
            return [self.build(items) for _ in range(count)]
        if kind == "string":
            limit = schema.get("maxLength")
            found = _AT_MOST.search(schema.get("description", ""))
            if found:
                limit = min(limit or 10**9, int(found.group(1)))
            text = self.next_sentence()
            return text[:limit] if limit else text
        if kind == "integer":
            return int(schema.get("minimum", 0))
        if kind == "number":
            return float(schema.get("minimum", 0))
        if kind == "boolean":
            return False
        return None


def context_error(n_ctx: int, prompt: int, completion: int) -> str:
    """The text llama-cpp-python's server (and vLLM) answer for a request over the context."""
    return (
        f"This model's maximum context length is {n_ctx} tokens. However, you requested "
        f"{prompt + completion} tokens ({prompt} in the messages, {completion} in the completion). "
        "Please reduce the length of the messages or completion."
    )


def _with_raw_newlines(content: str) -> str:
    """Raw control characters inside the JSON strings, as a grammar-constrained server may write them."""
    return content.replace(". ", ".\n\t", 2).replace('": "', '": "\n', 1)


@dataclass
class OpenAIDouble:
    model: str = "double-model"
    flavor: str = "openai"
    n_ctx: int | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    _script: deque[Fault] = field(default_factory=deque)
    _runner: web.AppRunner | None = None
    _closing: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0
    _always: Fault | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of every chat completion request received, in order."""
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]

    @property
    def prompt_tokens(self) -> int:
        """Prompt tokens billed so far (what `usage.prompt_tokens` reported, summed)."""
        return sum(r["usage"]["prompt_tokens"] for r in self.requests if "usage" in r)

    def script(self, *faults: Fault) -> None:
        """Queue answers for the next chat requests; unscripted requests get a generated answer."""
        self._script.extend(faults)

    def always(self, fault: Fault | None) -> None:
        """Answer every chat request with `fault` (after the script) until called with None."""
        self._always = fault

    def client(self, *, timeout: float = 5.0, max_retries: int = 0) -> AsyncOpenAI:
        return AsyncOpenAI(
            api_key="test-key", base_url=self.base_url, timeout=timeout, max_retries=max_retries
        )

    async def start(self) -> OpenAIDouble:
        app = web.Application()
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/api/show", self._show)
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> OpenAIDouble:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _models(self, request: web.Request) -> web.Response:
        self.requests.append({"path": request.path, "body": None})
        entry: dict[str, Any] = {"id": self.model, "object": "model", "created": 0, "owned_by": "double"}
        if self.flavor == "vllm" and self.n_ctx:
            entry["max_model_len"] = self.n_ctx
        return web.json_response({"object": "list", "data": [entry]})

    async def _show(self, request: web.Request) -> web.Response:
        """Ollama's model information; other servers have no such endpoint."""
        body = await request.json()
        self.requests.append({"path": request.path, "body": body})
        if self.flavor != "ollama":
            return web.Response(status=404, text="404 page not found")
        info = {"general.architecture": "llama", "llama.context_length": self.n_ctx or 8192}
        return web.json_response({"modelfile": "FROM x", "parameters": "", "model_info": info})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        record: dict[str, Any] = {"path": request.path, "body": body}
        self.requests.append(record)
        fault = self._script.popleft() if self._script else self._always
        refusal = self._refusal(body)
        if refusal is not None and (fault is None or fault.kind in ("generated", "truncated", "control")):
            return refusal
        if fault is not None and fault.kind == "context":
            limit = int(fault.content or 2048)
            return _error(400, context_error(limit, limit + 100, 512), "invalid_request_error")
        if fault is not None and fault.kind == "rate_limit":
            delay = fault.retry_after or 0.01
            headers = {"retry-after": str(max(1, math.ceil(delay))), "retry-after-ms": str(int(delay * 1000))}
            return _error(429, "Rate limit reached for requests", "rate_limit_exceeded", headers)
        if fault is not None and fault.kind == "server_error":
            return _error(
                fault.status, "The server had an error while processing your request.", "server_error"
            )
        if fault is not None and fault.kind == "bad_request":
            return _error(fault.status, fault.content or "bad request", "invalid_request_error")
        if fault is not None and fault.kind == "hang":
            await self._closing.wait()
            return _error(503, "closing", "server_error")
        if fault is not None and fault.kind == "broken_body":
            return web.Response(
                status=200, text="<html>upstream proxy error", content_type="application/json"
            )
        messages = body.get("messages", [])
        text = "\n".join(str(m.get("content", "")) for m in messages)
        finish = "stop"
        if fault is not None and fault.kind == "content":
            content = fault.content or ""
        else:
            content = self._answer(body, messages)
        if fault is not None and fault.kind == "truncated":
            content, finish = content[: len(content) // 2], "length"
        elif (fault is not None and fault.kind == "control") or self.flavor == "llama.cpp":
            content = _with_raw_newlines(content)
        limit = body.get("max_tokens") or body.get("max_completion_tokens")
        if self.flavor == "llama.cpp" and limit and count_tokens(content) > limit:
            content, finish = content[: limit * 4], "length"  # cut where the tokens ran out
        schema_text = json.dumps(body.get("response_format") or {}, separators=(",", ":"))
        usage = {
            "prompt_tokens": count_tokens(text)
            # a json_schema is put in the prompt; a json_object's schema becomes a grammar (llama.cpp)
            + (
                count_tokens(schema_text)
                if (body.get("response_format") or {}).get("type") == "json_schema"
                else 0
            ),
            "completion_tokens": count_tokens(content),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        record["usage"] = usage
        return web.json_response(
            {
                "id": f"chatcmpl-double-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", self.model),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "finish_reason": finish,
                        "logprobs": None,
                    }
                ],
                "usage": usage,
            }
        )

    def _refusal(self, body: dict[str, Any]) -> web.Response | None:
        """What a real server of this flavor refuses: json_schema (llama.cpp), a prompt over `n_ctx`."""
        response_format = body.get("response_format") or {}
        if self.flavor == "llama.cpp" and response_format.get("type") == "json_schema":
            return Fault.json_schema_unsupported().as_response()
        if self.n_ctx is None:
            return None
        text = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        prompt = count_tokens(text)
        completion = int(body.get("max_tokens") or body.get("max_completion_tokens") or 0)
        if prompt + completion > self.n_ctx:
            return _error(400, context_error(self.n_ctx, prompt, completion), "invalid_request_error")
        return None

    def _answer(self, body: dict[str, Any], messages: list[dict[str, Any]]) -> str:
        user = next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")
        generator = _Generator(_source_sentences(user))
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            schema = response_format.get("json_schema", {}).get("schema", {})
            return json.dumps(generator.build(schema), ensure_ascii=False)
        if response_format.get("type") == "json_object":  # llama-cpp-python: a schema beside json_object
            if isinstance(response_format.get("schema"), dict):
                return json.dumps(generator.build(response_format["schema"]), ensure_ascii=False)
            return json.dumps({"summary": generator.next_sentence()})
        return generator.next_sentence()


def _error(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> web.Response:
    payload = {"error": {"message": message, "type": code, "param": None, "code": code}}
    return web.json_response(payload, status=status, headers=headers)
