"""The moderators' audit log as the rest of the bot sees it: what one entry holds and how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.timeutil import utcnow

Outcome = Literal["ok", "refused", "failed"]
OUTCOMES: tuple[Outcome, ...] = ("ok", "refused", "failed")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One recorded action. `arguments` maps option names to their values rendered as text."""

    id: int
    guild_id: int
    user_id: int
    user_name: str
    command: str
    arguments: dict[str, str]
    outcome: Outcome
    detail: str | None
    channel_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewAuditEntry:
    """What the recorder knows about an action before it is stored."""

    guild_id: int
    user_id: int
    user_name: str
    command: str
    arguments: dict[str, str] = field(default_factory=dict)
    outcome: Outcome = "ok"
    detail: str | None = None
    channel_id: int | None = None
    created_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True, slots=True)
class RefusalSummary:
    """Refused attempts matching a filter, collapsed: how many, by how many people, the latest when."""

    count: int
    people: int
    latest: datetime | None


__all__ = ["OUTCOMES", "AuditEntry", "NewAuditEntry", "Outcome", "RefusalSummary"]
