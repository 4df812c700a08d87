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
from bot.store.db import Database, DatabaseTooNew, MigrationError, StoreError, open_database
from bot.store.digests import DigestRepo
from bot.store.feeds import FeedRepo
from bot.store.fleet import ProcessRepo
from bot.store.guilds import GuildRepo
from bot.store.leases import LeaseRepo
from bot.store.meta import MetaRepo
from bot.store.ops import OpsRepo
from bot.store.polls import PollRepo
from bot.store.search import SearchRepo
from bot.store.search_cards import CardRepo
from bot.store.threads import ThreadRepo
from bot.store.websub import WebSubRepo

__all__ = ["DatabaseTooNew", "MigrationError", "Store", "StoreError"]


class Store:
    """The bot's store, on SQLite (one connection) or PostgreSQL (a pool): one repository per domain."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.meta = MetaRepo(db)
        self.guilds = GuildRepo(db)
        self.leases = LeaseRepo(db)
        self.processes = ProcessRepo(db)
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
    async def open(cls, target: Path | str, *, apply_migrations: bool = True, pool_size: int = 10) -> Store:
        """Open (creating and migrating) the database at `target`: a SQLite file path, a `sqlite:///` URL or
        a `postgresql://` URL (`pool_size` connections at most)."""
        return cls(await open_database(target, apply_migrations=apply_migrations, pool_size=pool_size))

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self.db.dialect

    async def close(self) -> None:
        await self.db.close()

    async def schema_version(self) -> int:
        return await self.db.schema_version()
