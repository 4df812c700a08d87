"""PNG charts for poll results and the open-versus-closed trend, drawn off-screen with matplotlib (Agg).

No pyplot: each chart owns its own `Figure` and Agg canvas, so rendering is safe in a worker thread
(`asyncio.to_thread`) and never needs a display. matplotlib is imported on the first chart, not at
start-up: it costs ~40 MB and most of a second, and most runs of the bot draw no chart for hours.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.polls.models import Stance, Tally, TrendPoint

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

COLOURS = {Stance.OPEN: "#2e9e5b", Stance.CLOSED: "#c0392b", None: "#7f8c8d"}
LABEL_MAX = 40
DPI = 100


def _plain(text: str, limit: int = LABEL_MAX) -> str:
    """Text safe for a matplotlib label: `$` would start math mode, so it is escaped; long text is cut."""
    text = text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
    return text.replace("\\", "\\\\").replace("$", r"\$")


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _png(figure: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def results_chart(tally: Tally) -> bytes:
    """A horizontal bar per answer (first answer on top), coloured by stance, labelled with count and %."""
    answers = tally.answers
    figure = _new_figure(8, 1.2 + 0.55 * len(answers))
    axes = figure.add_subplot()
    labels = [f"{a.position}. {_plain(a.text)}" for a in answers]
    values = [a.votes for a in answers]
    rows = list(range(len(answers)))[::-1]
    axes.barh(rows, values, color=[COLOURS[a.stance] for a in answers], height=0.6)
    axes.set_yticks(rows, labels=labels)
    peak = max(values, default=0) or 1
    axes.set_xlim(0, peak * 1.3)
    for row, answer in zip(rows, answers, strict=True):
        axes.text(answer.votes + peak * 0.02, row, f"{answer.votes} ({answer.percent:.0f}%)", va="center")
    axes.set_xlabel("votes")
    axes.set_title(_plain(tally.poll.question, 90), loc="left", fontsize=11)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return _png(figure)


def trend_chart(points: Sequence[TrendPoint]) -> bytes:
    """The share of "open" votes (among open and closed ones) per poll over time, with the 50% line."""
    figure = _new_figure(9, 4.5)
    axes = figure.add_subplot()
    xs: Any = [point.at for point in points]  # matplotlib's stubs do not list datetimes
    shares = [point.open_share * 100 for point in points]
    axes.axhline(50, color=COLOURS[None], linestyle="--", linewidth=1)
    axes.fill_between(xs, shares, 50, where=[s >= 50 for s in shares], color=COLOURS[Stance.OPEN], alpha=0.15)
    axes.fill_between(
        xs, shares, 50, where=[s < 50 for s in shares], color=COLOURS[Stance.CLOSED], alpha=0.15
    )
    axes.plot(xs, shares, marker="o", color="#34495e")
    axes.set_ylim(0, 100)
    axes.set_ylabel('"open" share of votes (%)')
    axes.set_title("Open versus closed AI across episodes", loc="left", fontsize=11)
    figure.autofmt_xdate()
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return _png(figure)
