"""Telling a guild's moderators that announcements need them: the mod-log channel, else the owner's DMs.

Alerts go through an outbox (`bot.store.alerts`), like announcements: each alert is recorded before it is
sent and carries a deterministic nonce, so

- a transient Discord error (5xx, 429, a timeout, a dropped connection) leaves it pending, retried with
  bounded exponential backoff by `retry_due` (the announcer's delivery loop calls it), after a restart too;
  in a fleet only the process owning the guild retries it, and each attempt is claimed in the store first;
- a permanent refusal of the mod-log channel (403, 404) falls back to the owner's DMs at once;
- when both refuse for good (or the retries run out) the alert is kept as `failed` with its errors, logged
  as an error, and shown by `/admin status`: never lost silently.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import aiohttp
import discord

from bot.announce.delivery import ErrorKind, backoff, classify, describe_error
from bot.errors import NO_MENTIONS
from bot.render.limits import MESSAGE_CONTENT
from bot.render.text import truncate
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from bot.fleet import Topology
    from bot.store import Store
    from bot.store.alerts import Alert

log = logging.getLogger(__name__)

#: Attempts before a transiently failing alert is given up (with backoff: about an hour in all).
MAX_ALERT_ATTEMPTS = 8
SEND_ERRORS = (discord.HTTPException, TimeoutError, aiohttp.ClientError, OSError)


class Retry(Exception):
    """A transient failure: the alert stays pending and is tried again later."""


class Alerts:
    """Sends health alerts. Never raises: a failure to alert is recorded, and the caller's state is kept."""

    def __init__(
        self,
        client: discord.Client,
        store: Store,
        *,
        retry_base: float = 30.0,
        max_attempts: int = MAX_ALERT_ATTEMPTS,
        clock: Callable[[], datetime] = utcnow,
        topology: Topology | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.topology = topology
        self.retry_base = retry_base
        self.max_attempts = max_attempts
        self.clock = clock

    async def notify(self, guild_id: int, text: str) -> str:
        """Alert the moderators of `guild_id`. Returns where it went: "mod-log", "owner", "queued" (a
        transient error: retried later by `retry_due`) or "nobody" (refused for good, kept as failed)."""
        text = truncate(text, MESSAGE_CONTENT)
        try:
            alert = await self.store.alerts.add(guild_id, text)
        except Exception:
            log.exception("could not record an alert for guild %s: %s", guild_id, text)
            return "nobody"
        return await self.attempt(alert)

    async def retry_due(self) -> int:
        """Try again every pending alert whose time has come, of the guilds this process owns (each alert
        claimed first, so two processes never both retry it); returns how many were delivered."""
        delivered = 0
        guilds = self.topology.guild_filter() if self.topology is not None else ("1 = 1", ())
        for alert in await self.store.alerts.due(self.clock(), guilds=guilds):
            if await self.attempt(alert) in ("mod-log", "owner"):
                delivered += 1
        return delivered

    async def attempt(self, alert: Alert) -> str:
        """One try at delivering a recorded alert: the mod-log channel, else the owner's DMs."""
        repo = self.store.alerts
        if not await repo.begin_attempt(alert.id, now=self.clock()):
            return "queued"  # another process (or task) is trying it now
        errors: list[str] = []
        try:
            where, message_id = await self._deliver(alert, errors)
        except Retry as retry:
            return await self._later(alert, str(retry))
        if where is not None:
            await repo.record_sent(alert.id, where, message_id)
            if alert.attempts:
                log.info(
                    "alert %s for guild %s delivered after %d retries",
                    alert.id,
                    alert.guild_id,
                    alert.attempts,
                )
            return where
        error = "; ".join(errors) or "no way to reach the moderators"
        await repo.record_failed(alert.id, error)
        log.error("no way to alert the moderators of guild %s (%s): %s", alert.guild_id, error, alert.text)
        return "nobody"

    async def _deliver(self, alert: Alert, errors: list[str]) -> tuple[str | None, int | None]:
        """Where the alert went and its message id; permanent refusals are added to `errors`."""
        settings = await self.store.guilds.get(alert.guild_id)
        if settings.mod_log_channel_id is not None:
            try:
                message = await self._to_mod_log(settings.mod_log_channel_id, alert)
            except SEND_ERRORS as exc:
                self._permanent_or_retry("mod-log", exc, errors)
            else:
                if message is not None:
                    return "mod-log", message.id
                errors.append("mod-log: not a text channel of this server")
        guild = self.client.get_guild(alert.guild_id)
        if guild is None or guild.owner_id is None:
            errors.append("owner DM: the server or its owner is unknown")
            return None, None
        try:
            owner = guild.owner or await guild.fetch_member(guild.owner_id)
            dm = await owner.send(
                f"**{truncate(guild.name, 100)}** (no mod-log channel I can post in, so I am telling you as "
                f"the server owner; a moderator can set one with `/admin modlog`):\n{alert.text}"[
                    :MESSAGE_CONTENT
                ],
                allowed_mentions=NO_MENTIONS,
                nonce=alert.nonce,
            )
        except SEND_ERRORS as exc:
            self._permanent_or_retry("owner DM", exc, errors)
            return None, None
        return "owner", dm.id

    async def _to_mod_log(self, channel_id: int, alert: Alert) -> discord.Message | None:
        channel = self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)
        if (
            not isinstance(channel, discord.TextChannel | discord.Thread)
            or channel.guild.id != alert.guild_id
        ):
            return None  # never post one server's alert in another server's channel
        return await channel.send(alert.text, allowed_mentions=NO_MENTIONS, nonce=alert.nonce)

    @staticmethod
    def _permanent_or_retry(where: str, exc: BaseException, errors: list[str]) -> None:
        text = f"{where}: {describe_error(exc)}"
        if classify(exc) is ErrorKind.TRANSIENT:
            raise Retry(text) from exc
        log.warning("alert refused by the %s: %s", where, text)
        errors.append(text)

    async def _later(self, alert: Alert, error: str) -> str:
        attempts = alert.attempts + 1
        if attempts >= self.max_attempts:
            await self.store.alerts.record_failed(alert.id, f"gave up after {attempts} attempts: {error}")
            log.error(
                "gave up alerting guild %s after %d attempts (%s): %s",
                alert.guild_id,
                attempts,
                error,
                alert.text,
            )
            return "nobody"
        retry_at = self.clock() + backoff(attempts, self.retry_base)
        await self.store.alerts.record_retry(alert.id, error, retry_at)
        log.warning(
            "alert %s for guild %s failed (%s); retry %d at %s",
            alert.id,
            alert.guild_id,
            error,
            attempts,
            retry_at,
        )
        return "queued"
