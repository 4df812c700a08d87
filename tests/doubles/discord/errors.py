"""Discord-shaped API errors raised by the REST handlers, and errors raised at test authors."""

from __future__ import annotations

from typing import Any


class ScenarioError(AssertionError):
    """A test asked the double for something a real Discord client could not do (fails the test)."""


class CommandNotSynced(ScenarioError):
    """The command a test tried to invoke is not in the tree the bot synced."""


class CommandNotVisible(ScenarioError):
    """The member lacks the command's ``default_member_permissions``, so Discord would not show it."""


class DiscordHTTPError(Exception):
    """Turned into a JSON error response ``{"code", "message"[, "errors"]}`` by the server middleware."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None, **extra: Any
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class FormErrors:
    """Collects Invalid Form Body errors into Discord's nested ``{"a": {"0": {"_errors": [...]}}}`` shape."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        node = self.tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def __bool__(self) -> bool:
        return bool(self.tree)

    def raise_if_any(self) -> None:
        if self.tree:
            raise invalid_form_body(self.tree)

    # Common checks ---------------------------------------------------------------------------------

    def max_length(self, path: tuple[str | int, ...], value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def length_between(self, path: tuple[str | int, ...], value: Any, low: int, high: int) -> None:
        if value is None or not isinstance(value, str):
            self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
        elif not low <= len(value) <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def max_items(self, path: tuple[str | int, ...], value: Any, limit: int) -> None:
        if isinstance(value, list) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def invalid_form_body(errors: dict[str, Any]) -> DiscordHTTPError:
    return DiscordHTTPError(400, 50035, "Invalid Form Body", errors)


def unknown_channel() -> DiscordHTTPError:
    return DiscordHTTPError(404, 10003, "Unknown Channel")


def unknown_message() -> DiscordHTTPError:
    return DiscordHTTPError(404, 10008, "Unknown Message")


def unknown_member() -> DiscordHTTPError:
    return DiscordHTTPError(404, 10007, "Unknown Member")


def unknown_role() -> DiscordHTTPError:
    return DiscordHTTPError(404, 10011, "Unknown Role")


def unknown_guild() -> DiscordHTTPError:
    return DiscordHTTPError(404, 10004, "Unknown Guild")


def unknown_user() -> DiscordHTTPError:
    return DiscordHTTPError(404, 10013, "Unknown User")


def unknown_interaction() -> DiscordHTTPError:
    return DiscordHTTPError(404, 10062, "Unknown interaction")


def unknown_webhook() -> DiscordHTTPError:
    return DiscordHTTPError(404, 10015, "Unknown Webhook")


def unknown_command() -> DiscordHTTPError:
    return DiscordHTTPError(404, 10063, "Unknown application command")


def missing_permissions() -> DiscordHTTPError:
    return DiscordHTTPError(403, 50013, "Missing Permissions")


def missing_access() -> DiscordHTTPError:
    return DiscordHTTPError(403, 50001, "Missing Access")


def empty_message() -> DiscordHTTPError:
    return DiscordHTTPError(400, 50006, "Cannot send an empty message")


def already_acknowledged() -> DiscordHTTPError:
    return DiscordHTTPError(400, 40060, "Interaction has already been acknowledged.")
