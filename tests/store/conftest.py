"""Every test here that takes `store` runs on SQLite and on PostgreSQL."""

from tests.postgres import postgres_server, postgres_url, store_on_both_engines  # noqa: F401
