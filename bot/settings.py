"""Settings read from the environment and `.env`.

Built in `main()` (never at import time) so tests can build their own. Tokens are `SecretStr`, so they
never appear in a repr, a log line or an error message.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PODCAST_FEED = "https://anchor.fm/s/f7cac464/podcast/rss"
NEWSLETTER_FEED = "https://rss.beehiiv.com/feeds/zHQNXhJBOG.xml"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def _check_url(value: str | None, schemes: tuple[str, ...]) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"must be a {' or '.join(schemes)} URL, got {value!r}")
    try:
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError as exc:
        raise ValueError(f"has an invalid port: {value!r}") from exc
    return value


class Settings(BaseSettings):
    """Every knob of the bot. Each field maps to the upper-case environment variable of the same name."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        validate_default=True,
    )

    # Discord
    discord_token: SecretStr | None = None
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    guild_ready_timeout: float = Field(default=2.0, ge=0, le=60)

    # LLM
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    llm_timeout: float = Field(default=60.0, gt=0, le=600)
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    # None: the context is learned from the server (model metadata, or its refusal of a request too long)
    llm_context_tokens: int | None = Field(default=None, ge=1000, le=1_000_000)
    llm_daily_token_budget: int = Field(default=200_000, ge=0)

    # Storage
    database_path: Path = Path("data/bot.sqlite3")
    poll_secret: SecretStr | None = None

    # Feeds
    podcast_feed_url: str = PODCAST_FEED
    newsletter_feed_url: str = NEWSLETTER_FEED
    feed_poll_interval: float = Field(default=600.0, gt=0, le=86_400)
    feed_allow_private_hosts: bool = False
    feed_max_concurrency: int = Field(default=4, ge=1, le=64)
    feed_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    feed_timeout: float = Field(default=30.0, gt=0, le=600)
    announce_window_days: float = Field(default=7.0, gt=0)
    feed_daily_cap: int = Field(default=20, ge=1, le=1000)
    feed_failing_after: int = Field(default=3, ge=1, le=100)

    # Thread tracking
    tracker_flush_interval: float = Field(default=5.0, gt=0, le=600)

    # Freshness: the feed schedule (learned publishing windows) and the announcement fan-out
    feed_poll_budget: float = Field(default=0.0, ge=0, le=17_280)  # requests/feed/day; 0 = 86400/interval
    feed_schedule_min_interval: float = Field(default=30.0, ge=5, le=86_400)
    feed_schedule_max_interval: float = Field(default=3600.0, ge=60, le=86_400)
    feed_schedule_learn: bool = True
    feed_push_poll_interval: float = Field(default=3600.0, ge=60, le=86_400)
    announce_concurrency: int = Field(default=8, ge=1, le=50)
    announce_retry_base: float = Field(default=2.0, gt=0, le=3600)
    announce_retry_max: float = Field(default=900.0, gt=0, le=86_400)

    # /ask: answers from the archive (bot.ask)
    ask_cooldown_seconds: float = Field(default=30.0, ge=0, le=86_400)
    ask_daily_cap: int = Field(default=200, ge=1, le=100_000)
    ask_max_passages: int = Field(default=6, ge=1, le=20)

    log_level: LogLevel = "INFO"

    # Operators' HTTP surface (/healthz, /readyz, /metrics) and WebSub push
    http_port: int | None = Field(default=None, ge=0, le=65535)
    http_host: str = "127.0.0.1"
    public_url: str | None = None
    websub_lease_seconds: int = Field(default=7 * 86_400, ge=300, le=365 * 86_400)

    # Scaling: the store's engine, and which gateway shards this process runs (docs/scaling.md)
    database_url: str | None = None
    database_pool_size: int = Field(default=10, ge=1, le=500)
    shard_count: int | None = Field(default=None, ge=1, le=10_000)
    shard_ids: str | None = None

    # Scaling: feed polling by one leader at a time, through a lease in the database (docs/scaling.md)
    leader_lease_seconds: int = Field(default=30, ge=5, le=300)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme.split("+")[0] not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("must be sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE")
        if scheme == "sqlite" and not value.startswith("sqlite:///"):
            raise ValueError("a SQLite URL is sqlite:///relative/path or sqlite:////absolute/path")
        try:
            urlsplit(value).port  # noqa: B018  (raises on a malformed port)
        except ValueError as exc:
            raise ValueError("has an invalid port") from exc
        return value

    @field_validator("shard_count", mode="before")
    @classmethod
    def _blank_count(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("shard_ids")
    @classmethod
    def _shard_ids(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = [part.strip() for part in value.split(",")]
        if not all(part.isdigit() for part in parts):
            raise ValueError(f"must be shard numbers separated by commas, such as 0,1; got {value!r}")
        numbers = [int(part) for part in parts]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"names a shard twice: {value!r}")
        return ",".join(str(n) for n in numbers)

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        ids = self.shards
        if ids is not None:
            if self.shard_count is None:
                raise ValueError("SHARD_IDS needs SHARD_COUNT (the number of shards of the whole bot)")
            outside = [n for n in ids if n >= self.shard_count]
            if outside:
                raise ValueError(
                    f"SHARD_IDS {outside[0]} is not a shard of SHARD_COUNT {self.shard_count} "
                    f"(shards are numbered 0 to {self.shard_count - 1})"
                )
        return self

    @property
    def shards(self) -> tuple[int, ...] | None:
        """The shard ids this process runs (None: every shard, or no sharding)."""
        return None if self.shard_ids is None else tuple(int(n) for n in self.shard_ids.split(","))

    @property
    def database(self) -> Path | str:
        """What `Store.open` takes: DATABASE_URL when set, else the SQLite file DATABASE_PATH."""
        return self.database_url or self.database_path

    @property
    def database_is_postgresql(self) -> bool:
        return self.database_url is not None and not self.database_url.startswith("sqlite")

    @field_validator(
        "discord_api_base", "openai_base_url", "podcast_feed_url", "newsletter_feed_url", "public_url"
    )
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return _check_url(value, ("http", "https"))

    @field_validator("discord_gateway_url")
    @classmethod
    def _ws_url(cls, value: str | None) -> str | None:
        return _check_url(value, ("ws", "wss"))

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "discord_token", "openai_api_key", "poll_secret", "http_port", "llm_context_tokens", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("poll_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < 16:
            raise ValueError("must be at least 16 bytes long (it keys the anonymous poll ballots)")
        return value

    @property
    def llm_configured(self) -> bool:
        """True when an OpenAI-compatible server is configured (a key, a base URL, or both)."""
        return self.openai_api_key is not None or self.openai_base_url is not None

    @property
    def websub_enabled(self) -> bool:
        """WebSub push needs both the HTTP server (its callback) and the public URL hubs reach it at."""
        return self.http_port is not None and self.public_url is not None

    @property
    def feed_urls(self) -> dict[str, str]:
        """The built-in feeds by their short name."""
        return {"podcast": self.podcast_feed_url, "newsletter": self.newsletter_feed_url}

    @property
    def feed_budget(self) -> float:
        """Requests per feed per day the schedule may spend: `FEED_POLL_BUDGET`, else fixed polling's."""
        return self.feed_poll_budget or 86_400 / self.feed_poll_interval

    def endpoint_is_local(self) -> bool:
        """Whether the Discord endpoints point at a loopback host (a protocol double)."""
        if not self.discord_api_base:
            return False
        host = urlsplit(self.discord_api_base).hostname or ""
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return host == "localhost"


class SettingsError(Exception):
    """A setting has a bad value; the message is one line naming the variable."""


def describe_validation_error(exc: ValidationError) -> str:
    """One line per bad variable, naming it as it is spelled in the environment."""
    lines = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]).upper() or "settings"
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{name}: {message}")
    return "; ".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, raising `SettingsError` with a readable line on bad values."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(f"invalid configuration: {describe_validation_error(exc)}") from None
