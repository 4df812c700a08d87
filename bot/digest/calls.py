"""One chat completion in the server's own dialect, and every way it can fail, by cause.

`ChatCaller.ask` sends one request and returns a validated `DigestOut`, or raises `CallFailure` with a
cause a moderator can act on: `context` (the request did not fit), `cut_off` (`finish_reason=length`:
the answer hit `max_tokens`), `invalid` (not JSON, or not the schema), `timeout`, or `http` (any other
refusal, or the server unreachable). `fatal` failures (a wrong key, an unknown model, a rate limit that
outlasted the client's retries, a request the server will always refuse) end the digest's LLM attempt;
the others may be retried by the caller with a smaller or different request.

The structured-output mode is negotiated once per server: until a mode has been answered, requests are
sent without the client's retries, so a server that answers "unsupported" with a 500 is asked once, not
three times, before the next mode of `server.MODES` is tried.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from bot.digest.chunking import estimate_tokens
from bot.digest.schema import (
    DigestOut,
    InvalidOutput,
    bounded_schema,
    clean_output,
    parse_output,
    response_format,
)
from bot.digest.server import (
    MODES,
    ResponseMode,
    ServerProfile,
    context_from_error,
    is_context_error,
    is_format_refusal,
)
from bot.metrics import METRICS

if TYPE_CHECKING:
    import openai
    from openai import AsyncOpenAI

log = logging.getLogger(__name__)

Cause = Literal["context", "cut_off", "invalid", "timeout", "http"]
CAUSES: tuple[Cause, ...] = ("context", "cut_off", "invalid", "timeout", "http")

#: The shape, spelled out for servers that cannot be given the schema itself.
SHAPE_HINT = "Answer with one JSON object and nothing else, of exactly this shape: " + json.dumps(
    {
        "tldr": "...",
        "key_points": ["...", "...", "..."],
        "topics": ["..."],
        "entities": {"companies": ["..."], "models": ["..."], "people": ["..."]},
        "quote": "... or null",
        "angle": "...",
        "poll": {
            "question": "...",
            "answers": ["...", "..."],
            "open_answers": [0],
            "closed_answers": [1],
        },
    },
    separators=(",", ":"),
)

UsageCallback = Callable[[int, int], Awaitable[None]]
FailureCallback = Callable[[str, str], Awaitable[None]]
ModeCallback = Callable[[ResponseMode], Awaitable[None]]


class CallFailure(Exception):
    """One request failed; `reason` is short and safe to show a moderator."""

    def __init__(
        self,
        cause: Cause,
        reason: str,
        *,
        fatal: bool = False,
        context_limit: int | None = None,
        prompt_tokens: int | None = None,
    ) -> None:
        super().__init__(reason)
        self.cause = cause
        self.reason = reason
        self.fatal = fatal
        self.context_limit = context_limit
        self.prompt_tokens = prompt_tokens


@dataclass(slots=True)
class Tally:
    """What one digest's requests cost."""

    tokens_in: int = 0
    tokens_out: int = 0
    requests: int = 0
    #: (cause, "where: reason") of every request that failed, in order.
    failures: list[tuple[Cause, str]] = field(default_factory=list)


