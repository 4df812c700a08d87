"""Helpers for fleet tests: a second process's view of the same database."""

from __future__ import annotations

from pathlib import Path

from bot.store import Store


async def second_store(store: Store, tmp_path: Path) -> Store:
    """Another `Store` on the database `store` uses (the `store` fixture's SQLite file, or its PostgreSQL
    database): what a second bot process would open."""
    target = store.db.path if store.dialect == "postgresql" else tmp_path / "store.sqlite3"
    return await Store.open(target, pool_size=2)
