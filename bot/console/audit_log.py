"""The moderators' audit log as a use case: record an action, read a page of it, suggest command names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.audit_entries import AuditEntry, NewAuditEntry, Outcome, RefusalSummary
    from bot.store import Store


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of a guild's audit log under a filter, and the refused attempts the page leaves out."""

    entries: list[AuditEntry]
    page: int
    pages: int
    total: int
    refusals: RefusalSummary | None


class AuditService:
    """Records moderator actions and reads them back, always within one guild."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def record(self, entry: NewAuditEntry) -> None:
        await self.store.audit.record(entry)

    async def mod_log_channel(self, guild_id: int) -> int | None:
        """Where the guild's actions are echoed (None: nowhere)."""
        return (await self.store.guilds.get(guild_id)).mod_log_channel_id

    async def page(
        self,
        guild_id: int,
        *,
        user_id: int | None,
        command: str | None,
        outcomes: Sequence[Outcome],
        page: int,
        page_size: int,
        with_refusals: bool,
    ) -> AuditPage:
        """Page `page` (1-based, clamped to the last one) of the entries matching the filter, newest first."""
        repo = self.store.audit
        total = await repo.count(guild_id, user_id=user_id, command=command, outcomes=outcomes)
        pages = max(1, -(-total // page_size))
        page = min(page, pages)
        entries = await repo.recent(
            guild_id,
            limit=page_size,
            offset=(page - 1) * page_size,
            user_id=user_id,
            command=command,
            outcomes=outcomes,
        )
        refusals = await repo.refusals(guild_id, user_id=user_id, command=command) if with_refusals else None
        return AuditPage(list(entries), page, pages, total, refusals)

    async def commands(self, guild_id: int, prefix: str) -> list[str]:
        """Command names recorded in this guild that start with `prefix` (for autocomplete)."""
        return list(await self.store.audit.commands(guild_id, prefix))
