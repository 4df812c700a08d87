"""The data-access layer: every SQL statement of the bot lives in this package.

`Store` opens the database (migrating it), and exposes one repository per domain. Cogs and services call
repository methods; they never build SQL.
"""

from __future__ import annotations

from pathlib import Path

from bot.store.alerts import AlertRepo
from bot.store.announcements import AnnouncementRepo
from bot.store.ask import AskRepo
from bot.store.audit import AuditRepo
from bot.store.db import Database, DatabaseTooNew, MigrationError, StoreError
from bot.store.digests import DigestRepo
from bot.store.feeds import FeedRepo
from bot.store.guilds import GuildRepo
from bot.store.meta import MetaRepo
from bot.store.ops import OpsRepo
from bot.store.polls import PollRepo
from bot.store.search import SearchRepo
from bot.store.search_cards import CardRepo
from bot.store.threads import ThreadRepo
from bot.store.websub import WebSubRepo

__all__ = ["DatabaseTooNew", "MigrationError", "Store", "StoreError"]


class Store:
    """The bot's SQLite store: one connection, one repository per domain."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.meta = MetaRepo(db)
        self.guilds = GuildRepo(db)
        self.feeds = FeedRepo(db)
        self.announcements = AnnouncementRepo(db)
        self.digests = DigestRepo(db)
        self.polls = PollRepo(db)
        self.threads = ThreadRepo(db)
        self.audit = AuditRepo(db)
        self.search = SearchRepo(db)
        self.cards = CardRepo(db)
        self.alerts = AlertRepo(db)
        self.websub = WebSubRepo(db)
        self.ops = OpsRepo(db)
        self.ask = AskRepo(db)

    @classmethod
    async def open(cls, path: Path | str, *, apply_migrations: bool = True) -> Store:
        """Open (creating and migrating) the database at `path`."""
        return cls(await Database.open(path, apply_migrations=apply_migrations))

    async def close(self) -> None:
        await self.db.close()

    async def schema_version(self) -> int:
        return int(await self.db.fetchval("PRAGMA user_version"))
