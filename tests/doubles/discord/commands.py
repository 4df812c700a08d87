"""Application commands: sync (bulk PUT), upsert, fetch, delete, with Discord's validation rules.

The synced payloads are kept: tests read them (``double.commands()``), and ``double.invoke`` builds
interactions from them, so a command that never reached Discord cannot be invoked in a test either.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from . import errors as err
from .errors import DiscordHTTPError, FormErrors
from .transport import ApiRequest

if TYPE_CHECKING:
    from .server import DiscordDouble, Route

NAME_RE = re.compile(r"[-_\w]{1,32}")
MAX_PER_TYPE = {1: 100, 2: 15, 3: 15, 4: 1}
MAX_COMMAND_CHARS = 4000
SUB_TYPES = (1, 2)
OPTION_TYPES = range(1, 12)
Path = tuple[str | int, ...]


def _check_name(errors: FormErrors, path: Path, name: Any, *, chat_input: bool = True) -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= 32:
        errors.add(path, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
    elif chat_input and (not NAME_RE.fullmatch(name) or name != name.lower()):
        errors.add(path, "APPLICATION_COMMAND_INVALID_NAME", f"Command name is invalid: {name!r}")


def _option_chars(option: dict[str, Any]) -> int:
    total = len(option.get("name") or "") + len(option.get("description") or "")
    for choice in option.get("choices") or []:
        total += len(str(choice.get("name") or "")) + len(str(choice.get("value") or ""))
    return total + sum(_option_chars(o) for o in option.get("options") or [])


def _check_options(errors: FormErrors, path: Path, options: Any, *, depth: int) -> None:
    if options is None:
        return
    if not isinstance(options, list):
        errors.add(path, "BASE_TYPE_LIST", "Must be a list.")
        return
    errors.max_items(path, options, 25)
    kinds = [o.get("type") for o in options]
    if any(k in SUB_TYPES for k in kinds) and not all(k in SUB_TYPES for k in kinds):
        errors.add(
            path, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Sub-commands cannot be mixed with options."
        )
    seen: set[str] = set()
    optional_seen = False
    for index, option in enumerate(options):
        at = (*path, index)
        kind = option.get("type")
        if kind not in OPTION_TYPES:
            errors.add((*at, "type"), "BASE_TYPE_CHOICES", "Value must be one of 1..11.")
            continue
        _check_name(errors, (*at, "name"), option.get("name"))
        errors.length_between((*at, "description"), option.get("description"), 1, 100)
        if option.get("name") in seen:
            errors.add(
                (*at, "name"),
                "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS",
                "Option names must be unique.",
            )
        seen.add(option.get("name"))
        if (kind == 2 and depth > 0) or (kind == 1 and depth > 1):
            errors.add(
                (*at, "type"), "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Sub-commands nest too deeply."
            )
        if kind == 2:
            children = option.get("options") or []
            if not children or any(c.get("type") != 1 for c in children):
                errors.add(
                    (*at, "options"),
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "Groups contain sub-commands only.",
                )
            _check_options(errors, (*at, "options"), children, depth=depth + 1)
        elif kind == 1:
            _check_options(errors, (*at, "options"), option.get("options"), depth=depth + 1)
        else:
            _check_value_option(errors, at, option)
            if option.get("required"):
                if optional_seen:
                    errors.add(
                        (*at, "required"),
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
            else:
                optional_seen = True


def _check_value_option(errors: FormErrors, at: Path, option: dict[str, Any]) -> None:
    kind = option["type"]
    choices = option.get("choices")
    if choices:
        if kind not in (3, 4, 10):
            errors.add(
                (*at, "choices"),
                "APPLICATION_COMMAND_OPTION_CHOICES_INVALID",
                "Choices need a string/number type.",
            )
        if option.get("autocomplete"):
            errors.add(
                (*at, "autocomplete"),
                "APPLICATION_COMMAND_AUTOCOMPLETE_WITH_CHOICES",
                "Autocomplete and choices are exclusive.",
            )
        errors.max_items((*at, "choices"), choices, 25)
        for cindex, choice in enumerate(choices):
            errors.length_between((*at, "choices", cindex, "name"), choice.get("name"), 1, 100)
            value = choice.get("value")
            if kind == 3 and not (isinstance(value, str) and len(value) <= 100):
                errors.add(
                    (*at, "choices", cindex, "value"),
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 100 or fewer in length.",
                )
            if kind in (4, 10) and not isinstance(value, int | float):
                errors.add((*at, "choices", cindex, "value"), "NUMBER_TYPE_COERCE", "Value is not a number.")
    for key in ("min_length", "max_length"):
        value = option.get(key)
        if value is not None and (kind != 3 or not 0 <= value <= 6000):
            errors.add((*at, key), "NUMBER_TYPE_MAX", "int value should be between 0 and 6000.")


def validate_commands(commands: Any) -> None:
    """Raise 400 50035 (or 30032 for too many commands) the way a bulk overwrite does."""
    if not isinstance(commands, list):
        raise err.invalid_form_body({"_errors": [{"code": "BASE_TYPE_LIST", "message": "Must be a list."}]})
    errors = FormErrors()
    names: set[tuple[int, str]] = set()
    counts: dict[int, int] = {}
    for index, command in enumerate(commands):
        kind = command.get("type", 1)
        counts[kind] = counts.get(kind, 0) + 1
        at: Path = (index,)
        _check_name(errors, (*at, "name"), command.get("name"), chat_input=kind == 1)
        if kind == 1:
            errors.length_between((*at, "description"), command.get("description"), 1, 100)
            _check_options(errors, (*at, "options"), command.get("options"), depth=0)
            chars = _option_chars(command)
            if chars > MAX_COMMAND_CHARS:
                errors.add(
                    at, "APPLICATION_COMMAND_TOO_LARGE", f"Command exceeds maximum size ({MAX_COMMAND_CHARS})"
                )
        elif command.get("description"):
            errors.add(
                (*at, "description"),
                "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
                "Context menu commands cannot have a description.",
            )
        key = (kind, str(command.get("name")))
        if key in names:
            errors.add(
                (*at, "name"),
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                "Application command names must be unique",
            )
        names.add(key)
    errors.raise_if_any()
    for kind, count in counts.items():
        if count > MAX_PER_TYPE.get(kind, 100):
            raise DiscordHTTPError(
                400, 30032, f"Maximum number of application commands reached ({MAX_PER_TYPE[kind]})"
            )


class CommandStore:
    def __init__(self, double: DiscordDouble) -> None:
        self.double = double
        self.scopes: dict[int | None, list[dict[str, Any]]] = {}
        self.sync_log: list[tuple[int | None, list[dict[str, Any]]]] = []
        self._ids: dict[tuple[int | None, int, str], int] = {}

    def routes(self) -> list[Route]:
        a = "/applications/{application_id}"
        return [
            ("GET", a + "/commands", self.list),
            ("PUT", a + "/commands", self.bulk),
            ("POST", a + "/commands", self.upsert),
            ("GET", a + "/commands/{command_id}", self.fetch),
            ("PATCH", a + "/commands/{command_id}", self.edit),
            ("DELETE", a + "/commands/{command_id}", self.delete),
            ("GET", a + "/guilds/{guild_id}/commands/permissions", self.permissions),
            ("GET", a + "/guilds/{guild_id}/commands", self.list),
            ("PUT", a + "/guilds/{guild_id}/commands", self.bulk),
            ("POST", a + "/guilds/{guild_id}/commands", self.upsert),
            ("GET", a + "/guilds/{guild_id}/commands/{command_id}", self.fetch),
            ("PATCH", a + "/guilds/{guild_id}/commands/{command_id}", self.edit),
            ("DELETE", a + "/guilds/{guild_id}/commands/{command_id}", self.delete),
        ]

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        return copy.deepcopy(self.scopes.get(guild_id, []))

    def _scope(self, req: ApiRequest) -> int | None:
        if int(req.param("application_id")) != self.double.world.application_id:
            raise err.missing_access()
        if "guild_id" not in req.params:
            return None
        guild = self.double.world.guilds.get(int(req.param("guild_id")))
        if guild is None:
            raise err.missing_access()  # the bot is not in that guild
        return guild.id

    def _stored(self, scope: int | None, command: dict[str, Any]) -> dict[str, Any]:
        kind = command.get("type", 1)
        key = (scope, kind, command["name"])
        ident = self._ids.setdefault(key, self.double.world.ids.next())
        perms = command.get("default_member_permissions")
        stored = {
            "id": str(ident),
            "application_id": str(self.double.world.application_id),
            "version": str(self.double.world.ids.next()),
            "type": kind,
            "name": command["name"],
            "name_localizations": command.get("name_localizations"),
            "description": command.get("description") or "",
            "description_localizations": command.get("description_localizations"),
            "options": copy.deepcopy(command.get("options") or []),
            "default_member_permissions": None if perms is None else str(perms),
            "dm_permission": command.get("dm_permission", True),
            "contexts": command.get("contexts"),
            "integration_types": command.get("integration_types") or [0],
            "nsfw": bool(command.get("nsfw", False)),
        }
        if scope is not None:
            stored["guild_id"] = str(scope)
        return stored

    async def bulk(self, req: ApiRequest) -> Any:
        scope = self._scope(req)
        payload = req.record.json
        validate_commands(payload)
        self.scopes[scope] = [self._stored(scope, c) for c in payload]
        self.sync_log.append((scope, copy.deepcopy(payload)))
        self.double.touch()
        return self.scopes[scope]

    async def list(self, req: ApiRequest) -> Any:
        return self.scopes.get(self._scope(req), [])

    def _find(self, scope: int | None, command_id: str) -> tuple[int, dict[str, Any]]:
        for index, command in enumerate(self.scopes.get(scope, [])):
            if command["id"] == command_id:
                return index, command
        raise err.unknown_command()

    async def fetch(self, req: ApiRequest) -> Any:
        return self._find(self._scope(req), req.param("command_id"))[1]

    async def upsert(self, req: ApiRequest) -> Any:
        scope = self._scope(req)
        body = req.body
        existing = [
            c
            for c in self.scopes.get(scope, [])
            if (c["type"], c["name"]) != (body.get("type", 1), body.get("name"))
        ]
        validate_commands([*existing, body])
        stored = self._stored(scope, body)
        self.scopes[scope] = [*existing, stored]
        self.double.touch()
        return stored

    async def edit(self, req: ApiRequest) -> Any:
        scope = self._scope(req)
        index, command = self._find(scope, req.param("command_id"))
        merged = {**command, **req.body}
        commands = list(self.scopes[scope])
        commands[index] = merged
        validate_commands(commands)
        commands[index] = self._stored(scope, merged)
        self.scopes[scope] = commands
        self.double.touch()
        return commands[index]

    async def delete(self, req: ApiRequest) -> Any:
        scope = self._scope(req)
        index, _ = self._find(scope, req.param("command_id"))
        del self.scopes[scope][index]
        self.double.touch()
        return None

    async def permissions(self, req: ApiRequest) -> Any:
        self._scope(req)
        return []
