"""A Discord protocol double (REST v10 + gateway) for testing the real discord.py client. See README.md."""

from __future__ import annotations

from .errors import CommandNotSynced, CommandNotVisible, DiscordHTTPError, ScenarioError
from .faults import Fault
from .interactions import InteractionRecord
from .models import (
    Attachment,
    Channel,
    ChannelType,
    ForumTag,
    Guild,
    Intents,
    Member,
    Message,
    P,
    Poll,
    Role,
    User,
)
from .server import DiscordDouble, DiscordPyPatch
from .transport import RecordedRequest

__all__ = [
    "Attachment",
    "Channel",
    "ChannelType",
    "CommandNotSynced",
    "CommandNotVisible",
    "DiscordDouble",
    "DiscordHTTPError",
    "DiscordPyPatch",
    "Fault",
    "ForumTag",
    "Guild",
    "Intents",
    "InteractionRecord",
    "Member",
    "Message",
    "P",
    "Poll",
    "RecordedRequest",
    "Role",
    "ScenarioError",
    "User",
]
