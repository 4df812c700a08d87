"""An answer and its citations, the same whichever backend wrote it, and how a moment becomes a link."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from bot.ask.passages import clock
from bot.ask.words import cut_on_word, sentences, stems, without_instructions
from bot.store.ask import Candidate
from bot.timeutil import from_db, to_db

QUOTE_LIMIT = 220
AskBackend = Literal["llm", "offline"]
_AUDIO_SUFFIXES = (".mp3", ".m4a", ".mp4", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac", ".webm")


def moment_url(candidate: Candidate) -> str | None:
    """A link that plays the episode from the passage's start, where the platform has a way to say so.

    Direct audio files take a media fragment (`#t=754`; browsers seek to it, also after the host's
    redirects); YouTube takes `t=754s`. Other pages (Spotify, a newsletter) have none: None.
    """
    if candidate.start_seconds is None:
        return None
    seconds = int(candidate.start_seconds)
    link = candidate.link or ""
    host = urlsplit(link).hostname or ""
    if host.endswith(("youtube.com", "youtu.be")):
        return f"{link}{'&' if '?' in link else '?'}t={seconds}s"
    audio = candidate.audio_url or ""
    is_audio = (candidate.audio_type or "").startswith("audio/") or urlsplit(audio).path.lower().endswith(
        _AUDIO_SUFFIXES
    )
    if audio.startswith(("https://", "http://")) and is_audio:
        return f"{audio.split('#', 1)[0]}#t={seconds}"
    return None


def best_quote(text: str, near: str, limit: int = QUOTE_LIMIT) -> str:
    """The sentence(s) of `text` sharing most words with `near`, within `limit`, cut on a word."""
    parts = sentences(without_instructions(text)) or [cut_on_word(text, limit)]
    wanted = stems(near)
    scores = [len(wanted & stems(part)) for part in parts]
    index = max(range(len(parts)), key=lambda i: (scores[i], -i))
    quote = parts[index]
    if len(quote) < limit // 2 and index + 1 < len(parts):  # a short sentence reads better with the next
        quote = f"{quote} {parts[index + 1]}"
    return cut_on_word(quote, limit)


@dataclass(frozen=True, slots=True)
class Citation:
    """One numbered source: the episode (or issue), the moment when known, and the quoted passage."""

    n: int
    key: str
    title: str
    link: str | None
    published: datetime | None
    start_seconds: float | None
    quote: str
    moment_link: str | None = None
    kind: str = "podcast"
    source: str = "transcript"

    @property
    def url(self) -> str | None:
        """Where the citation leads: the moment when the platform supports one, else the episode."""
        return self.moment_link or self.link

    @property
    def at(self) -> str | None:
        """`at 12:34`, or None without a timing."""
        return None if self.start_seconds is None else f"at {clock(self.start_seconds)}"

    @classmethod
    def of(cls, n: int, candidate: Candidate, quote: str) -> Citation:
        return cls(
            n=n,
            key=candidate.episode_key,
            title=candidate.title,
            link=candidate.link,
            published=candidate.published_at,
            start_seconds=candidate.start_seconds if candidate.source == "transcript" else None,
            quote=quote,
            moment_link=moment_url(candidate) if candidate.source == "transcript" else None,
            kind=candidate.feed_kind,
            source=candidate.source,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "key": self.key,
            "title": self.title,
            "url": self.url,
            "episode_url": self.link,
            "published": to_db(self.published) if self.published else None,
            "start_seconds": self.start_seconds,
            "quote": self.quote,
            "kind": self.kind,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Citation:
        return cls(
            n=int(data["n"]),
            key=str(data["key"]),
            title=str(data["title"]),
            link=data.get("episode_url"),
            published=from_db(data.get("published")),
            start_seconds=data.get("start_seconds"),
            quote=str(data.get("quote") or ""),
            moment_link=data["url"] if data.get("url") != data.get("episode_url") else None,
            kind=str(data.get("kind") or "podcast"),
            source=str(data.get("source") or "transcript"),
        )


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of an answer and the citations (numbers) it rests on."""

    text: str
    cites: tuple[int, ...]


@dataclass(slots=True)
class Answer:
    """An answer: sentences with citations, or (`supported` False) the closest passages instead."""

    question: str
    supported: bool
    sentences: list[Sentence]
    citations: list[Citation]
    backend: AskBackend
    fallback_reason: str | None = None
    earliest: bool = False
    searched: int = 0
    cached: bool = False
    tokens: int = 0
    answer_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The answer as plain text with `[n]` markers after each sentence."""
        if not self.supported:
            return "The archive does not support an answer to that question."
        return " ".join(
            sentence.text + "".join(f" [{n}]" for n in sentence.cites) for sentence in self.sentences
        )

    def to_json(self) -> dict[str, Any]:
        """What `python -m bot ask --json` prints (and what is cached)."""
        return {
            "question": self.question,
            "answer": self.text,
            "supported": self.supported,
            "sentences": [{"text": s.text, "cites": list(s.cites)} for s in self.sentences],
            "citations": [citation.to_dict() for citation in self.citations],
            "backend": self.backend,
            "fallback_reason": self.fallback_reason,
            "earliest": self.earliest,
            "searched": self.searched,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Answer:
        return cls(
            question=str(data["question"]),
            supported=bool(data["supported"]),
            sentences=[
                Sentence(str(s["text"]), tuple(int(n) for n in s["cites"])) for s in data["sentences"]
            ],
            citations=[Citation.from_dict(c) for c in data["citations"]],
            backend="llm" if data.get("backend") == "llm" else "offline",
            fallback_reason=data.get("fallback_reason"),
            earliest=bool(data.get("earliest")),
            searched=int(data.get("searched") or 0),
        )
