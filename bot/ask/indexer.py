"""Keeping passages in step with the archive: drain the rebuild queue the triggers of migration 0010 fill.

Every item whose notes, transcript or digest changed (and, right after the migration, every item of the
archive) is queued in the database; `drain` rebuilds the passages of queued items in batches. The `/ask` cog
drains in the background after start-up and every minute, and before each question (briefly); the CLI
drains before it answers. Cutting text is CPU work, done off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from bot.ask.passages import NewPassage, from_cues, from_text
from bot.digest.cues import cues_from_json

if TYPE_CHECKING:
    from bot.store.ask import AskRepo, ItemSources

log = logging.getLogger(__name__)

BATCH = 100


def build(sources: ItemSources) -> list[NewPassage]:
    """An item's passages: its transcript (timed when it had cues), its notes, then its digest."""
    passages: list[NewPassage] = []
    cues = cues_from_json(sources.cues)
    if cues:
        passages.extend(from_cues(cues))
    elif sources.transcript:
        passages.extend(from_text(sources.transcript, "transcript"))
    if sources.notes.strip():
        passages.extend(from_text(sources.notes, "notes"))
    if sources.digest and sources.digest.strip():
        passages.extend(from_text(sources.digest, "digest"))
    return passages


def _build_all(batch: list[ItemSources]) -> dict[int, list[NewPassage]]:
    return {sources.item_id: build(sources) for sources in batch}


async def drain(repo: AskRepo, *, seconds: float | None = None, batch: int = BATCH) -> int:
    """Rebuild queued items until the queue is empty (or `seconds` have passed); returns how many."""
    deadline = None if seconds is None else time.monotonic() + seconds
    done = 0
    while True:
        queued = await repo.pending(batch)
        if not queued:
            break
        sources = await repo.sources([item_id for item_id, _ in queued])
        built = await asyncio.to_thread(_build_all, sources)
        await repo.replace(built, queued)
        done += len(queued)
        if deadline is not None and time.monotonic() >= deadline:
            break
    if done:
        log.info("ask: passages rebuilt for %d items", done)
    return done
