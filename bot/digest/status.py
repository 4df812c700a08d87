"""The LLM server lines of `/admin digest status`: learned context, output mode, success, failures."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.render.text import truncate
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from bot.digest.server import ResponseMode, ServerProfile
    from bot.store.llm_servers import LLMServerRepo

WINDOW = timedelta(days=7)
CAUSE_NAMES = {
    "context": "context",
    "cut_off": "cut off",
    "invalid": "invalid",
    "timeout": "timeout",
    "http": "HTTP",
}
MODE_NAMES = {
    "json_schema": "json_schema (strict schema)",
    "json_object": "json_object with the schema beside it",
    "text": "plain JSON in text (the server takes no response_format)",
}


async def status_report(servers: LLMServerRepo, profile: ServerProfile, mode: ResponseMode) -> list[str]:
    """Lines for moderators: what the bot knows of the server, and how its LLM digests went this week."""
    since = utcnow() - WINDOW
    confirmed = profile.response_mode is not None
    lines = [
        f"LLM server: {profile.base_url} · model {profile.model} · context {profile.describe_context()}.",
        "Structured output: "
        + (MODE_NAMES[mode] if confirmed else f"not negotiated yet (will try {MODE_NAMES[mode]} first)")
        + ".",
    ]
    outcomes = await servers.outcomes_since(since)
    if outcomes.rate is None:
        lines.append("LLM success rate, last 7 days: no LLM digest attempted.")
    else:
        lines.append(
            f"LLM success rate, last 7 days: {outcomes.succeeded} of {outcomes.attempts} digests "
            f"({outcomes.rate:.0%}), {outcomes.requests / outcomes.attempts:.1f} requests per digest."
        )
    failures = {f.cause: f for f in await servers.failures_since(since)}
    counts = ", ".join(
        f"{name} {failures[cause].count if cause in failures else 0}" for cause, name in CAUSE_NAMES.items()
    )
    lines.append(f"Failed requests, last 7 days: {counts}.")
    for cause, name in CAUSE_NAMES.items():
        if cause in failures:
            last = failures[cause]
            stamp = int(last.last_at.timestamp())
            lines.append(f"· last {name} failure <t:{stamp}:R>: {truncate(last.last_detail, 200)}")
    return lines
