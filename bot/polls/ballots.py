"""Anonymous ballots: a keyed hash of (poll, member), so stored votes never map back to a member.

The key lives outside the database: `POLL_SECRET`, or a random key generated once into
`<database_path>.poll-secret` (mode 0600). Whoever reads the database sees only which answers each opaque
ballot chose; without the key a member id cannot be matched to a ballot. The key is never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from bot.logs import register_secrets

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

SECRET_BYTES = 32
FINGERPRINT_LABEL = b"aidb-poll-secret-fingerprint"


class BallotKey:
    """The HMAC key. Its repr never shows the key."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the poll secret must be at least 16 bytes long")
        self._key = key

    def __repr__(self) -> str:
        return "BallotKey(<hidden>)"

    def ballot(self, poll_id: int, member_id: int) -> bytes:
        """The opaque ballot of `member_id` in `poll_id`: HMAC-SHA256 over `"{poll_id}:{member_id}"`."""
        return hmac.new(self._key, f"{poll_id}:{member_id}".encode(), hashlib.sha256).digest()

    def fingerprint(self) -> str:
        """A value that identifies the key without revealing it, to notice when the key was changed."""
        return hmac.new(self._key, FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


def secret_path(database_path: Path) -> Path:
    return Path(f"{database_path}.poll-secret")


def load_ballot_key(settings: Settings) -> BallotKey:
    """The key from `POLL_SECRET`, else from the file beside the database (created on first use)."""
    if settings.poll_secret is not None:
        return BallotKey(settings.poll_secret.get_secret_value().encode())
    return BallotKey(_file_secret(secret_path(settings.database_path)))


def _file_secret(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(SECRET_BYTES) + "\n")
    log.info("generated a new poll secret in %s (keep it with the database backups)", path)
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning("the poll secret file %s is readable by others (mode %o); use chmod 600", path, mode)
    text = path.read_text(encoding="ascii").strip()
    if len(text) < 32:
        raise ValueError(f"the poll secret file {path} is too short; delete it to generate a new one")
    register_secrets([text])  # never in a log line, whatever happens
    return text.encode()
