"""The shape of a digest, the same whichever backend wrote it, and the input it is made from."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

TLDR_LIMIT = 280
KEY_POINTS_MIN = 3
KEY_POINTS_MAX = 7
KEY_POINT_LIMIT = 300
TOPICS_MAX = 8
TOPIC_LIMIT = 40
ENTITIES_MAX = 10
ENTITY_LIMIT = 60
QUOTE_LIMIT = 300
ANGLE_LIMIT = 400
POLL_QUESTION_LIMIT = 300
POLL_ANSWER_LIMIT = 55
POLL_ANSWERS_MIN = 2
POLL_ANSWERS_MAX = 5

Backend = Literal["llm", "offline"]
SourceKind = Literal["transcript", "show_notes", "newsletter", "file", "title"]
ItemKind = Literal["podcast", "newsletter", "feed"]


@dataclass(frozen=True, slots=True)
class TranscriptRef:
    """One `podcast:transcript` of an episode."""

    url: str
    type: str = "text/plain"
    language: str | None = None
    rel: str | None = None


def digest_key(item: Any) -> str:
    """The key a feed item's digests are stored under: its key, within its feed (keys are unique per feed)."""
    feed_id = getattr(item, "feed_id", None)
    return f"{feed_id}/{item.key}" if feed_id is not None else str(item.key)


_KINDS: dict[str, ItemKind] = {"podcast": "podcast", "newsletter": "newsletter", "feed": "feed"}


@dataclass(frozen=True, slots=True)
class EpisodeInput:
    """What a digest is made from: an episode or newsletter issue, independent of how feeds store it.

    `from_item` adapts a stored feed item (anything with the same attribute names) in one line.
    """

    key: str
    title: str
    show_notes_text: str = ""
    transcripts: tuple[TranscriptRef, ...] = ()
    kind: ItemKind = "podcast"
    link: str | None = None

    @classmethod
    def from_item(cls, item: Any, *, kind: str | None = None) -> EpisodeInput:
        """Adapt a feed item (`key`, `title`, `summary_text`, `transcripts`, `link`); `kind` is its feed's."""
        refs = []
        for ref in getattr(item, "transcripts", None) or ():
            if isinstance(ref, TranscriptRef):
                refs.append(ref)
            elif isinstance(ref, dict):
                refs.append(
                    TranscriptRef(
                        ref["url"], ref.get("type") or "text/plain", ref.get("language"), ref.get("rel")
                    )
                )
            else:
                refs.append(TranscriptRef(ref.url, ref.type or "text/plain", ref.language, ref.rel))
        kind = kind or getattr(item, "kind", None) or getattr(item, "feed_kind", None) or "podcast"
        return cls(
            key=digest_key(item),
            title=str(item.title or ""),
            show_notes_text=str(
                getattr(item, "summary_text", "") or getattr(item, "show_notes_text", "") or ""
            ),
            transcripts=tuple(refs),
            kind=_KINDS.get(str(kind), "feed"),
            link=getattr(item, "link", None),
        )


class DigestItem(Protocol):
    """The least a renderer needs to know about the episode a digest belongs to."""

    @property
    def title(self) -> str: ...

    @property
    def link(self) -> str | None: ...


@dataclass(slots=True)
class PollSuggestion:
    """The open-versus-closed poll an episode suggests; `open_answers`/`closed_answers` index `answers`.

    `skip_reason` is set when the item should get no episode poll at all (it is not about AI); the poll
    service then posts none, and the reason is kept with the digest for moderators.
    """

    question: str
    answers: list[str]
    open_answers: list[int] = field(default_factory=list)
    closed_answers: list[int] = field(default_factory=list)
    skip_reason: str | None = None


@dataclass(slots=True)
class Entities:
    """Named entities, grouped as the community talks about them."""

    companies: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return [*self.companies, *self.models, *self.people]


@dataclass(slots=True)
class Digest:
    """A digest of one episode or issue. Both backends produce exactly this shape."""

    tldr: str
    key_points: list[str]
    topics: list[str]
    entities: Entities
    quote: str | None
    angle: str
    poll: PollSuggestion
    backend: Backend
    model: str
    source: SourceKind
    source_url: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    chunks: int = 1
    fallback_reason: str | None = None
    #: Where each field of an LLM digest came from: "llm", "offline" (repaired), or "llm+offline".
    field_sources: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Digest:
        values = dict(data)
        values["entities"] = Entities(**values["entities"])
        values["poll"] = PollSuggestion(**values["poll"])
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in values.items() if key in known})
