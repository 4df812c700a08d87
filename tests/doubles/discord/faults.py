"""Fault injection for REST: rate limits (429), server errors (5xx), custom errors and hanging responses."""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .transport import RecordedRequest, json_response

Matcher = Callable[[RecordedRequest], bool]
_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def compile_pattern(pattern: str) -> Matcher:
    """``"POST /channels/{channel_id}/messages"``, ``"/channels/*/messages"`` or ``"PUT /guilds/**"``.

    ``{name}`` and ``*`` match one path segment, ``**`` matches anything. The method is optional.
    A concrete path (``"POST /channels/123/messages"``) matches only that channel.
    """
    method: str | None = None
    path = pattern.strip()
    head, _, rest = path.partition(" ")
    if head.upper() in _METHODS and rest:
        method, path = head.upper(), rest.strip()
    regex = ""
    for token in re.split(r"(\{[^}]*\}|\*\*|\*)", path):
        if token == "**":
            regex += ".*"
        elif token == "*" or (token.startswith("{") and token.endswith("}")):
            regex += "[^/]+"
        else:
            regex += re.escape(token)
    compiled = re.compile(regex)

    def match(request: RecordedRequest) -> bool:
        if method is not None and request.method != method:
            return False
        return compiled.fullmatch(request.path) is not None or request.route == path

    return match


@dataclass
class Fault:
    """One injected fault; ``times=None`` means until removed. ``hits`` counts the requests it answered."""

    matcher: Matcher
    description: str
    status: int | None = 429
    retry_after: float = 0.05
    is_global: bool = False
    hang: float = 0.0
    times: int | None = 1
    code: int | None = None
    message: str | None = None
    hits: int = 0
    gate: asyncio.Event | None = None

    @property
    def active(self) -> bool:
        return self.times is None or self.hits < self.times

    def take(self, request: RecordedRequest) -> bool:
        if not self.active or not self.matcher(request):
            return False
        self.hits += 1
        return True

    def cancel(self) -> None:
        self.times = self.hits

    def response(self, request: RecordedRequest) -> tuple[web.Response, Any]:
        status = self.status or 500
        if status == 429:
            return self._rate_limited(request)
        if self.code is not None or status < 500:
            body = {"message": self.message or web.Response(status=status).reason, "code": self.code or 0}
            return json_response(body, status), body
        if status == 500:
            body = {"message": "500: Internal Server Error", "code": 0}
            return json_response(body, status), body
        # 502/503/504 come from Cloudflare and the load balancers as HTML, not JSON.
        text = f"<html><head><title>{status}</title></head><body>{status} error</body></html>"
        return web.Response(status=status, text=text, content_type="text/html"), text

    def _rate_limited(self, request: RecordedRequest) -> tuple[web.Response, Any]:
        bucket = hashlib.sha1(request.route.encode(), usedforsecurity=False).hexdigest()[:16]
        body = {
            "message": "You are being rate limited.",
            "retry_after": self.retry_after,
            "global": self.is_global,
        }
        headers = {
            "Retry-After": str(max(1, math.ceil(self.retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + self.retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{self.retry_after:.3f}",
            "X-RateLimit-Bucket": bucket,
            "X-RateLimit-Scope": "global" if self.is_global else "user",
            # discord.py treats a 429 without "Via" as a Cloudflare ban and raises instead of retrying.
            "Via": "1.1 google",
        }
        if self.is_global:
            headers["X-RateLimit-Global"] = "true"
        return json_response(body, 429, headers), body


class FaultRegistry:
    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(
        self,
        match: str | Matcher,
        *,
        status: int | None = 429,
        retry_after: float = 0.05,
        times: int | None = 1,
        is_global: bool = False,
        hang: float = 0.0,
        code: int | None = None,
        message: str | None = None,
        gate: asyncio.Event | None = None,
    ) -> Fault:
        matcher = compile_pattern(match) if isinstance(match, str) else match
        description = match if isinstance(match, str) else getattr(match, "__name__", repr(match))
        fault = Fault(
            matcher=matcher,
            description=description,
            status=status,
            retry_after=retry_after,
            is_global=is_global,
            hang=hang,
            times=times,
            code=code,
            message=message,
            gate=gate,
        )
        self.faults.append(fault)
        return fault

    def take(self, request: RecordedRequest) -> Fault | None:
        for fault in self.faults:
            if fault.take(request):
                return fault
        return None

    def clear(self) -> None:
        self.faults.clear()


def standard_headers(request: RecordedRequest) -> dict[str, str]:
    """Rate-limit headers on successful responses, as Discord sends them (a roomy, never-empty bucket)."""
    bucket = hashlib.sha1(request.route.encode(), usedforsecurity=False).hexdigest()[:16]
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "49",
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Reset-After": "1.000",
        "X-RateLimit-Bucket": bucket,
        "Via": "1.1 google",
    }


class GlobalRateLimit:
    """Discord's global rate limit: at most ``per_second`` requests per bot token in each one-second window.

    A window opens with the first request after the previous one closed; a request beyond the limit gets
    Discord's global 429 (body ``global: true`` with a fractional ``retry_after`` until the window closes;
    headers ``Retry-After`` in whole seconds, ``X-RateLimit-Global: true``, ``X-RateLimit-Scope: global``,
    no bucket headers) and does not count towards the window. Interaction responses and follow-ups are not
    bound by it, as on Discord (the server leaves them out).
    """

    def __init__(
        self, per_second: int = 50, *, window: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_second = per_second
        self.window = window
        self.clock = clock
        #: Requests answered 429 by the limit, in order.
        self.rejected: list[RecordedRequest] = []
        self.admitted = 0
        self._windows: dict[str, tuple[float, int]] = {}  # token -> (window start, requests admitted in it)

    def admit(self, token: str, request: RecordedRequest) -> float | None:
        """None when the request may go on; else the seconds until the token's window closes."""
        now = self.clock()
        start, count = self._windows.get(token, (now - self.window, 0))
        if now - start >= self.window:
            start, count = now, 0
        if count >= self.per_second:
            self.rejected.append(request)
            return max(0.001, start + self.window - now)
        self._windows[token] = (start, count + 1)
        self.admitted += 1
        return None

    @staticmethod
    def response(retry_after: float) -> tuple[web.Response, Any]:
        body = {
            "message": "You are being rate limited.",
            "retry_after": round(retry_after, 3),
            "global": True,
        }
        headers = {
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Global": "true",
            "X-RateLimit-Scope": "global",
            "Via": "1.1 google",  # discord.py raises on a 429 without it (a Cloudflare ban)
        }
        return json_response(body, 429, headers), body
