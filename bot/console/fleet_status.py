"""The fleet part of `/admin status`: every live bot process, which one polls the feeds, and the lag.

Read from the fleet registry (each process's row and the status its heartbeat writes) and the
`feed-poller` lease. One process serving everything gets one short sentence; a fleet gets one line per
process (host:pid, shards, version, uptime, last heartbeat, gateway latency, outbox lag), the feed
poller, and a warning when no live process runs some shard (its servers are not served).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.fleet.registry import describe, runs_every_shard
from bot.render.limits import EMBED_FIELD_VALUE
from bot.render.text import truncate
from bot.timeutil import discord_timestamp

if TYPE_CHECKING:
    from bot.fleet.registry import FleetView
    from bot.store.fleet import ProcessRow

#: The most processes listed one per line; the rest are counted.
MAX_LISTED = 8
#: The most unserved shards named; the rest are counted.
MAX_UNSERVED = 20


@dataclass(frozen=True, slots=True)
class FleetField:
    name: str
    value: str


def _label(process_id: str, rows: list[ProcessRow]) -> str:
    for row in rows:
        if row.id == process_id:
            return f"{truncate(row.host, 40)}:{row.pid}"
    return truncate(process_id.rsplit(":", 1)[0], 48)  # host:pid of a holder not in the registry


def _latency(status: dict[str, Any]) -> str:
    known = [float(v) for v in (status.get("latency_ms") or {}).values() if v is not None]
    return f"{sum(known) / len(known):.0f} ms" if known else "latency unknown"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _lag(status: dict[str, Any]) -> str:
    lag = status.get("outbox_lag_seconds")
    if "outbox_lag_seconds" not in status:
        return "lag not reported yet"
    return "outbox up to date" if lag is None else f"outbox lag {_duration(float(lag))}"


def process_line(row: ProcessRow, *, me: str) -> str:
    this = " (this one)" if row.id == me else ""
    return (
        f"**{truncate(row.host, 40)}:{row.pid}**{this} · {describe(row.shard_count, row.shard_ids)} · "
        f"v{truncate(row.version, 20)} · up since {discord_timestamp(row.started_at, 'R')} · "
        f"beat {discord_timestamp(row.heartbeat_at, 'R')} · {_latency(row.status)} · {_lag(row.status)}"
    )


def unserved_shards(rows: list[ProcessRow]) -> list[int]:
    """Shards of the fleet's SHARD_COUNT that no live process runs."""
    if not rows or any(runs_every_shard(r.shard_count, r.shard_ids) for r in rows):
        return []
    count = max(r.shard_count or 1 for r in rows)
    served = {n for r in rows for n in r.shard_ids or ()}
    return [n for n in range(count) if n not in served]


def _leader_line(view: FleetView) -> str:
    lease = view.feed_leader
    if lease is None:
        return "Feed polling: no process holds the lease right now (one takes it at its next tick)."
    this = " (this one)" if lease.holder == view.me else ""
    return f"Feed polling: **{_label(lease.holder, view.processes)}**{this}, lease term {lease.term}."


def single_process(view: FleetView) -> bool:
    """Whether one process serves every guild (the default deployment): no list needed."""
    rows = view.processes
    return len(rows) <= 1 and all(runs_every_shard(r.shard_count, r.shard_ids) for r in rows)


def single_process_note(view: FleetView) -> str:
    polls = view.feed_leader is not None and view.feed_leader.holder == view.me
    return "One bot process serves every server" + (" and polls the feeds." if polls else ".")


def fleet_field(view: FleetView, limit: int = EMBED_FIELD_VALUE) -> FleetField:
    """The fleet as one embed field within Discord's limit: processes, the feed poller, unserved shards."""
    rows = view.processes
    tail = [_leader_line(view)]
    missing = unserved_shards(rows)
    if missing:
        listed = ",".join(map(str, missing[:MAX_UNSERVED])) + (
            f"… ({len(missing)} in all)" if len(missing) > MAX_UNSERVED else ""
        )
        tail.append(
            f"⚠️ No live process runs shard{'s' if len(missing) > 1 else ''} {listed}: "
            f"the servers on {'them' if len(missing) > 1 else 'it'} are not served."
        )
    budget = limit - sum(len(line) + 1 for line in tail)
    lines: list[str] = []
    for number, row in enumerate(rows[:MAX_LISTED]):
        line = truncate(process_line(row, me=view.me), 300)
        rest = len(rows) - number
        more = f"… and {rest} more process{'es' if rest > 1 else ''}"
        if sum(len(x) + 1 for x in lines) + len(line) + 1 + len(more) + 1 > budget:
            lines.append(more)
            break
        lines.append(line)
    else:
        if len(rows) > MAX_LISTED:
            lines.append(f"… and {len(rows) - MAX_LISTED} more processes")
    if not rows:
        lines.append("No process is registered (this one has not joined the fleet).")
    name = f"Fleet: {len(rows)} live process{'es' if len(rows) != 1 else ''}"
    return FleetField(name, truncate("\n".join([*lines, *tail]), limit))
