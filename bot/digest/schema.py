"""The JSON schema the LLM must answer with, and the validation of what it actually answered.

The schema sent on the wire uses only keywords every OpenAI-compatible server accepts in strict mode
(types, required, additionalProperties, items, minItems/maxItems); length limits are stated in the
descriptions and enforced here. Servers that turn the schema into a grammar get `bounded_schema()`, with
`maxLength` and `maxItems` everywhere. The answer is read tolerantly (`extract_json`). Validation is strict
on shape (missing fields, wrong types, too few key points or answers, empty text: the answer is rejected)
and forgiving on size (an over-long string is cut with "…", extra list items are dropped), since a long
but valid answer is still a good digest. Every string is cleaned of control characters and has its
mentions defanged. Whether the content is true to the source is `bot.digest.validate`'s question.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.digest.models import (
    ANGLE_LIMIT,
    ENTITIES_MAX,
    ENTITY_LIMIT,
    KEY_POINT_LIMIT,
    KEY_POINTS_MAX,
    KEY_POINTS_MIN,
    POLL_ANSWER_LIMIT,
    POLL_ANSWERS_MAX,
    POLL_ANSWERS_MIN,
    POLL_QUESTION_LIMIT,
    QUOTE_LIMIT,
    TLDR_LIMIT,
    TOPIC_LIMIT,
    TOPICS_MAX,
    Entities,
    PollSuggestion,
)
from bot.render.text import defang_mentions, truncate

SCHEMA_NAME = "episode_digest"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_CODE_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)(?:```|$)", re.S)
_DECODER = json.JSONDecoder(strict=False)


def _strings(description: str, max_items: int, min_items: int = 0) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "string"},
        "minItems": min_items,
        "maxItems": max_items,
        "description": description,
    }


def _indices(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "integer"}, "description": description}


DIGEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["tldr", "key_points", "topics", "entities", "quote", "angle", "poll"],
    "properties": {
        "tldr": {"type": "string", "description": f"one line, at most {TLDR_LIMIT} characters"},
        "key_points": _strings("one sentence each", KEY_POINTS_MAX, KEY_POINTS_MIN),
        "topics": _strings("short topic labels", TOPICS_MAX),
        "entities": {
            "type": "object",
            "additionalProperties": False,
            "required": ["companies", "models", "people"],
            "properties": {
                "companies": _strings("companies named", ENTITIES_MAX),
                "models": _strings("AI models or products named", ENTITIES_MAX),
                "people": _strings("people named", ENTITIES_MAX),
            },
        },
        "quote": {"type": ["string", "null"], "description": "a notable verbatim quote, or null"},
        "angle": {"type": "string", "description": "the open-versus-closed AI angle, one sentence"},
        "poll": {
            "type": "object",
            "additionalProperties": False,
            "required": ["question", "answers", "open_answers", "closed_answers"],
            "properties": {
                "question": {"type": "string", "description": f"at most {POLL_QUESTION_LIMIT} characters"},
                "answers": _strings(
                    f"each at most {POLL_ANSWER_LIMIT} characters", POLL_ANSWERS_MAX, POLL_ANSWERS_MIN
                ),
                "open_answers": _indices("indices of the answers favouring open AI"),
                "closed_answers": _indices("indices of the answers favouring closed AI"),
            },
        },
    },
}  # fmt: skip


#: Bounds for servers that turn the schema into a grammar (llama.cpp): every string and list must end, so
#: a small model that would repeat itself until `max_tokens` is made to close the object instead.
_GRAMMAR_BOUNDS: dict[str, tuple[int, int]] = {  # field: (max items, max characters each)
    "tldr": (1, TLDR_LIMIT), "key_points": (5, 200), "topics": (5, TOPIC_LIMIT),
    "companies": (5, ENTITY_LIMIT), "models": (5, ENTITY_LIMIT), "people": (5, ENTITY_LIMIT),
    "quote": (1, 250), "angle": (1, 300),
    "question": (1, 200), "answers": (POLL_ANSWERS_MAX, POLL_ANSWER_LIMIT),
    "open_answers": (POLL_ANSWERS_MAX, 0), "closed_answers": (POLL_ANSWERS_MAX, 0),
}  # fmt: skip


def bounded_schema(schema: dict[str, Any] | None = None, name: str = "") -> dict[str, Any]:
    """`DIGEST_SCHEMA` with `maxLength` on every string and `maxItems` on every list (see above)."""
    schema = DIGEST_SCHEMA if schema is None else schema
    out = dict(schema)
    items, chars = _GRAMMAR_BOUNDS.get(name, (POLL_ANSWERS_MAX, 0))
    kind = schema.get("type")
    if "properties" in schema:
        out["properties"] = {key: bounded_schema(sub, key) for key, sub in schema["properties"].items()}
    elif kind == "array":
        out["maxItems"] = min(schema.get("maxItems", items), items)
        out["items"] = bounded_schema(schema["items"], name)
    elif kind == "string":
        out["maxLength"] = chars
    elif isinstance(kind, list) and "string" in kind:  # grammar converters drop bounds on a type list
        out = {"anyOf": [{"type": "string", "maxLength": chars}, {"type": "null"}]}
        out["description"] = schema.get("description", "")
    return out


def response_format() -> dict[str, Any]:
    """The `response_format` argument of a chat completion request."""
    return {
        "type": "json_schema",
        "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": DIGEST_SCHEMA},
    }


class InvalidOutput(ValueError):
    """The model's answer is not a usable digest (not JSON, or not of the schema's shape)."""


_Text = Field(min_length=1)


class _EntitiesOut(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    companies: list[str]
    models: list[str]
    people: list[str]


class _PollOut(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    question: str = _Text
    answers: list[str] = Field(min_length=POLL_ANSWERS_MIN)
    open_answers: list[int]
    closed_answers: list[int]


class DigestOut(BaseModel):
    """What the model must return (shape only; sizes are normalised by `clean_output`)."""

    model_config = ConfigDict(extra="ignore", strict=True)
    tldr: str = _Text
    key_points: list[str] = Field(min_length=KEY_POINTS_MIN)
    topics: list[str]
    entities: _EntitiesOut
    quote: str | None
    angle: str
    poll: _PollOut


def clean_text(value: str, limit: int) -> str:
    """One-paragraph, control-free, mention-free text within `limit` characters."""
    return truncate(defang_mentions(" ".join(_CONTROL.sub("", value).split())), limit)


def _clean_list(values: list[str], limit: int, max_items: int) -> list[str]:
    cleaned = [clean_text(v, limit) for v in values]
    out: list[str] = []
    for value in cleaned:
        if value and value.casefold() not in {o.casefold() for o in out}:
            out.append(value)
    return out[:max_items]


def _clean_answers(values: list[str]) -> tuple[list[str], dict[int, int]]:
    """Poll answers cleaned like `_clean_list`, and a map from the model's index to the kept answer's."""
    out: list[str] = []
    kept: dict[int, int] = {}
    for index, value in enumerate(values):
        cleaned = clean_text(value, POLL_ANSWER_LIMIT)
        if not cleaned:
            continue
        folded = [o.casefold() for o in out]
        if cleaned.casefold() in folded:  # a repeat stands for the answer it repeats
            kept[index] = folded.index(cleaned.casefold())
            continue
        if len(out) < POLL_ANSWERS_MAX:
            kept[index] = len(out)
            out.append(cleaned)
    return out, kept


def extract_json(content: str) -> Any:
    """The first JSON object in a model's answer, read tolerantly.

    Accepts what real servers send around a valid object: a Markdown code fence, prose before or after
    it, and raw control characters (newlines, tabs) inside strings, which grammar-constrained servers
    emit and `json.loads` refuses unless `strict=False`. Raises `json.JSONDecodeError`.
    """
    text = content.strip()
    fenced = _CODE_FENCE.search(text)
    if fenced:
        text = fenced.group(1).strip()
    start = text.find("{")
    if start < 0:
        raise json.JSONDecodeError("no JSON object", text, 0)
    value, _ = _DECODER.raw_decode(text, start)  # whatever follows the object is ignored
    return value


def parse_output(content: str | None) -> DigestOut:
    """The model's JSON answer, validated; raises `InvalidOutput` with a short reason."""
    if not content or not content.strip():
        raise InvalidOutput("empty answer")
    try:
        data = extract_json(content)
    except json.JSONDecodeError as exc:
        raise InvalidOutput(f"not JSON ({exc.msg} at char {exc.pos})") from None
    try:
        return DigestOut.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "answer"
        raise InvalidOutput(f"does not match the schema ({where}: {first['msg']})") from None


