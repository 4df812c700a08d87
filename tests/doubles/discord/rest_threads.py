"""REST: threads (from a message, forum posts with tags, plain threads), thread lists and members."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import errors as err
from . import limits, payloads
from .constants import FORUM_REQUIRE_TAG, ChannelType, MessageFlags, P
from .errors import DiscordHTTPError, FormErrors
from .models import Channel, Message, User, iso, utcnow
from .transport import ApiRequest, UploadedFile

if TYPE_CHECKING:
    from .server import DiscordDouble, Route

ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)
MAX_APPLIED_TAGS = 5


class ThreadRoutes:
    def __init__(self, double: DiscordDouble) -> None:
        self.double = double
        self.world = double.world

    def routes(self) -> list[Route]:
        c = "/channels/{channel_id}"
        return [
            ("POST", c + "/messages/{message_id}/threads", self.thread_from_message),
            ("POST", c + "/threads", self.thread_in_channel),
            ("GET", c + "/threads/archived/public", self.archived_threads),
            ("GET", "/guilds/{guild_id}/threads/active", self.active_threads),
            ("PUT", c + "/thread-members/{user_id}", self.join_thread),
            ("DELETE", c + "/thread-members/{user_id}", self.leave_thread),
            ("GET", c + "/thread-members", self.thread_members),
        ]

    def _thread(self, channel_id: Any) -> Channel:
        channel = self.world.channel(channel_id)
        if not channel.is_thread:
            raise DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
        return channel

    async def active_threads(self, req: ApiRequest) -> Any:
        guild = self.world.guild(req.param("guild_id"))
        threads = [
            t
            for t in self.world.threads_of(guild)
            if not t.archived and self.world.bot_channel_permissions(t) & P.VIEW_CHANNEL
        ]
        return self._thread_list(threads, has_more=None)

    async def archived_threads(self, req: ApiRequest) -> Any:
        parent = self.world.channel(req.param("channel_id"))
        self.world.require(parent, P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY)
        threads = [
            t
            for t in self.world.channels.values()
            if t.parent_id == parent.id
            and t.archived
            and not t.deleted
            and t.type == ChannelType.PUBLIC_THREAD
        ]
        threads.sort(key=lambda t: t.archive_timestamp, reverse=True)
        if "before" in req.query:
            before = datetime.fromisoformat(req.query["before"])
            threads = [t for t in threads if t.archive_timestamp < before]
        limit = int(req.query.get("limit", 50))
        return self._thread_list(threads[:limit], has_more=len(threads) > limit)

    def _thread_list(self, threads: list[Channel], *, has_more: bool | None) -> dict[str, Any]:
        bot = self.world.bot.id
        members = [
            {"id": str(t.id), "user_id": str(bot), "join_timestamp": iso(t.created_at), "flags": 0}
            for t in threads
            if bot in t.member_ids
        ]
        result: dict[str, Any] = {
            "threads": [payloads.channel(self.world, t) for t in threads],
            "members": members,
        }
        if has_more is not None:
            result["has_more"] = has_more
        return result

    async def thread_members(self, req: ApiRequest) -> Any:
        thread = self._thread(req.param("channel_id"))
        return [
            {"id": str(thread.id), "user_id": str(u), "join_timestamp": iso(thread.created_at), "flags": 0}
            for u in thread.member_ids
        ]

    def ensure_writable_thread(self, thread: Channel) -> None:
        """Archived threads unarchive when written to, unless locked (then only Manage Threads may)."""
        manage = bool(self.world.bot_channel_permissions(thread) & P.MANAGE_THREADS)
        if thread.locked and not manage:
            if thread.archived:
                raise DiscordHTTPError(400, 50083, "Thread is archived")
            raise err.missing_permissions()
        if thread.archived:
            thread.archived = False
            thread.archive_timestamp = utcnow()
            self.emit_thread("THREAD_UPDATE", thread)

    def _check_thread_fields(self, body: dict[str, Any], prefix: tuple[str, ...] = ()) -> None:
        errors = FormErrors()
        limits.check_name(errors, (*prefix, "name"), body.get("name"))
        duration = body.get("auto_archive_duration")
        if duration is not None and duration not in ARCHIVE_DURATIONS:
            errors.add(
                (*prefix, "auto_archive_duration"),
                "BASE_TYPE_CHOICES",
                f"Value must be one of {ARCHIVE_DURATIONS}.",
            )
        slowmode = body.get("rate_limit_per_user")
        if slowmode is not None and not 0 <= int(slowmode) <= 21600:
            errors.add(
                (*prefix, "rate_limit_per_user"),
                "NUMBER_TYPE_MAX",
                "int value should be between 0 and 21600.",
            )
        errors.raise_if_any()

    def new_thread(
        self,
        parent: Channel,
        owner: User,
        name: str,
        *,
        type: int,
        body: dict[str, Any],
        thread_id: int | None = None,
    ) -> Channel:
        thread = Channel(
            id=thread_id or self.world.ids.next(),
            type=type,
            name=name,
            guild_id=parent.guild_id,
            parent_id=parent.id,
            owner_id=owner.id,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
            rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
            invitable=bool(body.get("invitable", True)),
            member_ids=[owner.id],
        )
        return self.world.add_channel(thread)

    def emit_thread(self, event: str, thread: Channel, *, newly_created: bool = False) -> None:
        data = payloads.channel(self.world, thread)
        if newly_created:
            data["newly_created"] = True
        self.double.dispatch(event, data, guild_id=thread.guild_id)

    async def thread_from_message(self, req: ApiRequest) -> Any:
        parent = self.world.channel(req.param("channel_id"))
        if parent.type not in (ChannelType.TEXT, ChannelType.NEWS):
            raise DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
        message = self.world.message(parent, req.param("message_id"))
        self.world.require(parent, P.CREATE_PUBLIC_THREADS | P.READ_MESSAGE_HISTORY)
        if message.thread_id is not None:
            raise DiscordHTTPError(400, 160004, "A thread has already been created for this message")
        body = req.body
        self._check_thread_fields(body)
        kind = 10 if parent.type == ChannelType.NEWS else ChannelType.PUBLIC_THREAD
        thread = self.new_thread(
            parent, self.world.bot, body["name"], type=kind, body=body, thread_id=message.id
        )
        self.emit_thread("THREAD_CREATE", thread, newly_created=True)
        message.thread_id = thread.id
        message.flags |= MessageFlags.HAS_THREAD
        self.double.emit_message("MESSAGE_UPDATE", message)
        return payloads.channel(self.world, thread)

    async def thread_in_channel(self, req: ApiRequest) -> Any:
        parent = self.world.channel(req.param("channel_id"))
        body = req.body
        if parent.type == ChannelType.FORUM:
            thread, starter = self.forum_post(parent, self.world.bot, body, req.files)
            return payloads.channel(self.world, thread) | {"message": payloads.message(self.world, starter)}
        if parent.type not in (ChannelType.TEXT, ChannelType.NEWS):
            raise DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
        kind = int(body.get("type") or ChannelType.PRIVATE_THREAD)
        if kind not in (10, ChannelType.PUBLIC_THREAD, ChannelType.PRIVATE_THREAD):
            raise DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
        needed = P.CREATE_PRIVATE_THREADS if kind == ChannelType.PRIVATE_THREAD else P.CREATE_PUBLIC_THREADS
        self.world.require(parent, needed)
        self._check_thread_fields(body)
        thread = self.new_thread(parent, self.world.bot, body["name"], type=kind, body=body)
        self.emit_thread("THREAD_CREATE", thread, newly_created=True)
        if kind == ChannelType.PUBLIC_THREAD:
            notice = Message(
                id=self.world.ids.next(),
                channel_id=parent.id,
                guild_id=parent.guild_id,
                author=self.world.bot,
                type=18,  # THREAD_CREATED system message in the parent channel
                content=thread.name,
                message_reference={"channel_id": str(thread.id), "guild_id": str(parent.guild_id)},
            )
            self.double.message_routes.post(parent, notice)
        return payloads.channel(self.world, thread)

    def forum_post(
        self, forum: Channel, author: User, body: dict[str, Any], files: list[UploadedFile]
    ) -> tuple[Channel, Message]:
        """Create a forum post (thread + starter message whose id is the thread id)."""
        if author.id == self.world.bot.id:
            needed = P.SEND_MESSAGES | (P.ATTACH_FILES if files else 0)
            self.world.require(forum, needed)
        self._check_thread_fields(body)
        tags = [int(t) for t in body.get("applied_tags") or []]
        known = {t.id for t in forum.available_tags}
        errors = FormErrors()
        if len(tags) > MAX_APPLIED_TAGS:
            errors.add(
                ("applied_tags",), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_APPLIED_TAGS} or fewer in length."
            )
        for index, tag in enumerate(tags):
            if tag not in known:
                errors.add(("applied_tags", index), "FORUM_TAG_UNKNOWN", f"Unknown forum tag {tag}")
        if forum.flags & FORUM_REQUIRE_TAG and not tags:
            errors.add(
                ("applied_tags",),
                "FORUM_TAG_REQUIRED",
                "A tag is required to create a forum post in this channel",
            )
        errors.raise_if_any()
        message_body = body.get("message")
        if not isinstance(message_body, dict):
            errors.add(("message",), "BASE_TYPE_REQUIRED", "This field is required")
            errors.raise_if_any()
            raise AssertionError("unreachable")
        thread_id = self.world.ids.next()
        placeholder = Channel(id=thread_id, type=ChannelType.PUBLIC_THREAD, name="", guild_id=forum.guild_id)
        starter = self.double.builder.create(
            placeholder, author, message_body, files, message_id=thread_id, prefix=("message",)
        )
        thread = self.new_thread(
            forum, author, body["name"], type=ChannelType.PUBLIC_THREAD, body=body, thread_id=thread_id
        )
        thread.applied_tags = tags
        self.emit_thread("THREAD_CREATE", thread, newly_created=True)
        self.double.message_routes.post(thread, starter)
        forum.last_message_id = thread.id
        return thread, starter

    async def join_thread(self, req: ApiRequest) -> Any:
        thread = self._thread(req.param("channel_id"))
        user_id = self.world.bot.id if req.param("user_id") == "@me" else int(req.param("user_id"))
        if user_id != self.world.bot.id:
            self.world.require(thread, P.SEND_MESSAGES_IN_THREADS)
            self.ensure_writable_thread(thread)
        if user_id not in thread.member_ids:
            thread.member_ids.append(user_id)
            self._members_update(thread, added=[user_id])
        return None

    async def leave_thread(self, req: ApiRequest) -> Any:
        thread = self._thread(req.param("channel_id"))
        user_id = self.world.bot.id if req.param("user_id") == "@me" else int(req.param("user_id"))
        if user_id != self.world.bot.id and thread.owner_id != self.world.bot.id:
            self.world.require(thread, P.MANAGE_THREADS)
        if user_id in thread.member_ids:
            thread.member_ids.remove(user_id)
            self._members_update(thread, removed=[user_id])
        return None

    def _members_update(
        self, thread: Channel, *, added: list[int] | None = None, removed: list[int] | None = None
    ) -> None:
        data: dict[str, Any] = {
            "id": str(thread.id),
            "guild_id": str(thread.guild_id),
            "member_count": len(thread.member_ids),
        }
        if added:
            data["added_members"] = [
                {"id": str(thread.id), "user_id": str(u), "join_timestamp": iso(utcnow()), "flags": 0}
                for u in added
            ]
        if removed:
            data["removed_member_ids"] = [str(u) for u in removed]
        self.double.dispatch("THREAD_MEMBERS_UPDATE", data, guild_id=thread.guild_id)

    def edit_thread(self, thread: Channel, body: dict[str, Any]) -> Any:
        perms = self.world.bot_channel_permissions(thread)
        manage = bool(perms & P.MANAGE_THREADS)
        own = thread.owner_id == self.world.bot.id
        if not perms & P.VIEW_CHANNEL:
            raise err.missing_access()
        if ("locked" in body or "invitable" in body or not own) and not manage:
            raise err.missing_permissions()
        if thread.archived and body.get("archived") is not False:
            raise DiscordHTTPError(400, 50083, "Thread is archived")
        errors = FormErrors()
        limits.check_name(errors, ("name",), body.get("name"), required=False)
        tags = body.get("applied_tags")
        if tags is not None:
            parent = self.world.channels[thread.parent_id or 0]
            known = {t.id for t in parent.available_tags}
            for index, tag in enumerate(tags):
                if int(tag) not in known:
                    errors.add(("applied_tags", index), "FORUM_TAG_UNKNOWN", f"Unknown forum tag {tag}")
            errors.max_items(("applied_tags",), tags, MAX_APPLIED_TAGS)
        errors.raise_if_any()
        if "name" in body:
            thread.name = body["name"]
        if tags is not None:
            thread.applied_tags = [int(t) for t in tags]
        for key in ("locked", "invitable"):
            if key in body:
                setattr(thread, key, bool(body[key]))
        for key in ("auto_archive_duration", "rate_limit_per_user", "flags"):
            if key in body and body[key] is not None:
                setattr(thread, key, int(body[key]))
        if "archived" in body and bool(body["archived"]) != thread.archived:
            thread.archived = bool(body["archived"])
            thread.archive_timestamp = utcnow()
        self.emit_thread("THREAD_UPDATE", thread)
        return payloads.channel(self.world, thread)
