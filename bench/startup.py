"""Start-up: wall time from spawning `python -m bot run` to its "ready as" log line, connected
to the Discord protocol double with 100 guilds on a store of 10,000 episodes.

The baseline is a bare `discord.Client` script doing the same connect (same intents, same double, same
`guild_ready_timeout`), timed the same way in the same run; both include interpreter start and imports.
The figure is the warm start, the steady state of every restart: the slash commands are synced only when
they changed, so only the first start on a database pays for a sync (reported in the note). The issue
sets no target; ≤ 3× is this suite's guard rail, so an eager import or a sync on every start shows up.
How the processes are run is described in `bench/_session.py`.
"""

from __future__ import annotations

from bench._session import session
from bench.core import Figure

TARGET_RATIO = 3.0


def figure_ready_time(quick: bool) -> Figure:
    """Seconds from process start to ready (warm start), against a bare discord.py client."""
    s = session(quick)
    return Figure(
        name=f"start-up: spawn to ready, {s.guilds} guilds (warm)",
        value=s.bot_ready,
        baseline=s.client_ready,
        unit="s",
        target=TARGET_RATIO,
        direction="lower",
        note=(
            f"median of {len(s.bots)} bots, {len(s.clients)} clients; CPU to ready {s.bot_cpu:.2f} s vs "
            f"{s.client_cpu:.2f} s; first start on a new database ({s.cold_syncs} command sync): "
            f"{s.cold.ready_s:.2f} s; warm starts synced {s.warm_syncs} times"
        ),
    )
