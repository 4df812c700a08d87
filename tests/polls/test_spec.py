from __future__ import annotations

import pytest

from bot.polls.models import PollMode, PollSuggestion, Stance
from bot.polls.spec import (
    DEFAULT_SUGGESTION,
    PollError,
    build_spec,
    parse_indices,
    spec_from_suggestion,
    split_answers,
)


def spec(**overrides):
    values = dict(
        question="Who is ahead?",
        answers=["Open", "Closed"],
        duration_hours=24,
        multiple=False,
        mode=PollMode.NATIVE,
    )
    values.update(overrides)
    return build_spec(**values)


def test_a_valid_poll_keeps_what_the_moderator_typed() -> None:
    built = spec(answers=["Open weights", "Closed models", "Unsure"], open_answers=[0], closed_answers=[1])
    assert built.answers == ("Open weights", "Closed models", "Unsure")
    assert built.stances == (Stance.OPEN, Stance.CLOSED, None)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"question": "x" * 301}, "301 characters long; Discord allows at most 300"),
        ({"answers": ["ok", "y" * 56]}, "Answer 2 is 56 characters long; Discord allows at most 55"),
        ({"answers": ["only one"]}, "needs 2 to 10 answers; you gave 1"),
        ({"answers": [str(i) for i in range(11)]}, "you gave 11"),
        ({"answers": ["Same", "same"]}, "Two answers are the same"),
        ({"duration_hours": 769}, "between 1 hour and 768 hours"),
        ({"duration_hours": 0}, "between 1 hour and 768 hours"),
        ({"question": "   "}, "The question is empty"),
        ({"open_answers": [0], "closed_answers": [0]}, "cannot count as both open and closed"),
    ],
)
def test_limits_are_refused_with_a_clear_message(overrides: dict, message: str) -> None:
    with pytest.raises(PollError, match=message):
        spec(**overrides)


def test_answers_and_numbers_are_parsed_as_typed() -> None:
    assert split_answers("Open weights | Closed, proprietary |  | Neither") == [
        "Open weights",
        "Closed, proprietary",
        "Neither",
    ]
    assert parse_indices("1, 3", 3, "open") == [0, 2]
    with pytest.raises(PollError, match="from 1 to 3"):
        parse_indices("4", 3, "open")


def test_mentions_in_questions_never_ping() -> None:
    built = spec(question="@everyone who wins?", answers=["<@123>", "Closed"])
    assert "@everyone" not in built.question
    assert "<@123>" not in built.answers[0]


def test_a_long_digest_suggestion_is_repaired_not_refused() -> None:
    suggestion = PollSuggestion(
        question="q " * 400,
        answers=[
            "Open weights win " * 10,
            "Closed labs lead",
            "closed labs lead",
            "",
            *[f"a{i}" for i in range(12)],
        ],
        open_answers=[0],
        closed_answers=[1, 2],
    )
    built = spec_from_suggestion(suggestion, duration_hours=48, mode=PollMode.ANONYMOUS)
    assert len(built.question) <= 300 and built.question.endswith("…")
    assert len(built.answers) == 10
    assert all(len(answer) <= 55 for answer in built.answers)
    assert built.answers[1] == "Closed labs lead"  # the duplicate was dropped
    assert built.stances[:2] == (Stance.OPEN, Stance.CLOSED)
    assert built.mode is PollMode.ANONYMOUS and built.duration_hours == 48


def test_an_unusable_suggestion_falls_back_to_the_default_question() -> None:
    broken = PollSuggestion(question="Only one answer?", answers=["yes", "YES"], open_answers=[0])
    assert (
        spec_from_suggestion(broken, duration_hours=24, mode=PollMode.NATIVE).question
        == DEFAULT_SUGGESTION.question
    )
    assert spec_from_suggestion(None, duration_hours=24, mode=PollMode.NATIVE).stances == (
        Stance.OPEN,
        Stance.CLOSED,
        None,
    )
