"""Aware-UTC time helpers: one format in the database, Discord timestamps for people."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

TimestampStyle = Literal["t", "T", "d", "D", "f", "F", "R"]


def utcnow() -> datetime:
    """The current time, aware and in UTC."""
    return datetime.now(UTC)


def to_db(value: datetime | None) -> str | None:
    """Serialise an aware datetime for the store (ISO 8601, UTC, sortable as text)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored; attach a time zone first")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def from_db(value: str | None) -> datetime | None:
    """Parse a value written by `to_db` back into an aware UTC datetime."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def discord_timestamp(value: datetime, style: TimestampStyle = "f") -> str:
    """A Discord timestamp markup, so every reader sees the time in their own zone."""
    return f"<t:{int(value.timestamp())}:{style}>"
