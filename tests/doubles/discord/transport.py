"""HTTP plumbing: request recording, JSON/multipart body parsing and Discord-exact JSON responses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from .errors import DiscordHTTPError
from .models import utcnow


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """discord.py only decodes a body whose Content-Type is *exactly* ``application/json``.

    (``aiohttp.web.json_response`` appends ``; charset=utf-8``, which makes discord.py treat the body
    as text: the classic silent failure of a hand-made Discord double.)
    """
    out = {"Content-Type": "application/json"}
    out.update(headers or {})
    return web.Response(status=status, body=json.dumps(data).encode(), headers=out)


@dataclass
class UploadedFile:
    """One ``files[n]`` part of a multipart request."""

    field: str
    filename: str
    data: bytes
    content_type: str | None = None

    @property
    def index(self) -> int | None:
        if self.field.startswith("files[") and self.field.endswith("]"):
            return int(self.field[6:-1])
        return None


@dataclass
class RecordedRequest:
    """One REST request the bot made, with what the double answered."""

    method: str
    path: str
    route: str
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    files: list[UploadedFile] = field(default_factory=list)
    status: int | None = None
    response: Any = None
    faulted: bool = False
    at: datetime = field(default_factory=utcnow)
    #: The double's port the request came in on (several clients: see `DiscordDouble.add_address`).
    port: int | None = None

    @property
    def key(self) -> str:
        """``"POST /channels/{channel_id}/messages"``: the route template, handy for filtering."""
        return f"{self.method} {self.route}"

    @property
    def reason(self) -> str | None:
        """The decoded ``X-Audit-Log-Reason`` header, if the bot sent one."""
        raw = self.headers.get("X-Audit-Log-Reason")
        return None if raw is None else unquote(raw)

    def summary(self, width: int = 160) -> str:
        body = "" if self.json is None else json.dumps(self.json, default=str)
        if len(body) > width:
            body = body[: width - 3] + "..."
        files = f" files={[f.filename for f in self.files]}" if self.files else ""
        error = ""
        if self.status is not None and self.status >= 400 and isinstance(self.response, dict):
            error = f" -> {self.response.get('code')} {self.response.get('message')}"
            if self.response.get("errors"):
                error += " " + json.dumps(self.response["errors"])[:width]
        return f"{self.method} {self.path} [{self.status}]{error} {body}{files}".rstrip()


@dataclass
class ApiRequest:
    """What a REST handler gets: path params, query, parsed body and the record of the request."""

    raw: web.Request
    record: RecordedRequest

    @property
    def params(self) -> dict[str, str]:
        return self.record.params

    @property
    def query(self) -> dict[str, str]:
        return self.record.query

    @property
    def body(self) -> dict[str, Any]:
        return self.record.json if isinstance(self.record.json, dict) else {}

    @property
    def files(self) -> list[UploadedFile]:
        return self.record.files

    @property
    def reason(self) -> str | None:
        return self.record.reason

    def param(self, name: str) -> str:
        return self.record.params[name]


async def parse_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """Decode a JSON body, or a multipart body of ``payload_json`` plus ``files[n]`` parts."""
    if not request.can_read_body:
        return None, []
    ctype = request.content_type
    if ctype.startswith("multipart/"):
        payload: Any = None
        files: list[UploadedFile] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            name = part.name or ""
            data = await part.read(decode=False)
            if name == "payload_json":
                payload = _loads(bytes(data).decode())
            else:
                files.append(
                    UploadedFile(
                        field=name,
                        filename=part.filename or name,
                        data=bytes(data),
                        content_type=part.headers.get("Content-Type"),
                    )
                )
        return payload, files
    text = await request.text()
    if not text:
        return None, []
    return _loads(text), []


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DiscordHTTPError(400, 50109, "The request body contains invalid JSON.") from exc
