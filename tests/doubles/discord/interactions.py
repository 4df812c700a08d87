"""INTERACTION_CREATE payloads built the way Discord's client would, from the synced command tree."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from . import payloads
from .constants import P
from .errors import CommandNotSynced, CommandNotVisible, ScenarioError
from .models import Attachment, Channel, Guild, Member, Message, Role, as_int
from .records import APPLICATION_COMMAND, AUTOCOMPLETE, MESSAGE_COMPONENT, MODAL_SUBMIT, InteractionRecord

if TYPE_CHECKING:
    from .server import DiscordDouble

SELECT_TYPES = (3, 5, 6, 7, 8)


class InteractionFactory:
    """Builds interaction payloads the way Discord's client would, and registers the records."""

    def __init__(self, double: DiscordDouble) -> None:
        self.double = double
        self.world = double.world

    def base(self, kind: int, guild: Guild, channel: Channel, member: Member, locale: str) -> dict[str, Any]:
        world = self.world
        member_perms = world.channel_permissions(channel, member)
        return {
            "id": str(world.ids.next()),
            "application_id": str(world.application_id),
            "type": kind,
            "token": "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48),
            "version": 1,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": list(guild.features)},
            "channel_id": str(channel.id),
            "channel": payloads.channel(world, channel, permissions=member_perms),
            "member": payloads.member(world, member, permissions=member_perms),
            "locale": locale,
            "guild_locale": "en-US",
            "app_permissions": str(world.bot_channel_permissions(channel)),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": self.double.attachment_size_limit,
        }

    def register(self, payload: dict[str, Any], member: Member, **extra: Any) -> InteractionRecord:
        record = InteractionRecord(
            double=self.double,
            id=int(payload["id"]),
            token=payload["token"],
            type=payload["type"],
            guild_id=int(payload["guild_id"]),
            channel_id=int(payload["channel_id"]),
            user=member.user,
            payload=payload,
            **extra,
        )
        self.double.interactions[record.id] = record
        return record

    # Application commands -------------------------------------------------------------------------

    def find_command(self, guild: Guild, path: str, kind: int = 1) -> tuple[dict[str, Any], list[str]]:
        parts = path.split()
        if not parts:
            raise ScenarioError("empty command path")
        store = self.double.command_store
        for scope in (guild.id, None):
            for command in store.scopes.get(scope, []):
                if command["name"] == parts[0] and command["type"] == kind:
                    return command, parts[1:]
        synced = {scope: [c["name"] for c in cmds] for scope, cmds in store.scopes.items()}
        raise CommandNotSynced(
            f"command {parts[0]!r} (type {kind}) is not synced for guild {guild.id}: {synced}"
        )

    def check_visible(self, guild: Guild, member: Member, channel: Channel, command: dict[str, Any]) -> None:
        needed = command.get("default_member_permissions")
        contexts = command.get("contexts")
        if contexts is not None and 0 not in contexts:
            raise CommandNotVisible(f"/{command['name']} is not available in guilds (contexts={contexts})")
        if not self.world.channel_permissions(channel, member) & P.USE_APPLICATION_COMMANDS:
            raise CommandNotVisible(f"{member.name} cannot use application commands in #{channel.name}")
        if needed is None:
            return
        perms = self.world.base_permissions(guild, member)
        if perms & int(needed) != int(needed) or (int(needed) == 0 and perms != P.ALL):
            raise CommandNotVisible(
                f"/{command['name']} needs default_member_permissions={needed}; {member.name} has {perms}. "
                "Pass bypass_default_permissions=True to deliver it anyway."
            )

    def command(
        self,
        guild: Guild,
        member: Member,
        channel: Channel,
        path: str,
        values: dict[str, Any],
        *,
        focused: str | None = None,
        bypass_default_permissions: bool = False,
        locale: str = "en-US",
    ) -> InteractionRecord:
        command, rest = self.find_command(guild, path)
        if not bypass_default_permissions:
            self.check_visible(guild, member, channel, command)
        resolved: dict[str, dict[str, Any]] = {}
        defs = command.get("options") or []
        chain: list[tuple[int, str]] = []
        for name in rest:
            match = next((o for o in defs if o["name"] == name and o["type"] in (1, 2)), None)
            if match is None:
                raise CommandNotSynced(f"/{path}: {name!r} is not a sub-command of the synced command")
            chain.append((match["type"], name))
            defs = match.get("options") or []
        if any(o["type"] in (1, 2) for o in defs):
            subs = [o["name"] for o in defs]
            raise ScenarioError(f"/{path} is a group; invoke one of its sub-commands: {subs}")
        options = self._options(defs, values, resolved, guild, channel, member, focused)
        for kind, name in reversed(chain):
            options = [{"type": kind, "name": name, "options": options}]
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": command["type"],
            "options": options,
        }
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        kind = AUTOCOMPLETE if focused is not None else APPLICATION_COMMAND
        payload = self.base(kind, guild, channel, member, locale) | {"data": data}
        return self.register(payload, member, command=path)

    def _options(
        self,
        defs: list[dict[str, Any]],
        values: dict[str, Any],
        resolved: dict[str, dict[str, Any]],
        guild: Guild,
        channel: Channel,
        member: Member,
        focused: str | None,
    ) -> list[dict[str, Any]]:
        names = [d["name"] for d in defs]
        unknown = set(values) - set(names)
        if unknown:
            raise ScenarioError(f"unknown option(s) {sorted(unknown)}; the synced command has {names}")
        if focused is not None and focused not in values:
            raise ScenarioError(f"focused option {focused!r} needs a value (what the user typed so far)")
        out = []
        for d in defs:
            name = d["name"]
            if name not in values:
                if d.get("required") and focused is None:
                    raise ScenarioError(
                        f"required option {name!r} missing; Discord's client would not send this"
                    )
                continue
            if name == focused:
                if not d.get("autocomplete"):
                    raise ScenarioError(
                        f"option {name!r} does not have autocomplete enabled in the synced command"
                    )
                out.append({"type": d["type"], "name": name, "value": str(values[name]), "focused": True})
                continue
            value = self._value(d, values[name], resolved, guild, channel, member)
            out.append({"type": d["type"], "name": name, "value": value})
        return out

    def _value(
        self,
        d: dict[str, Any],
        value: Any,
        resolved: dict[str, dict[str, Any]],
        guild: Guild,
        channel: Channel,
        member: Member,
    ) -> Any:
        kind, name = d["type"], d["name"]
        if kind == 3:
            value = str(value)
            low, high = d.get("min_length", 0), d.get("max_length", 6000)
            if not low <= len(value) <= high:
                raise ScenarioError(f"option {name!r}: length {len(value)} outside {low}..{high}")
        elif kind == 4:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ScenarioError(f"option {name!r} is an integer option, got {value!r}")
        elif kind == 10 and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ScenarioError(f"option {name!r} is a number option, got {value!r}")
        elif kind == 5 and not isinstance(value, bool):
            raise ScenarioError(f"option {name!r} is a boolean option, got {value!r}")
        if kind in (4, 10) and (
            ("min_value" in d and value < d["min_value"]) or ("max_value" in d and value > d["max_value"])
        ):
            raise ScenarioError(
                f"option {name!r}: {value} outside {d.get('min_value')}..{d.get('max_value')}"
            )
        if d.get("choices") and value not in [c["value"] for c in d["choices"]]:
            raise ScenarioError(f"option {name!r}: {value!r} is not one of the choices {d['choices']}")
        if kind in (3, 4, 5, 10):
            return value
        return self._resolve(kind, name, value, d, resolved, guild, member)

    def _resolve(
        self,
        kind: int,
        name: str,
        value: Any,
        d: dict[str, Any],
        resolved: dict[str, dict[str, Any]],
        guild: Guild,
        invoker: Member,
    ) -> str:
        world = self.world
        if kind == 11:
            attachment = value if isinstance(value, Attachment) else self.double.make_attachment(*value)
            resolved.setdefault("attachments", {})[str(attachment.id)] = payloads.attachment(attachment)
            return str(attachment.id)
        ident = as_int(value)
        if kind in (6, 9) and ident in world.users:
            user = world.users[ident]
            resolved.setdefault("users", {})[str(ident)] = payloads.user(user)
            if ident in guild.members:
                member = guild.members[ident]
                perms = world.base_permissions(guild, member)
                resolved.setdefault("members", {})[str(ident)] = payloads.member(
                    world, member, with_user=False, permissions=perms
                )
            return str(ident)
        if kind in (8, 9) and ident in guild.roles:
            role: Role = guild.roles[ident]
            resolved.setdefault("roles", {})[str(ident)] = payloads.role(role)
            return str(ident)
        if kind == 7 and ident in world.channels and world.channels[ident].guild_id == guild.id:
            target = world.channels[ident]
            allowed = d.get("channel_types")
            if allowed and target.type not in allowed:
                raise ScenarioError(f"option {name!r} accepts channel types {allowed}, got {target.type}")
            perms = world.channel_permissions(target, invoker)
            resolved.setdefault("channels", {})[str(ident)] = payloads.channel(
                world, target, permissions=perms
            )
            return str(ident)
        raise ScenarioError(f"option {name!r} (type {kind}): {value!r} is not a valid target in this guild")

    # Components and modals ------------------------------------------------------------------------

    def component(
        self,
        message: Message,
        custom_id: str,
        member: Member,
        values: list[str] | None,
        locale: str = "en-US",
    ) -> InteractionRecord:
        component = find_component(message.components, custom_id)
        if component is None:
            raise ScenarioError(
                f"message {message.id} has no component {custom_id!r} (has {message.custom_ids()})"
            )
        if component.get("disabled"):
            raise ScenarioError(f"component {custom_id!r} is disabled; Discord's client cannot click it")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] in SELECT_TYPES:
            chosen = list(values or [])
            low, high = component.get("min_values", 1), component.get("max_values", 1)
            if not low <= len(chosen) <= high:
                raise ScenarioError(f"select {custom_id!r} takes {low}..{high} values, got {chosen}")
            if component["type"] == 3:
                valid = [o["value"] for o in component.get("options") or []]
                bad = [v for v in chosen if v not in valid]
                if bad:
                    raise ScenarioError(f"select {custom_id!r}: {bad} not among options {valid}")
            data["values"] = chosen
        elif values is not None:
            raise ScenarioError(f"component {custom_id!r} is a button; it takes no values")
        if message.guild_id is None:
            raise ScenarioError("component clicks are only supported on guild messages")
        channel = self.world.channels[message.channel_id]
        guild = self.world.guilds[message.guild_id]
        payload = self.base(MESSAGE_COMPONENT, guild, channel, member, locale)
        payload |= {"data": data, "message": payloads.message(self.world, message)}
        return self.register(payload, member, custom_id=custom_id, source_message_id=message.id)

    def modal_submit(
        self, opener: InteractionRecord, member: Member, values: dict[str, Any], locale: str = "en-US"
    ) -> InteractionRecord:
        modal = opener.modal
        channel = self.world.channels[opener.channel_id]
        guild = self.world.guilds[opener.guild_id or 0]
        remaining = dict(values)
        submitted = [_submitted(item, remaining) for item in modal.get("components") or []]
        if remaining:
            raise ScenarioError(f"modal {modal.get('custom_id')!r} has no inputs {sorted(remaining)}")
        payload = self.base(MODAL_SUBMIT, guild, channel, member, locale)
        payload["data"] = {"custom_id": modal["custom_id"], "components": submitted}
        if opener.source_message_id is not None:
            source = self.world.messages[opener.source_message_id]
            payload["message"] = payloads.message(self.world, source)
        return self.register(
            payload, member, custom_id=modal["custom_id"], source_message_id=opener.source_message_id
        )


def find_component(items: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for item in items:
        if item.get("custom_id") == custom_id:
            return item
        children = list(item.get("components") or [])
        children += [item[k] for k in ("accessory", "component") if isinstance(item.get(k), dict)]
        found = find_component(children, custom_id)
        if found is not None:
            return found
    return None


def _submitted(item: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The modal-submit shape of one modal component (action row, label or text display)."""
    kind = item.get("type")
    if kind == 1:
        return {"type": 1, "components": [_submitted(c, values) for c in item.get("components") or []]}
    if kind == 18:
        return {"type": 18, "component": _submitted(item["component"], values)}
    custom_id = item.get("custom_id")
    out: dict[str, Any] = {"type": kind}
    if custom_id is None:
        return out
    out["custom_id"] = custom_id
    if kind == 4:
        value = values.pop(custom_id, item.get("value") or "")
        if item.get("required", True) and not value:
            raise ScenarioError(f"text input {custom_id!r} is required")
        out["value"] = str(value)
    else:
        out["values"] = list(values.pop(custom_id, []))
    return out
