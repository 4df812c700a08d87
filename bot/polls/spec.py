"""Validating what a moderator typed, and turning a digest's suggestion into a poll that fits Discord."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence

from bot.errors import UserFacingError
from bot.polls.models import (
    ANSWER_MAX,
    ANSWERS_MAX,
    ANSWERS_MIN,
    DURATION_MAX_HOURS,
    DURATION_MIN_HOURS,
    QUESTION_MAX,
    PollMode,
    PollSpec,
    PollSuggestion,
    Stance,
    SuggestionLike,
)
from bot.render.text import defang_mentions, truncate

log = logging.getLogger(__name__)

DEFAULT_SUGGESTION = PollSuggestion(
    question="Open versus closed AI after this episode: which side is ahead right now?",
    answers=["Open-weight models", "Closed models", "Too close to call"],
    open_answers=[0],
    closed_answers=[1],
)

_SPACES = re.compile(r"\s+")


class PollError(UserFacingError):
    """A poll request that cannot be honoured; the message tells the moderator what to change."""


def clean(text: str) -> str:
    """One line, single spaces, mentions neutralised."""
    return defang_mentions(_SPACES.sub(" ", text).strip())


def split_answers(raw: str) -> list[str]:
    """Answers typed in one option: separated by `|` or `;` (commas stay inside an answer)."""
    parts = re.split(r"[|;\n]", raw)
    return [clean(part) for part in parts if clean(part)]


def parse_indices(raw: str | None, count: int, what: str) -> list[int]:
    """`"1, 3"` → [0, 2]: 1-based answer numbers as a moderator types them, checked against `count`."""
    if not raw or not raw.strip():
        return []
    found = []
    for token in re.split(r"[\s,;|]+", raw.strip()):
        if not token:
            continue
        # isascii: "²" and other Unicode digits pass isdigit() but int() refuses them
        if not (token.isascii() and token.isdigit()) or not 1 <= int(token) <= count:
            raise PollError(f"`{what}` lists answer numbers from 1 to {count}; {token[:20]!r} is not one.")
        found.append(int(token) - 1)
    return sorted(set(found))


def stances_for(
    count: int, open_answers: Iterable[int], closed_answers: Iterable[int]
) -> tuple[Stance | None, ...]:
    opens, closeds = set(open_answers), set(closed_answers)
    if opens & closeds:
        numbers = ", ".join(str(i + 1) for i in sorted(opens & closeds))
        raise PollError(f"Answer {numbers} cannot count as both open and closed.")
    return tuple(Stance.OPEN if i in opens else Stance.CLOSED if i in closeds else None for i in range(count))


def build_spec(
    *,
    question: str,
    answers: Sequence[str],
    duration_hours: int,
    multiple: bool,
    mode: PollMode,
    open_answers: Iterable[int] = (),
    closed_answers: Iterable[int] = (),
) -> PollSpec:
    """A poll exactly as asked, or `PollError` naming the limit that was broken (nothing is shortened)."""
    question = clean(question)
    cleaned = [clean(answer) for answer in answers]
    if not question:
        raise PollError("The question is empty.")
    if len(question) > QUESTION_MAX:
        raise PollError(
            f"The question is {len(question)} characters long; Discord allows at most {QUESTION_MAX}."
        )
    if any(not answer for answer in cleaned):
        raise PollError("One of the answers is empty.")
    if not ANSWERS_MIN <= len(cleaned) <= ANSWERS_MAX:
        raise PollError(
            f"A poll needs {ANSWERS_MIN} to {ANSWERS_MAX} answers; you gave {len(cleaned)} "
            "(separate answers with `|`)."
        )
    for number, answer in enumerate(cleaned, start=1):
        if len(answer) > ANSWER_MAX:
            raise PollError(
                f"Answer {number} is {len(answer)} characters long; Discord allows at most {ANSWER_MAX}."
            )
    lowered = [answer.casefold() for answer in cleaned]
    if len(set(lowered)) != len(lowered):
        raise PollError("Two answers are the same; each answer must be different.")
    if not DURATION_MIN_HOURS <= duration_hours <= DURATION_MAX_HOURS:
        raise PollError(
            f"The duration must be between {DURATION_MIN_HOURS} hour and {DURATION_MAX_HOURS} hours "
            "(32 days)."
        )
    return PollSpec(
        question=question,
        answers=tuple(cleaned),
        stances=stances_for(len(cleaned), open_answers, closed_answers),
        duration_hours=duration_hours,
        multiple=multiple,
        mode=mode,
    )


def spec_from_suggestion(
    suggestion: SuggestionLike | None, *, duration_hours: int, mode: PollMode
) -> PollSpec:
    """The episode poll: the digest's question made to fit (cut, deduplicated), or the default one.

    A digest is written by a model, so its suggestion is repaired rather than refused; when it cannot be
    repaired (too few distinct answers) the default open-versus-closed question is used instead.
    """
    if suggestion is not None:
        try:
            return _repair(suggestion, duration_hours=duration_hours, mode=mode)
        except (PollError, TypeError, ValueError) as exc:
            log.warning("digest poll suggestion unusable, using the default question: %s", exc)
    return _repair(DEFAULT_SUGGESTION, duration_hours=duration_hours, mode=mode)


def _repair(suggestion: SuggestionLike, *, duration_hours: int, mode: PollMode) -> PollSpec:
    question = truncate(clean(str(suggestion.question)), QUESTION_MAX)
    kept: list[str] = []
    index_map: dict[int, int] = {}
    for index, raw in enumerate(suggestion.answers):
        answer = truncate(clean(str(raw)), ANSWER_MAX)
        if not answer or answer.casefold() in {k.casefold() for k in kept} or len(kept) == ANSWERS_MAX:
            continue
        index_map[index] = len(kept)
        kept.append(answer)
    opens = [index_map[i] for i in suggestion.open_answers if i in index_map]
    closeds = [
        index_map[i] for i in suggestion.closed_answers if i in index_map and index_map[i] not in opens
    ]
    return build_spec(
        question=question,
        answers=kept,
        duration_hours=max(DURATION_MIN_HOURS, min(DURATION_MAX_HOURS, duration_hours)),
        multiple=False,
        mode=mode,
        open_answers=opens,
        closed_answers=closeds,
    )
