"""A Discord protocol double (REST v10 + gateway) for testing the real discord.py client. See README.md."""

from __future__ import annotations

from .constants import FORUM_REQUIRE_TAG, ChannelType, Intents, MessageFlags, P
from .errors import CommandNotSynced, CommandNotVisible, DiscordHTTPError, ScenarioError
from .faults import Fault
from .models import Attachment, Channel, ForumTag, Guild, Member, Message, Poll, Role, User
from .records import InteractionRecord
from .server import DiscordDouble, DiscordPyPatch, DoubleAddress
from .transport import RecordedRequest

__all__ = [
    "FORUM_REQUIRE_TAG",
    "Attachment",
    "Channel",
    "ChannelType",
    "CommandNotSynced",
    "CommandNotVisible",
    "DiscordDouble",
    "DiscordHTTPError",
    "DiscordPyPatch",
    "DoubleAddress",
    "Fault",
    "ForumTag",
    "Guild",
    "Intents",
    "InteractionRecord",
    "Member",
    "Message",
    "MessageFlags",
    "P",
    "Poll",
    "RecordedRequest",
    "Role",
    "ScenarioError",
    "User",
]
