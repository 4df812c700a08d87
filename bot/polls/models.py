"""Plain data for community polls: what a moderator or a digest asks, and what the store remembers."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

QUESTION_MAX = 300
ANSWER_MAX = 55
ANSWERS_MIN = 2
ANSWERS_MAX = 10
DURATION_MIN_HOURS = 1
DURATION_MAX_HOURS = 32 * 24  # Discord's limit for native polls: 32 days


class PollMode(enum.StrEnum):
    NATIVE = "native"
    ANONYMOUS = "anonymous"


class PollStatus(enum.StrEnum):
    PENDING = "pending"  # intent recorded, message not (known to be) sent yet
    OPEN = "open"  # message posted, votes count
    CLOSED = "closed"  # votes no longer count, results not posted yet
    DONE = "done"  # results posted (or could not be posted and were given up on)
    FAILED = "failed"  # the poll message could not be posted


class Stance(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class SuggestionLike(Protocol):
    """The shape of the digest's `PollSuggestion` (bot/digest/models.py), accepted structurally."""

    @property
    def question(self) -> str: ...
    @property
    def answers(self) -> Sequence[str]: ...
    @property
    def open_answers(self) -> Sequence[int]: ...
    @property
    def closed_answers(self) -> Sequence[int]: ...


@dataclass(frozen=True, slots=True)
class PollSuggestion:
    """An open-versus-closed question: indices (0-based) of the answers that count as "open"/"closed"."""

    question: str
    answers: list[str]
    open_answers: list[int] = field(default_factory=list)
    closed_answers: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PollSpec:
    """A validated poll, ready to be recorded and posted. `stances[i]` is the stance of answer i (0-based)."""

    question: str
    answers: tuple[str, ...]
    stances: tuple[Stance | None, ...]
    duration_hours: int
    multiple: bool
    mode: PollMode

    @property
    def has_stances(self) -> bool:
        return any(stance is not None for stance in self.stances)


@dataclass(frozen=True, slots=True)
class GuildPollSettings:
    guild_id: int
    auto_enabled: bool = True
    mode: PollMode = PollMode.NATIVE
    duration_hours: int = 24


@dataclass(frozen=True, slots=True)
class Answer:
    position: int  # 1-based; equals the native poll's answer_id
    text: str
    stance: Stance | None
    final_count: int | None  # Discord's count once the native poll closed


@dataclass(frozen=True, slots=True)
class Poll:
    id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    item_id: int | None
    mode: PollMode
    question: str
    multiple: bool
    status: PollStatus
    nonce: str
    created_by: int | None
    created_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    results_message_id: int | None
    finalized: bool
    answers: tuple[Answer, ...]

    @property
    def is_open(self) -> bool:
        return self.status is PollStatus.OPEN

    @property
    def label(self) -> str:
        """How a moderator picks this poll in autocomplete: `#12 · question`."""
        return f"#{self.id} · {self.question}"


@dataclass(frozen=True, slots=True)
class AnswerResult:
    position: int
    text: str
    stance: Stance | None
    votes: int
    percent: float


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts per answer. `voters` is the number of distinct members (multiple-choice polls differ)."""

    poll: Poll
    answers: tuple[AnswerResult, ...]
    voters: int
    final: bool  # False while a native poll's counts are still Discord's running (approximate) counts

    @property
    def total_votes(self) -> int:
        return sum(answer.votes for answer in self.answers)

    def stance_votes(self, stance: Stance) -> int:
        return sum(answer.votes for answer in self.answers if answer.stance is stance)


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One closed poll's open-versus-closed split (shares of the votes cast on stance answers)."""

    poll_id: int
    question: str
    at: datetime
    open_votes: int
    closed_votes: int

    @property
    def open_share(self) -> float:
        total = self.open_votes + self.closed_votes
        return self.open_votes / total if total else 0.0


@dataclass(frozen=True, slots=True)
class VoteOutcome:
    """A member's ballot after a click: the answers (1-based positions) now chosen."""

    poll: Poll
    chosen: tuple[int, ...]
