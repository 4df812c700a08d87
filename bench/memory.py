"""Resident memory of the running bot: `python -m bot run` connected to the Discord protocol
double with 100 guilds, on a store of 10,000 episodes, once it is ready, has polled its podcast feed and
is idle (target ≤ 150 MB).

The baseline is the bare interpreter with discord.py imported, measured in the same run: the floor any
discord.py bot starts from. The ratio shows what the bot adds on top; the target is absolute. How the
processes are run is described in `bench/_session.py`.
"""

from __future__ import annotations

from bench._session import session
from bench.core import Figure

LIMIT_MB = 150.0


def figure_resident_memory(quick: bool) -> Figure:
    """RSS of the idle bot with 100 guilds and 10,000 episodes, against `python -c "import discord"`."""
    s = session(quick)
    return Figure(
        name=f"memory: bot RSS, {s.guilds} guilds + {s.episodes:,} episodes",
        value=s.bot_rss,
        baseline=s.import_rss,
        unit="MB",
        target=None,
        direction="lower",
        limit=LIMIT_MB,
        note=(
            f"median of {len(s.bots) + 1} idle bots vs {len(s.imports)} bare interpreters with discord.py; "
            f"a bare discord.Client connected to the same {s.guilds} guilds: {s.client_rss:.0f} MB"
        ),
    )
