"""The gateway websocket: HELLO, IDENTIFY/READY, heartbeats, RESUME with replay, and intent-aware dispatch."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import payloads
from .constants import Intents

if TYPE_CHECKING:
    from .server import DiscordDouble

log = logging.getLogger(__name__)

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE, OP_VOICE = 0, 1, 2, 3, 4
OP_RESUME, OP_RECONNECT, OP_REQUEST_MEMBERS, OP_INVALID_SESSION, OP_HELLO, OP_ACK = 6, 7, 8, 9, 10, 11
PRIVILEGED = Intents.GUILD_MEMBERS | Intents.GUILD_PRESENCES | Intents.MESSAGE_CONTENT
REPLAY_BUFFER = 10_000

#: Which intent an event needs; ``None`` means it is always sent. Message events pick guild/DM at runtime.
_GUILD_EVENTS = (
    "GUILD_CREATE",
    "GUILD_UPDATE",
    "GUILD_DELETE",
    "GUILD_ROLE_CREATE",
    "GUILD_ROLE_UPDATE",
    "GUILD_ROLE_DELETE",
    "CHANNEL_CREATE",
    "CHANNEL_UPDATE",
    "CHANNEL_DELETE",
    "CHANNEL_PINS_UPDATE",
    "THREAD_CREATE",
    "THREAD_UPDATE",
    "THREAD_DELETE",
    "THREAD_LIST_SYNC",
    "THREAD_MEMBER_UPDATE",
)
_MEMBER_EVENTS = ("GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE", "THREAD_MEMBERS_UPDATE")
_MESSAGE_EVENTS = ("MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK")
_REACTION_EVENTS = ("MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE")
_POLL_EVENTS = ("MESSAGE_POLL_VOTE_ADD", "MESSAGE_POLL_VOTE_REMOVE")


def required_intent(event: str, data: dict[str, Any], bot_id: int) -> int | None:
    in_guild = "guild_id" in data and data["guild_id"] is not None
    if event in _GUILD_EVENTS:
        return Intents.GUILDS
    if event == "GUILD_MEMBER_UPDATE" and int(data["user"]["id"]) == bot_id:
        return None  # updates to the bot's own member are always sent
    if event == "THREAD_MEMBERS_UPDATE":
        touched = [int(m["user_id"]) for m in data.get("added_members") or []]
        touched += [int(u) for u in data.get("removed_member_ids") or []]
        if bot_id in touched:
            return Intents.GUILDS  # the bot joining or leaving a thread only needs GUILDS
    if event in _MEMBER_EVENTS:
        return Intents.GUILD_MEMBERS
    if event in _MESSAGE_EVENTS:
        return Intents.GUILD_MESSAGES if in_guild else Intents.DIRECT_MESSAGES
    if event in _REACTION_EVENTS:
        return Intents.GUILD_MESSAGE_REACTIONS if in_guild else 1 << 13
    if event in _POLL_EVENTS:
        return Intents.GUILD_MESSAGE_POLLS if in_guild else Intents.DIRECT_MESSAGE_POLLS
    return None


def strip_content(data: dict[str, Any], bot_id: int) -> dict[str, Any]:
    """What a bot without the MESSAGE_CONTENT intent sees of somebody else's guild message."""
    author = (data.get("author") or {}).get("id")
    mentioned = any(int(m["id"]) == bot_id for m in data.get("mentions") or [])
    if author is None or int(author) == bot_id or mentioned or data.get("guild_id") is None:
        return data
    stripped = dict(data, content="", embeds=[], attachments=[], components=[])
    stripped.pop("poll", None)
    return stripped


@dataclass
class DispatchedEvent:
    name: str
    data: dict[str, Any]


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    request: web.Request
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    session: Session | None = None
    writer: asyncio.Task[None] | None = None

    def send(self, frame: dict[str, Any] | str) -> None:
        self.queue.put_nowait(frame if isinstance(frame, str) else json.dumps(frame))

    async def write_loop(self) -> None:
        while (frame := await self.queue.get()) is not None:
            if self.ws.closed:
                return
            try:
                await self.ws.send_str(frame)
            except (ConnectionError, RuntimeError):
                return


