"""The server-side request forgery guard: feed URLs come from moderators, so where they lead is checked.

Only http and https. An IP literal in any notation (dotted, decimal `2130706433`, octal `0177.0.0.1`, hex,
IPv6, IPv4-mapped IPv6) must be a public address, unless listed in `allowed` (hosts an operator trusts).
A name is resolved and refused when ANY of its addresses is not public. `GuardedResolver` is installed in
the shared session's connector, so the connection goes only to the addresses it vetted: a DNS answer that
changes between the check and the connect cannot reach a private address. `allow_private=True`
(FEED_ALLOW_PRIVATE_HOSTS) lifts the address checks, never the scheme.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Collection
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult

from bot.feeds.errors import BadURL, RefusedAddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
ALLOWED_SCHEMES = ("http", "https")
_V4_LOOSE = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)


def check_url(url: str) -> tuple[str, str, int]:
    """The (scheme, host, port) of an http(s) URL, or `BadURL` with the reason."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise BadURL(f"not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        shown = parts.scheme or "no scheme"
        raise BadURL(f"only http and https URLs can be fetched, not {shown}")
    host = parts.hostname
    if not host:
        raise BadURL("the URL has no host")
    scheme = parts.scheme.lower()
    return scheme, host, port or (443 if scheme == "https" else 80)


def literal_address(host: str) -> IPAddress | None:
    """The address a host string denotes when it is an IP literal in any notation, else None."""
    text = host.strip().strip("[]").rstrip(".")
    text = text.split("%", 1)[0]  # an IPv6 zone id
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _V4_LOOSE.match(text):
        try:  # inet_aton accepts what C resolvers accept: 2130706433, 0177.0.0.1, 0x7f.1
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def is_public(address: IPAddress) -> bool:
    """Whether an address is globally routable unicast (not loopback, private, link-local, metadata…)."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return is_public(mapped)
        if address.teredo is not None:
            return is_public(address.teredo[1])
    return address.is_global and not address.is_multicast and not address.is_reserved


def _is_local_name(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost") or name.endswith(".internal")


def _trusted(host: str, address: IPAddress | None, allowed: Collection[str]) -> bool:
    if not allowed:
        return False
    name = host.strip("[]").rstrip(".").lower()
    return name in allowed or (address is not None and str(address) in allowed)


def check_host_literal(host: str, *, allow_private: bool, allowed: Collection[str] = ()) -> IPAddress | None:
    """Refuse a private IP literal or a local name before any DNS; returns the literal address if any.

    `allowed` names hosts or addresses the operator trusts even though they are not public.
    """
    address = literal_address(host)
    if allow_private or _trusted(host, address, allowed):
        return address
    if address is not None:
        if not is_public(address):
            raise RefusedAddress(f"the address {address} is not a public internet address")
        return address
    if _is_local_name(host):
        raise RefusedAddress(f"the host {host!r} is a local name")
    return None


def check_resolved(
    host: str, addresses: list[str], *, allow_private: bool, allowed: Collection[str] = ()
) -> None:
    """Refuse when any resolved address of `host` is not public (nor explicitly allowed)."""
    if allow_private or _trusted(host, None, allowed):
        return
    for text in addresses:
        address = literal_address(text)
        if address is None or not (is_public(address) or _trusted(text, address, allowed)):
            raise RefusedAddress(f"{host} resolves to {text}, which is not a public internet address")


class GuardedResolver(AbstractResolver):
    """Resolves through `base` and refuses the whole answer if any address is not public.

    aiohttp connects only to the addresses a resolver returns, so checking here closes the window
    between a check and a connect (DNS rebinding).
    """

    def __init__(
        self,
        base: AbstractResolver | None = None,
        *,
        allow_private: bool = False,
        allowed: Collection[str] = (),
    ) -> None:
        self._base = base
        self.allow_private = allow_private
        self.allowed = frozenset(h.lower() for h in allowed)

    def _resolver(self) -> AbstractResolver:
        if self._base is None:
            from aiohttp.resolver import ThreadedResolver

            self._base = ThreadedResolver()
        return self._base

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        check_host_literal(host, allow_private=self.allow_private, allowed=self.allowed)
        results = await self._resolver().resolve(host, port, family)
        addresses = [result["host"] for result in results]
        check_resolved(host, addresses, allow_private=self.allow_private, allowed=self.allowed)
        return results

    async def close(self) -> None:
        if self._base is not None:
            await self._base.close()


class StaticResolver(AbstractResolver):
    """A resolver with a fixed table of names (for tests and benchmarks: no DNS needed)."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = {name.lower().rstrip("."): address for name, address in table.items()}

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        address = self.table.get(host.lower().rstrip("."))
        if address is None:
            raise OSError(socket.EAI_NONAME, f"{host} is not in the static table")
        fam = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [{"hostname": host, "host": address, "port": port, "family": fam, "proto": 0, "flags": 0}]

    async def close(self) -> None:
        return None
