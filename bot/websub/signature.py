"""`X-Hub-Signature`: `<method>=<hex HMAC of the raw body keyed with the subscription's secret>`.

The body is fed in chunks as it arrives (`BodySigner.update`), so a notification is verified without ever
holding it whole. sha1 is accepted because the WebSub recommendation lists it (and hubs still send it);
sha256, sha384 and sha512 too. Anything else does not verify.
"""

from __future__ import annotations

import hashlib
import hmac
import re

ALGORITHMS = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}
_HEX = re.compile(r"^[0-9a-f]{40,128}$")


class BodySigner:
    """The HMAC of a body, computed incrementally, for the method a signature header names."""

    def __init__(self, secret: str, header: str | None) -> None:
        self.expected: bytes | None = None
        self._mac: hmac.HMAC | None = None
        method, _, digest = (header or "").strip().partition("=")
        algorithm = ALGORITHMS.get(method.strip().lower())
        digest = digest.strip().lower()
        if algorithm is not None and _HEX.match(digest):
            self.expected = digest.encode()
            self._mac = hmac.new(secret.encode(), digestmod=algorithm)

    @property
    def usable(self) -> bool:
        """False when the header is missing, malformed or names an unknown method."""
        return self._mac is not None

    def update(self, chunk: bytes) -> None:
        if self._mac is not None:
            self._mac.update(chunk)

    def verify(self) -> bool:
        """Whether the body fed so far matches the header (constant-time comparison)."""
        if self._mac is None or self.expected is None:
            return False
        return hmac.compare_digest(self._mac.hexdigest().encode(), self.expected)


def sign(secret: str, body: bytes, method: str = "sha256") -> str:
    """The header value a hub sends for `body` (used by the tests' hub double and the docs' examples)."""
    return f"{method}=" + hmac.new(secret.encode(), body, ALGORITHMS[method]).hexdigest()