@dataclass(eq=False)
class Session:
    id: str
    intents: int
    shard: tuple[int, int] | None = None
    seq: int = 0
    buffer: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=REPLAY_BUFFER))
    connection: Connection | None = None
    invalidated: bool = False
    #: The double's port the session identified on (several clients: see `DiscordDouble.add_address`).
    port: int | None = None

    def send(self, event: str, data: dict[str, Any]) -> None:
        self.seq += 1
        frame = json.dumps({"op": OP_DISPATCH, "t": event, "s": self.seq, "d": data})
        self.buffer.append((self.seq, frame))
        if self.connection is not None:
            self.connection.send(frame)

    def sees_guild(self, guild_id: int) -> bool:
        return self.shard is None or (guild_id >> 22) % self.shard[1] == self.shard[0]


class Gateway:
    def __init__(self, double: DiscordDouble, *, heartbeat_interval: float) -> None:
        self.double = double
        self.heartbeat_interval = heartbeat_interval
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.events: list[DispatchedEvent] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.presences: list[dict[str, Any]] = []
        #: Intents the application may use (the Developer Portal toggles); others close with 4014.
        self.allowed_privileged = PRIVILEGED
        #: Cleared by `hold_connections()`: new connections wait (an outage) until it is set again.
        self.accepting = asyncio.Event()
        self.accepting.set()

    @property
    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if not s.invalidated]

    @property
    def connected(self) -> bool:
        return any(s.connection is not None for s in self.live_sessions)

    # Dispatch --------------------------------------------------------------------------------------

    def dispatch(self, event: str, data: dict[str, Any], *, guild_id: int | None = None) -> None:
        """Send an event to every live session (buffered for replay when a session is disconnected)."""
        self.events.append(DispatchedEvent(event, data))
        bot_id = self.double.world.bot.id
        needed = required_intent(event, data, bot_id)
        for session in self.live_sessions:
            if needed is not None and not session.intents & needed:
                continue
            if guild_id is not None and not session.sees_guild(guild_id):
                continue
            out = data
            if (
                event in ("MESSAGE_CREATE", "MESSAGE_UPDATE")
                and not session.intents & Intents.MESSAGE_CONTENT
            ):
                out = strip_content(data, bot_id)
            session.send(event, out)
        self.double.touch()

    # Connection handling ---------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        await self.accepting.wait()
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = Connection(ws=ws, request=request)
        conn.writer = asyncio.get_running_loop().create_task(conn.write_loop())
        self.connections.add(conn)
        conn.send({"op": OP_HELLO, "d": {"heartbeat_interval": int(self.heartbeat_interval * 1000)}})
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    try:
                        frame = json.loads(msg.data)
                    except json.JSONDecodeError:
                        await ws.close(code=4002, message=b"Error while decoding payload.")
                        break
                    try:
                        await self._on_frame(conn, frame)
                    except Exception as exc:  # a bug in the double: report it, keep the connection
                        self.double.internal_error(f"gateway op {frame.get('op')}", exc)
                elif msg.type is WSMsgType.ERROR:
                    break
        finally:
            self.connections.discard(conn)
            session = conn.session
            if session is not None and session.connection is conn:
                session.connection = None
                if ws.close_code in (1000, 1001):
                    session.invalidated = True  # a clean close ends the session, as on Discord
            conn.queue.put_nowait(None)
            self.double.touch()
        return ws

    async def _on_frame(self, conn: Connection, frame: dict[str, Any]) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == OP_HEARTBEAT:
            self.heartbeats += 1
            conn.send({"op": OP_ACK, "d": None})
        elif op in (OP_IDENTIFY, OP_RESUME) and conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
        elif op == OP_IDENTIFY:
            await self._identify(conn, data or {})
        elif op == OP_RESUME:
            self._resume(conn, data or {})
        elif op in (OP_PRESENCE, OP_VOICE, OP_REQUEST_MEMBERS) and conn.session is None:
            await conn.ws.close(code=4003, message=b"Not authenticated.")
        elif op == OP_REQUEST_MEMBERS:
            self._request_members(conn, data or {})
        elif op == OP_PRESENCE:
            self.presences.append(data or {})
        elif op != OP_VOICE:
            await conn.ws.close(code=4001, message=b"Unknown opcode")

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> None:
        self.identifies.append(data)
        if data.get("token") != self.double.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = data.get("intents")
        if not isinstance(intents, int):
            await conn.ws.close(code=4013, message=b"Invalid intent(s).")
            return
        if intents & PRIVILEGED & ~self.allowed_privileged:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard = tuple(data["shard"]) if data.get("shard") else None
        for stale in self.live_sessions:
            if stale.connection is None and stale.shard == shard:
                stale.invalidated = True  # abandoned without RESUME: Discord would have expired it
        sockname = conn.request.transport.get_extra_info("sockname") if conn.request.transport else None
        port = int(sockname[1]) if sockname else self.double.port
        session = Session(id=secrets.token_hex(16), intents=intents, shard=shard, port=port)
        self.sessions[session.id] = session
        session.connection = conn
        conn.session = session
        world = self.double.world
        guilds = [g for g in world.guilds.values() if session.sees_guild(g.id)]
        me = payloads.user(world.bot) | {
            "verified": True,
            "mfa_enabled": False,
            "email": None,
            "locale": "en-US",
        }
        ready = {
            "v": 10,
            "user": me,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": f"ws://127.0.0.1:{port}/",  # the address this client uses
            "application": {"id": str(world.application_id), "flags": self.double.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["us-east"],
            "user_settings": {},
            "auth": {},
        }
        if session.shard is not None:
            ready["shard"] = list(session.shard)
        session.send("READY", ready)
        self.events.append(DispatchedEvent("READY", ready))
        all_members = bool(intents & Intents.GUILD_PRESENCES)
        for guild in guilds:
            guild.announced = True
            data = payloads.guild_create(world, guild, all_members=all_members)
            session.send("GUILD_CREATE", data)
            self.events.append(DispatchedEvent("GUILD_CREATE", data))
        self.double.touch()

    def _resume(self, conn: Connection, data: dict[str, Any]) -> None:
        self.resumes.append(data)
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or session.invalidated or data.get("token") != self.double.token:
            conn.send({"op": OP_INVALID_SESSION, "d": False})
            return
        if session.connection is not None and session.connection is not conn:
            old = session.connection
            old.session = None
            old.queue.put_nowait(None)
        last = data.get("seq") or 0
        session.connection = conn
        conn.session = session
        for seq, frame in list(session.buffer):
            if seq > last:
                conn.send(frame)
        session.send("RESUMED", {})
        self.double.touch()

    def _request_members(self, conn: Connection, data: dict[str, Any]) -> None:
        if conn.session is None:
            return
        world = self.double.world
        guild = world.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        members = list(guild.members.values())
        if data.get("user_ids"):
            wanted = {int(u) for u in data["user_ids"]}
            members = [m for m in members if m.id in wanted]
        elif data.get("query"):
            query = str(data["query"]).lower()
            members = [m for m in members if m.user.username.lower().startswith(query)]
        if data.get("limit"):
            members = members[: int(data["limit"])]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [payloads.member(world, m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        conn.session.send("GUILD_MEMBERS_CHUNK", chunk)

    # Faults and shutdown ---------------------------------------------------------------------------

    async def drop(self, *, code: int | None = None) -> int:
        """Cut every live connection: abort the TCP stream (default) or close with ``code``."""
        dropped = 0
        for conn in list(self.connections):
            dropped += 1
            if code is None:
                transport = conn.request.transport
                if transport is not None:
                    transport.abort()
            else:
                await conn.ws.close(code=code, message=b"double: connection dropped")
        return dropped

    def reconnect(self) -> None:
        """Send opcode 7 RECONNECT to every connection (discord.py closes and RESUMEs)."""
        for conn in list(self.connections):
            conn.send({"op": OP_RECONNECT, "d": None})

    async def close_all(self) -> None:
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ws.close(code=1001, message=b"double shutting down"), 0.2)
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
            conn.queue.put_nowait(None)
            if conn.writer is not None:
                conn.writer.cancel()

    def find(
        self, name: str, predicate: Callable[[dict[str, Any]], bool] | None = None
    ) -> list[DispatchedEvent]:
        return [e for e in self.events if e.name == name and (predicate is None or predicate(e.data))]