def clean_output(
    out: DigestOut, *, min_key_points: int = KEY_POINTS_MIN
) -> tuple[str, list[str], list[str], Entities, str | None, str, PollSuggestion]:
    """Sizes normalised and text made safe; raises `InvalidOutput` if nothing usable is left.

    `min_key_points` distinct key points must remain (fewer where the caller tops them up itself).
    """
    tldr = clean_text(out.tldr, TLDR_LIMIT)
    key_points = _clean_list(out.key_points, KEY_POINT_LIMIT, KEY_POINTS_MAX)
    answers, kept = _clean_answers(out.poll.answers)
    question = clean_text(out.poll.question, POLL_QUESTION_LIMIT)
    if not tldr or len(key_points) < min_key_points:
        raise InvalidOutput("too little text after cleaning")
    if not question or len(answers) < POLL_ANSWERS_MIN:
        raise InvalidOutput("poll unusable after cleaning")
    # The model's indices point into its own list; empty or repeated answers were dropped since.
    open_answers = sorted({kept[i] for i in out.poll.open_answers if i in kept})
    closed_answers = sorted({kept[i] for i in out.poll.closed_answers if i in kept} - set(open_answers))
    entities = Entities(
        companies=_clean_list(out.entities.companies, ENTITY_LIMIT, ENTITIES_MAX),
        models=_clean_list(out.entities.models, ENTITY_LIMIT, ENTITIES_MAX),
        people=_clean_list(out.entities.people, ENTITY_LIMIT, ENTITIES_MAX),
    )
    quote = clean_text(out.quote, QUOTE_LIMIT) if out.quote else None
    return (
        tldr,
        key_points,
        _clean_list(out.topics, TOPIC_LIMIT, TOPICS_MAX),
        entities,
        quote or None,
        clean_text(out.angle, ANGLE_LIMIT),
        PollSuggestion(question, answers, open_answers, closed_answers),
    )