class ChatCaller:
    """Sends chat completions for one server and model, adapting to what the server accepts."""

    def __init__(
        self,
        client: AsyncOpenAI,
        profile: ServerProfile,
        *,
        on_mode: ModeCallback | None = None,
    ) -> None:
        self.client = client
        self.profile = profile
        self.on_mode = on_mode
        self._modern_parameters = False
        self._mode_index = MODES.index(profile.response_mode) if profile.response_mode else 0
        self._confirmed = profile.response_mode is not None

    def adopt_mode(self, mode: ResponseMode) -> None:
        """Use a mode the server accepted before (remembered across restarts) without asking again."""
        self._mode_index = MODES.index(mode)
        self._confirmed = True

    @property
    def confirmed(self) -> bool:
        return self._confirmed

    @property
    def mode(self) -> ResponseMode:
        return MODES[self._mode_index]

    def overhead_tokens(self, system: str) -> int:
        """Tokens a request spends besides the source: system prompt, shape hint or schema, framing."""
        # OpenAI puts the schema in the prompt; with json_object the schema becomes a grammar, the hint text.
        extra = (
            json.dumps(response_format(), separators=(",", ":")) if self.mode == "json_schema" else SHAPE_HINT
        )
        return estimate_tokens(system) + estimate_tokens(extra) + 60

    async def ask(
        self,
        system: str,
        user: str,
        max_output: int,
        tally: Tally,
        on_usage: UsageCallback | None = None,
    ) -> DigestOut:
        """One answer, validated; raises `CallFailure`."""
        completion = await self._send(system, user, max_output, tally)
        usage = completion.usage
        spent_in = usage.prompt_tokens if usage else estimate_tokens(system + user)
        spent_out = usage.completion_tokens if usage else 0
        tally.tokens_in += spent_in
        tally.tokens_out += spent_out
        METRICS.llm_tokens.labels(direction="prompt").inc(spent_in)
        METRICS.llm_tokens.labels(direction="completion").inc(spent_out)
        if on_usage is not None:
            await on_usage(spent_in, spent_out)
        if not completion.choices:
            raise CallFailure("invalid", "the LLM returned no choices")
        choice = completion.choices[0]
        if getattr(choice.message, "refusal", None):
            raise CallFailure("invalid", "the LLM refused")
        if choice.finish_reason == "length":
            raise CallFailure("cut_off", f"output cut off at {spent_out or max_output} tokens")
        try:
            out = parse_output(choice.message.content)
            clean_output(out, min_key_points=1)  # nothing usable left is as bad as no JSON: retry, split
            return out
        except InvalidOutput as exc:
            log.warning("LLM output rejected: %s", exc)
            raise CallFailure("invalid", f"unusable answer: {exc}") from None

    async def _send(self, system: str, user: str, max_output: int, tally: Tally) -> Any:
        import openai

        while True:
            # While the mode is unconfirmed, a refusal must not be retried by the client.
            client = self.client if self._confirmed else self.client.with_options(max_retries=0)
            tally.requests += 1
            try:
                completion = await self._create(client, system, user, max_output)
            except openai.APIStatusError as exc:
                if is_context_error(exc):
                    limit, prompt = context_from_error(exc)
                    raise CallFailure(
                        "context",
                        "the request did not fit the model's context"
                        + (f" of {limit:,} tokens" if limit else ""),
                        context_limit=limit,
                        prompt_tokens=prompt,
                    ) from None
                if not self._confirmed and is_format_refusal(exc) and self._mode_index < len(MODES) - 1:
                    log.info("the LLM server refused response format %s; trying the next", self.mode)
                    self._mode_index += 1
                    continue
                if not self._confirmed and (exc.status_code >= 500 or exc.status_code in (408, 409, 429)):
                    # Not about the format: send it again with the client's own retries.
                    completion = await self._resend(system, user, max_output, tally)
                elif not self._modern_parameters and _unsupported_parameter(exc):
                    # Reasoning models (OpenAI o-series, GPT-5) refuse `max_tokens` and `temperature`.
                    log.info("the LLM refused max_tokens/temperature; retrying with max_completion_tokens")
                    self._modern_parameters = True
                    continue
                else:
                    raise _status_failure(exc, self.profile.model) from None
            except (openai.OpenAIError, ValueError) as exc:
                raise _other_failure(exc) from None
            if not self._confirmed:
                self._confirmed = True
                self.profile.response_mode = self.mode
                if self.on_mode is not None:
                    await self.on_mode(self.mode)
            return completion

    async def _resend(self, system: str, user: str, max_output: int, tally: Tally) -> Any:
        import openai

        tally.requests += 1
        try:
            return await self._create(self.client, system, user, max_output)
        except openai.APIStatusError as exc:
            raise _status_failure(exc, self.profile.model) from None
        except (openai.OpenAIError, ValueError) as exc:
            raise _other_failure(exc) from None

    async def _create(self, client: AsyncOpenAI, system: str, user: str, max_output: int) -> Any:
        extra: dict[str, Any] = {}
        if self.mode == "json_schema":
            extra["response_format"] = response_format()
        elif self.mode == "json_object":  # llama-cpp-python constrains the output to the schema beside it
            extra["response_format"] = {"type": "json_object", "schema": bounded_schema()}
            system = f"{system}\n{SHAPE_HINT}"
        else:
            system = f"{system}\n{SHAPE_HINT}"
        if self._modern_parameters:
            extra["max_completion_tokens"] = max_output
        else:
            extra.update(max_tokens=max_output, temperature=0.2)
        messages: list[Any] = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        started, answered = time.perf_counter(), False
        try:
            completion = await client.chat.completions.create(
                model=self.profile.model, messages=messages, **extra
            )
            answered = True
            return completion
        finally:
            METRICS.llm_request_seconds.observe(time.perf_counter() - started)
            if not answered:
                METRICS.llm_errors.inc()


def _unsupported_parameter(exc: openai.APIStatusError) -> bool:
    text = str(exc).lower()
    mentioned = "max_tokens" in text or "temperature" in text
    return exc.status_code == 400 and "unsupported" in text and mentioned


def _status_failure(exc: openai.APIStatusError, model: str) -> CallFailure:
    import openai

    if isinstance(exc, openai.RateLimitError):
        return CallFailure("http", "the LLM is rate limited (429)", fatal=True)
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return CallFailure("http", f"the LLM rejected the API key (HTTP {exc.status_code})", fatal=True)
    if isinstance(exc, openai.NotFoundError):
        return CallFailure("http", f"the LLM server does not know the model {model!r} (HTTP 404)", fatal=True)
    # A 5xx may pass; a 4xx will be refused again whatever the text.
    return CallFailure("http", f"the LLM answered HTTP {exc.status_code}", fatal=exc.status_code < 500)


def _other_failure(exc: Exception) -> CallFailure:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return CallFailure("timeout", "the LLM timed out")
    if isinstance(exc, openai.APIConnectionError):
        return CallFailure("http", "the LLM server could not be reached", fatal=True)
    return CallFailure("invalid", f"the LLM answer was unreadable ({type(exc).__name__})")
