"""Wake-ups between processes on PostgreSQL: one dedicated connection LISTENing for the whole process.

A transaction signals a channel with `pg_notify` (`PgTransaction.notify`); PostgreSQL delivers the signal
when it commits, to every connection listening on the channel, in every process. Each process keeps one
connection of its own for that (outside the pool, since a pooled connection is lent to other work), named
`aidb-listener` in `pg_stat_activity`. When it is lost (the server restarted, a network cut, an
administrator ended it) it is opened again with backoff, and every callback is called once, since a signal
sent meanwhile went unheard. A quiet connection is checked every `keepalive` seconds, so a dead one is
noticed even when the operating system did not say. Signals are only a prompt: the loops they wake still
poll on their interval, so a missed one delays work, it never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

log = logging.getLogger(__name__)

APPLICATION_NAME = "aidb-listener"
CONNECT_TIMEOUT = 10.0
KEEPALIVE = 30.0
RECONNECT_MIN = 0.5
RECONNECT_MAX = 30.0
_FAILURES = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class PgListener:
    """Calls the callbacks registered for a channel when it is signalled. Started by the first `add`."""

    def __init__(self, dsn: str, name: str, *, keepalive: float = KEEPALIVE) -> None:
        self._dsn = dsn
        self._name = name  # the database as logs show it (no password)
        self._keepalive = keepalive
        self._callbacks: dict[str, list[Callable[[], None]]] = {}
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()  # between subscribing a channel and (re)connecting
        self._task: asyncio.Task[None] | None = None
        self._first_attempt = asyncio.Event()
        self._closed = False
        self.connections = 0  # how many times the connection was opened (tests, /admin status)

    @property
    def listening(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def add(self, channel: str, callback: Callable[[], None]) -> None:
        """Call `callback` (no arguments, on the event loop) whenever `channel` is signalled. The first call
        opens the connection and returns once it listens (or failed to connect: it keeps trying)."""
        if self._closed:
            return
        async with self._lock:
            new = channel not in self._callbacks
            self._callbacks.setdefault(channel, []).append(callback)
            if new and self.listening:
                assert self._conn is not None  # noqa: S101 (listening)
                try:
                    await self._conn.add_listener(channel, self._dispatch)
                except _FAILURES as exc:  # the connection is going: the reconnection subscribes it
                    log.warning("could not LISTEN on %s (%s); retrying with the connection", channel, exc)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="pg-listener")
        await self._first_attempt.wait()

    async def remove(self, channel: str, callback: Callable[[], None]) -> None:
        """Stop calling `callback` for `channel` (still listened to: a stray signal is harmless)."""
        callbacks = self._callbacks.get(channel, [])
        if callback in callbacks:
            callbacks.remove(callback)

    async def close(self) -> None:
        """Stop listening and close the connection (the store is closing)."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._drop()

    def _dispatch(self, _conn: object, _pid: int, channel: str, _payload: str) -> None:
        self._call(channel)

    def _call(self, channel: str | None = None) -> None:
        for name, callbacks in list(self._callbacks.items()):
            if channel is not None and name != channel:
                continue
            for callback in list(callbacks):
                try:
                    callback()
                except Exception:
                    log.exception("a wake-up callback for %s failed", name)

    async def _run(self) -> None:
        delay = RECONNECT_MIN
        while not self._closed:
            lost = asyncio.Event()
            try:
                await self._connect(lost)
            except _FAILURES as exc:
                log.warning(
                    "cannot listen for wake-ups on %s (%s); retrying in %.1f s, loops poll meanwhile",
                    self._name,
                    exc,
                    delay,
                )
                self._first_attempt.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX)
                continue
            self._first_attempt.set()
            if self.connections > 1:
                log.info("listening for wake-ups on %s again", self._name)
                self._call()  # a signal sent while the connection was down went unheard
            delay = RECONNECT_MIN
            await self._watch(lost)
            if not self._closed:
                log.warning("the wake-up connection to %s was lost; opening it again", self._name)
            await self._drop()

    async def _connect(self, lost: asyncio.Event) -> None:
        conn = await asyncpg.connect(
            self._dsn, timeout=CONNECT_TIMEOUT, server_settings={"application_name": APPLICATION_NAME}
        )
        try:
            conn.add_termination_listener(lambda _conn: lost.set())
            async with self._lock:
                for channel in self._callbacks:
                    await conn.add_listener(channel, self._dispatch)
                self._conn = conn
        except BaseException:
            conn.terminate()
            raise
        self.connections += 1

    async def _watch(self, lost: asyncio.Event) -> None:
        """Return when the connection is lost: closed under it, or not answering a check."""
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), timeout=self._keepalive)
                return
            conn = self._conn
            if conn is None or conn.is_closed():
                return
            try:
                await conn.fetchval("SELECT 1", timeout=CONNECT_TIMEOUT)
            except _FAILURES as exc:
                log.info("the wake-up connection does not answer (%s)", exc)
                return

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), timeout=2.0)
            except _FAILURES:
                conn.terminate()
            except BaseException:  # cancelled while closing: do not leave the connection open
                conn.terminate()
                raise
