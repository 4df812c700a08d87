"""REST: login (users/@me, application), gateway discovery, guilds, roles and members."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors as err
from . import payloads
from .constants import P
from .errors import DiscordHTTPError, FormErrors
from .models import Guild, Member, Role
from .transport import ApiRequest

if TYPE_CHECKING:
    from .server import DiscordDouble, Route


class GuildRoutes:
    def __init__(self, double: DiscordDouble) -> None:
        self.double = double
        self.world = double.world

    def routes(self) -> list[Route]:
        g = "/guilds/{guild_id}"
        return [
            ("GET", "/users/@me", self.me),
            ("GET", "/users/@me/guilds", self.my_guilds),
            ("GET", "/users/{user_id}", self.user),
            ("GET", "/oauth2/applications/@me", self.application),
            ("GET", "/applications/@me", self.application),
            ("GET", "/gateway", self.gateway),
            ("GET", "/gateway/bot", self.gateway_bot),
            ("GET", g, self.guild),
            ("GET", g + "/roles", self.roles),
            ("GET", g + "/roles/{role_id}", self.role),
            ("POST", g + "/roles", self.create_role),
            ("GET", g + "/members", self.members),
            ("GET", g + "/members/{user_id}", self.member),
            ("PATCH", g + "/members/{user_id}", self.edit_member),
            ("PUT", g + "/members/{user_id}/roles/{role_id}", self.add_role),
            ("DELETE", g + "/members/{user_id}/roles/{role_id}", self.remove_role),
        ]

    # Login and discovery ---------------------------------------------------------------------------

    async def me(self, req: ApiRequest) -> Any:
        return payloads.user(self.world.bot) | {
            "verified": True,
            "mfa_enabled": False,
            "locale": "en-US",
            "email": None,
        }

    async def my_guilds(self, req: ApiRequest) -> Any:
        return [
            {
                "id": str(g.id),
                "name": g.name,
                "icon": None,
                "owner": False,
                "permissions": str(self._bot_perms(g)),
                "features": [],
            }
            for g in self.world.guilds.values()
        ]

    async def user(self, req: ApiRequest) -> Any:
        return payloads.user(self.world.user(req.param("user_id")))

    async def application(self, req: ApiRequest) -> Any:
        world = self.world
        return {
            "id": str(world.application_id),
            "name": world.bot.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "bot": payloads.user(world.bot),
            "owner": payloads.user(self.double.developer),
            "team": None,
            "verify_key": "0" * 64,
            "flags": self.double.application_flags,
            "hook": True,
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(world.guilds),
            "integration_types_config": {"0": {}},
            "tags": [],
        }

    async def gateway(self, req: ApiRequest) -> Any:
        return {"url": self.double.gateway_url.rstrip("/")}

    async def gateway_bot(self, req: ApiRequest) -> Any:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        return {"url": self.double.gateway_url.rstrip("/"), "shards": 1, "session_start_limit": limit}

    # Guilds and roles ------------------------------------------------------------------------------

    def _bot_perms(self, guild: Guild) -> int:
        return self.world.base_permissions(guild, self.world.bot_member(guild))

    async def guild(self, req: ApiRequest) -> Any:
        guild = self.world.guild(req.param("guild_id"))
        data = payloads.guild(self.world, guild)
        if req.query.get("with_counts") in ("1", "true", "True"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return data

    async def roles(self, req: ApiRequest) -> Any:
        guild = self.world.guild(req.param("guild_id"))
        return [payloads.role(r) for r in self.world.sorted_roles(guild)]

    async def role(self, req: ApiRequest) -> Any:
        guild = self.world.guild(req.param("guild_id"))
        return payloads.role(self.world.role(guild, req.param("role_id")))

    async def create_role(self, req: ApiRequest) -> Any:
        guild = self.world.guild(req.param("guild_id"))
        self.world.require_guild(guild, P.MANAGE_ROLES)
        body = req.body
        errors = FormErrors()
        errors.max_length(("name",), body.get("name"), 100)
        errors.raise_if_any()
        perms = int(body.get("permissions") or 0)
        if perms & ~self._bot_perms(guild):
            raise err.missing_permissions()  # cannot grant permissions the bot does not have
        role = self.double.add_role(
            guild,
            body.get("name") or "new role",
            permissions=perms,
            position=1,
            color=int(body.get("color") or 0),
            hoist=bool(body.get("hoist")),
            mentionable=bool(body.get("mentionable")),
        )
        return payloads.role(role)

    # Members ---------------------------------------------------------------------------------------

    async def members(self, req: ApiRequest) -> Any:
        guild = self.world.guild(req.param("guild_id"))
        limit = int(req.query.get("limit", 1))
        if not 1 <= limit <= 1000:
            raise DiscordHTTPError(400, 50035, "Invalid Form Body")
        after = int(req.query.get("after", 0))
        found = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)[:limit]
        return [payloads.member(self.world, m) for m in found]

    async def member(self, req: ApiRequest) -> Any:
        guild = self.world.guild(req.param("guild_id"))
        return payloads.member(self.world, self.world.member(guild, req.param("user_id")))

    def check_can_assign(self, guild: Guild, role: Role) -> None:
        """Manage Roles, and the role must sit below the bot's highest role (Discord's hierarchy)."""
        self.world.require_guild(guild, P.MANAGE_ROLES)
        if role.id == guild.id or role.managed:
            raise err.missing_permissions()
        bot_top = self.world.top_role_position(guild, self.world.bot_member(guild))
        if role.position >= bot_top:
            raise err.missing_permissions()

    async def add_role(self, req: ApiRequest) -> Any:
        guild = self.world.guild(req.param("guild_id"))
        member = self.world.member(guild, req.param("user_id"))
        role = self.world.role(guild, req.param("role_id"))
        self.check_can_assign(guild, role)
        if role.id not in member.role_ids:
            member.role_ids.append(role.id)
            self.emit_member_update(guild, member)
        return None

    async def remove_role(self, req: ApiRequest) -> Any:
        guild = self.world.guild(req.param("guild_id"))
        member = self.world.member(guild, req.param("user_id"))
        role = self.world.role(guild, req.param("role_id"))
        self.check_can_assign(guild, role)
        if role.id in member.role_ids:
            member.role_ids.remove(role.id)
            self.emit_member_update(guild, member)
        return None

    async def edit_member(self, req: ApiRequest) -> Any:
        guild = self.world.guild(req.param("guild_id"))
        member = self.world.member(guild, req.param("user_id"))
        body = req.body
        if "roles" in body:
            wanted = [int(r) for r in body["roles"] or []]
            for role_id in set(wanted) ^ set(member.role_ids):
                self.check_can_assign(guild, self.world.role(guild, role_id))
            member.role_ids = wanted
        if "nick" in body:
            if member.id != guild.owner_id:
                self.world.require_guild(guild, P.MANAGE_NICKNAMES)
            errors = FormErrors()
            errors.max_length(("nick",), body["nick"], 32)
            errors.raise_if_any()
            member.nick = body["nick"] or None
        self.emit_member_update(guild, member)
        return payloads.member(self.world, member)

    def emit_member_update(self, guild: Guild, member: Member) -> None:
        data = payloads.member(self.world, member) | {"guild_id": str(guild.id)}
        self.double.dispatch("GUILD_MEMBER_UPDATE", data, guild_id=guild.id)
