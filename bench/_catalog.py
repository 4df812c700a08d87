"""The figures the benchmarks promise, so a run can say which of them no module provided."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Wanted:
    """A figure the issue asks for: provided by a `figure_*` function of `module` whose id or figure name
    matches `pattern` (case-insensitive)."""

    title: str
    module: str
    pattern: str

    def matches(self, module: str, function_id: str, figure_name: str) -> bool:
        if module != self.module:
            return False
        return any(re.search(self.pattern, text, re.IGNORECASE) for text in (function_id, figure_name))


WANTED = (
    Wanted("feed poll cycle, 50 unchanged feeds: CPU vs fetch-and-parse-everything (≥ 20× less)", "feeds",
           r"poll|cycle|unchanged"),
    Wanted("one new episode atop a 1,500-episode feed vs one full feedparser parse (≤ 0.2×)", "feeds",
           r"new.?episode|incremental|1[,_]?500|top|one.?new"),
    Wanted("thread tracker: message events/s vs one commit per event (≥ 20×)", "threads", r"ingest|rate"),
    Wanted("/search over 10,000 episodes: FTS5 vs LIKE scan (≥ 20×)", "search", r"fts.*like|search.*like"),
    Wanted("digest tokens of a one-hour transcript vs its size (≤ 1.3×), 0 on a cached re-run", "digest",
           r"token"),
    Wanted("digest quality on five real-style sources (beats, faithfulness, sponsor leakage, entity "
           "precision) vs a naive lead digest", "digest_quality", r"quality|beat|faithful|sponsor|entity"),
    Wanted("resident memory, 100 guilds + 10,000 episodes (≤ 150 MB) vs bare interpreter", "memory", r"."),
    Wanted("start-up to ready against the double vs a bare discord.py client", "startup", r"."),
    Wanted("publish → detect and → announced in every server: median ≤ 30 s, p95 ≤ 120 s (vs fixed 600 s)",
           "schedule", r"latency|detect"),
    Wanted("requests per feed per day vs fixed 600 s polling (≤ 1×)", "schedule", r"requests"),
    Wanted("/ask retrieval recall@3 on the evaluation set (≥ 0.9)", "ask", r"recall"),
    Wanted("/ask offline answer's citation accuracy (≥ 0.8)", "ask", r"citation|accuracy"),
    Wanted("/ask retrieval over 10,000 episodes, share of the 3 s deadline (≤ 0.05×)", "ask",
           r"retrieval.*3 s|deadline"),
    Wanted("fan-out of one episode to 1,000 guilds, one process vs two, as shares of the 50 requests/s "
           "global rate limit", "fleet", r"fan.?out"),
    Wanted("thread-tracker ingest, PostgreSQL vs SQLite", "fleet", r"ingest"),
    Wanted("/search latency, PostgreSQL vs SQLite", "fleet", r"search"),
    Wanted("autocomplete latency, PostgreSQL vs SQLite", "fleet", r"autocomplete"),
    Wanted("outbox claim (due_sends), PostgreSQL vs SQLite", "fleet", r"outbox|claim"),
    Wanted("failover: leader killed → first poll by the new leader, vs the lease (≤ 1 + tick/lease)", "fleet",
           r"failover"),
)  # fmt: skip


def missing(provided: Iterable[tuple[str, str, str]], selected: Iterable[str] | None = None) -> list[Wanted]:
    """The wanted figures that no (module, function id, figure name) in `provided` matches.

    `selected`, when given, limits the check to the wanted figures of those modules (a `--only` run).
    """
    seen = list(provided)
    modules = None if selected is None else set(selected)
    return [
        wanted
        for wanted in WANTED
        if (modules is None or wanted.module in modules)
        and not any(wanted.matches(module, fid, name) for module, fid, name in seen)
    ]
