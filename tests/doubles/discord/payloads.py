"""JSON payloads in the shapes discord.py 2.7 parses (read from its ``types/`` and ``_from_data`` code).

Missing keys are the classic way a double makes discord.py fail silently (a KeyError inside a gateway
parser is logged, and the test just times out), so every required key is filled in here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .constants import ChannelType
from .models import Attachment, Channel, Guild, Member, Message, Poll, Role, User, iso, utcnow
from .state import World


def user(u: User) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(u.id),
        "username": u.username,
        "discriminator": "0",
        "global_name": u.global_name,
        "avatar": None,
        "banner": None,
        "accent_color": None,
        "public_flags": 0,
        "flags": 0,
        "avatar_decoration_data": None,
        "primary_guild": None,
        "collectibles": None,
    }
    if u.bot:
        payload["bot"] = True
    return payload


def member(
    world: World, m: Member, *, with_user: bool = True, permissions: int | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "roles": [str(r) for r in m.role_ids],
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "joined_at": iso(m.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
        "avatar_decoration_data": None,
    }
    if with_user:
        payload["user"] = user(m.user)
    if permissions is not None:
        payload["permissions"] = str(permissions)
    return payload


def role(r: Role) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(r.id),
        "name": r.name,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": r.managed,
        "mentionable": r.mentionable,
        "flags": 0,
    }
    if r.bot_id is not None:
        payload["tags"] = {"bot_id": str(r.bot_id)}
    return payload


def thread_metadata(ch: Channel) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "archived": ch.archived,
        "auto_archive_duration": ch.auto_archive_duration,
        "archive_timestamp": iso(ch.archive_timestamp),
        "locked": ch.locked,
        "create_timestamp": iso(ch.created_at),
    }
    if ch.type == ChannelType.PRIVATE_THREAD:
        payload["invitable"] = ch.invitable
    return payload


def channel(world: World, ch: Channel, *, permissions: int | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"id": str(ch.id), "type": ch.type, "flags": ch.flags}
    payload["last_message_id"] = None if ch.last_message_id is None else str(ch.last_message_id)
    if ch.type == ChannelType.DM:
        payload["recipients"] = [user(world.users[ch.recipient_id])] if ch.recipient_id else []
        return payload
    payload.update(guild_id=str(ch.guild_id), name=ch.name, rate_limit_per_user=ch.rate_limit_per_user)
    payload["parent_id"] = None if ch.parent_id is None else str(ch.parent_id)
    if ch.is_thread:
        payload.update(
            owner_id=str(ch.owner_id),
            message_count=ch.message_count,
            member_count=len(ch.member_ids),
            total_message_sent=ch.total_message_sent,
            applied_tags=[str(t) for t in ch.applied_tags],
            thread_metadata=thread_metadata(ch),
        )
        if world.bot.id in ch.member_ids:
            payload["member"] = {
                "id": str(ch.id),
                "user_id": str(world.bot.id),
                "join_timestamp": iso(ch.created_at),
                "flags": 0,
            }
    else:
        payload.update(
            position=ch.position,
            topic=ch.topic,
            nsfw=ch.nsfw,
            permission_overwrites=[
                {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
                for o in ch.overwrites
            ],
            default_auto_archive_duration=1440,
            default_thread_rate_limit_per_user=0,
            last_pin_timestamp=None,
        )
        if ch.type == ChannelType.FORUM:
            payload.update(
                available_tags=[
                    {
                        "id": str(t.id),
                        "name": t.name,
                        "moderated": t.moderated,
                        "emoji_id": None,
                        "emoji_name": t.emoji_name,
                    }
                    for t in ch.available_tags
                ],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
            )
    if permissions is not None:
        payload["permissions"] = str(permissions)
    return payload


def guild(world: World, g: Guild) -> dict[str, Any]:
    """The REST guild object (``GET /guilds/{id}``)."""
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(g.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "widget_enabled": False,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "vanity_url_code": None,
        "application_id": None,
        "system_channel_id": None if g.system_channel_id is None else str(g.system_channel_id),
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "roles": [role(r) for r in world.sorted_roles(g)],
        "emojis": [],
        "stickers": [],
        "features": list(g.features),
        "incidents_data": None,
    }


def guild_create(world: World, g: Guild, *, all_members: bool) -> dict[str, Any]:
    """The GUILD_CREATE dispatch: the REST object plus channels, threads, members and the rest."""
    payload = guild(world, g)
    members = list(g.members.values()) if all_members else [world.bot_member(g)]
    payload.update(
        joined_at=iso(world.bot_member(g).joined_at),
        large=len(g.members) >= 250,
        unavailable=False,
        member_count=len(g.members),
        voice_states=[],
        members=[member(world, m) for m in members],
        channels=[channel(world, c) for c in world.guild_channels(g)],
        threads=[channel(world, t) for t in world.threads_of(g) if not t.archived],
        presences=[],
        stage_instances=[],
        guild_scheduled_events=[],
        soundboard_sounds=[],
        lazy=True,
    )
    return payload


def attachment(a: Attachment) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(a.id),
        "filename": a.filename,
        "size": a.size,
        "url": a.url,
        "proxy_url": a.url,
        "content_type": a.content_type,
        "width": None,
        "height": None,
        "ephemeral": a.ephemeral,
        "flags": 0,
    }
    if a.description is not None:
        payload["description"] = a.description
    return payload


def poll(p: Poll, viewer_id: int) -> dict[str, Any]:
    return {
        "question": {"text": p.question},
        "answers": [
            {
                "answer_id": a.answer_id,
                "poll_media": {"text": a.text, **({"emoji": a.emoji} if a.emoji else {})},
            }
            for a in p.answers
        ],
        "expiry": iso(p.expiry),
        "allow_multiselect": p.allow_multiselect,
        "layout_type": p.layout_type,
        "results": {
            "is_finalized": p.finalized,
            "answer_counts": [
                {"id": a.answer_id, "count": len(a.voters), "me_voted": viewer_id in a.voters}
                for a in p.answers
                if a.voters or p.finalized
            ],
        },
    }


def message(world: World, m: Message, *, event: bool = False, with_reference: bool = True) -> dict[str, Any]:
    """A message object; ``event=True`` adds the gateway-only ``guild_id`` and ``member`` keys."""
    guild_obj = world.guilds.get(m.guild_id) if m.guild_id else None
    mentions = []
    for uid in m.mention_user_ids:
        mentioned = world.users.get(uid)
        if mentioned is None:
            continue
        data = user(mentioned)
        if event and guild_obj is not None and uid in guild_obj.members:
            data["member"] = member(world, guild_obj.members[uid], with_user=False)
        mentions.append(data)
    payload: dict[str, Any] = {
        "id": str(m.id),
        "channel_id": str(m.channel_id),
        "type": m.type,
        "author": user(m.author),
        "content": m.content,
        "timestamp": iso(m.created_at),
        "edited_timestamp": iso(m.edited_at),
        "tts": m.tts,
        "mention_everyone": m.mention_everyone,
        "mentions": mentions,
        "mention_roles": [str(r) for r in m.mention_role_ids],
        "mention_channels": [],
        "attachments": [attachment(a) for a in m.attachments],
        "embeds": [dict(e) for e in m.embeds],
        "components": [dict(c) for c in m.components],
        "reactions": [
            {
                "emoji": {"id": None, "name": emoji},
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "me": world.bot.id in users,
                "me_burst": False,
                "burst_colors": [],
            }
            for emoji, users in m.reactions.items()
            if users
        ],
        "pinned": m.pinned,
        "flags": m.flags,
        "sticker_items": [],
    }
    if m.nonce is not None:
        payload["nonce"] = m.nonce
    if m.webhook_id is not None:
        payload["webhook_id"] = str(m.webhook_id)
    if m.application_id is not None:
        payload["application_id"] = str(m.application_id)
    if m.interaction_metadata is not None:
        payload["interaction_metadata"] = m.interaction_metadata
    if m.poll is not None:
        payload["poll"] = poll(m.poll, world.bot.id)
    if m.message_reference is not None:
        payload["message_reference"] = m.message_reference
        referenced = world.messages.get(int(m.message_reference.get("message_id") or 0))
        if with_reference and m.type in (19, 46):
            payload["referenced_message"] = (
                None
                if referenced is None or referenced.deleted
                else message(world, referenced, with_reference=False)
            )
    if m.thread_id is not None and m.thread_id in world.channels:
        payload["thread"] = channel(world, world.channels[m.thread_id])
    if m.position is not None:
        payload["position"] = m.position
    if event and m.guild_id is not None:
        payload["guild_id"] = str(m.guild_id)
        if guild_obj is not None and m.author.id in guild_obj.members and m.webhook_id is None:
            payload["member"] = member(world, guild_obj.members[m.author.id], with_user=False)
    return payload


def poll_expiry(duration_hours: float) -> Any:
    return utcnow() + timedelta(hours=duration_hours)
