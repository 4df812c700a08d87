from __future__ import annotations

import io
from datetime import timedelta

from matplotlib.image import imread

from bot.polls import charts
from bot.polls.models import AnswerResult, Poll, PollMode, PollStatus, Stance, Tally, TrendPoint
from bot.timeutil import utcnow

PNG = b"\x89PNG\r\n\x1a\n"


def tally(texts: list[str], votes: list[int]) -> Tally:
    now = utcnow()
    poll = Poll(
        id=1, guild_id=1, channel_id=1, message_id=1, item_id=None, mode=PollMode.ANONYMOUS,
        question="Who leads: $open$ or \\closed?", multiple=False, status=PollStatus.CLOSED, nonce="p1",
        created_by=None, created_at=now, closes_at=now, closed_at=now, results_message_id=None,
        finalized=False, answers=(),
    )  # fmt: skip
    total = sum(votes) or 1
    answers = tuple(
        AnswerResult(i + 1, text, [Stance.OPEN, Stance.CLOSED, None][i % 3], n, n / total * 100)
        for i, (text, n) in enumerate(zip(texts, votes, strict=True))
    )
    return Tally(poll=poll, answers=answers, voters=sum(votes), final=True)


def test_results_chart_is_a_png_that_grows_with_the_answers() -> None:
    small = charts.results_chart(tally(["Open", "Closed"], [3, 1]))
    large = charts.results_chart(
        tally([f"Answer {i} $x^{i}$ {'long ' * 20}" for i in range(10)], list(range(10)))
    )
    assert small.startswith(PNG) and large.startswith(PNG)
    assert imread(io.BytesIO(large)).shape[0] > imread(io.BytesIO(small)).shape[0]


def test_a_poll_without_votes_still_draws() -> None:
    assert charts.results_chart(tally(["Open", "Closed"], [0, 0])).startswith(PNG)


def test_trend_chart_draws_one_or_many_points() -> None:
    now = utcnow()
    points = [TrendPoint(i, f"q{i}", now + timedelta(days=i), i, 5) for i in range(6)]
    assert charts.trend_chart(points).startswith(PNG)
    assert charts.trend_chart(points[:1]).startswith(PNG)
