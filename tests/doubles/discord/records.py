"""``InteractionRecord``: one interaction a test started, and everything the bot answered to it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .constants import MessageFlags
from .errors import ScenarioError
from .models import Attachment, Message, User

if TYPE_CHECKING:
    from .server import DiscordDouble
    from .transport import RecordedRequest

APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5


@dataclass(eq=False)
class InteractionRecord:
    """One interaction a test started, and everything the bot answered to it."""

    double: DiscordDouble = field(repr=False)
    id: int
    token: str
    type: int
    guild_id: int | None
    channel_id: int
    user: User
    payload: dict[str, Any] = field(repr=False)
    command: str | None = None
    custom_id: str | None = None
    source_message_id: int | None = None
    created: float = field(default_factory=time.monotonic)
    response_type: int | None = None
    responded_at: datetime | None = None
    response_data: dict[str, Any] | None = field(default=None, repr=False)
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    expired: bool = False
    edits: int = 0

    # State ----------------------------------------------------------------------------------------

    @property
    def responded(self) -> bool:
        return self.response_type is not None

    @property
    def deferred(self) -> bool:
        return self.response_type in (5, 6)

    @property
    def original(self) -> Message | None:
        """The response message (for component updates: the message the component is on)."""
        return None if self.original_id is None else self.double.world.messages.get(self.original_id)

    @property
    def followups(self) -> list[Message]:
        return [self.double.world.messages[i] for i in self.followup_ids]

    @property
    def messages(self) -> list[Message]:
        """Visible results in order: the original response (once not loading), then follow-ups."""
        found = [] if self.original is None or self.original.loading else [self.original]
        return [m for m in found + self.followups if not m.deleted]

    @property
    def final(self) -> Message | None:
        """The latest visible message this interaction produced (``None`` while nothing is visible)."""
        if self.response_type == 6 and not self.followup_ids and not self._source_edited():
            return None
        return self.messages[-1] if self.messages else None

    def _source_edited(self) -> bool:
        """After a type 6 defer, the bot may edit the message via the webhook or the channel route."""
        original = self.original
        if self.edits or original is None or original.edited_at is None or self.responded_at is None:
            return bool(self.edits)
        return original.edited_at >= self.responded_at

    @property
    def ephemeral(self) -> bool:
        message = self.final or self.original
        if message is not None:
            return message.ephemeral
        return bool((self.response_data or {}).get("flags", 0) & MessageFlags.EPHEMERAL)

    @property
    def content(self) -> str:
        return self._final_or_fail().content

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self._final_or_fail().embeds

    @property
    def components(self) -> list[dict[str, Any]]:
        return self._final_or_fail().components

    @property
    def attachments(self) -> list[Attachment]:
        return self._final_or_fail().attachments

    @property
    def allowed_mentions(self) -> dict[str, Any] | None:
        return self._final_or_fail().allowed_mentions

    @property
    def choices(self) -> list[dict[str, Any]]:
        """Autocomplete choices the bot returned (type 8)."""
        if self.response_type != 8:
            raise ScenarioError(
                f"interaction {self.id} was not answered with autocomplete choices: {self._state()}"
            )
        return list((self.response_data or {}).get("choices") or [])

    @property
    def modal(self) -> dict[str, Any]:
        """The modal the bot opened (type 9)."""
        if self.response_type != 9:
            raise ScenarioError(f"interaction {self.id} was not answered with a modal: {self._state()}")
        return dict(self.response_data or {})

    @property
    def requests(self) -> list[RecordedRequest]:
        """REST requests that used this interaction's token (callback, follow-ups, edits)."""
        return [r for r in self.double.requests if r.params.get("token") == self.token]

    def _final_or_fail(self) -> Message:
        final = self.final
        if final is None:
            raise ScenarioError(f"interaction {self.id} has no visible response yet: {self._state()}")
        return final

    def _state(self) -> str:
        label = self.command or self.custom_id or f"type {self.type}"
        lines = [f"{label!r}: response_type={self.response_type}, expired={self.expired}"]
        lines += [f"  {r.summary()}" for r in self.requests] or [
            "  (the bot sent no request for this interaction)"
        ]
        return "\n".join(lines)

    # Waiting --------------------------------------------------------------------------------------

    async def wait_response(self, timeout: float = 5.0) -> InteractionRecord:
        """Wait for the initial response (callback); fail if the interaction expires unanswered."""
        await self.double.wait_for(
            lambda: self.responded or self.expired,
            timeout=timeout,
            description=f"a response to {self._state()}",
        )
        if not self.responded:
            window = self.double.interaction_timeout
            raise AssertionError(
                f"the bot did not acknowledge the interaction within {window}s\n{self._state()}"
            )
        return self

    async def wait_final(
        self, predicate: Callable[[Message], bool] | None = None, timeout: float = 5.0
    ) -> Message:
        """Wait until a visible message exists (after any deferral) and matches ``predicate``."""
        await self.wait_response(timeout)
        if self.response_type in (8, 9):
            raise ScenarioError(
                f"the bot answered with {'a modal' if self.response_type == 9 else 'choices'}"
            )

        def done() -> bool:
            final = self.final
            return final is not None and (predicate is None or predicate(final))

        await self.double.wait_for(
            done, timeout=timeout, description=f"the final response to {self._state()}"
        )
        assert self.final is not None
        return self.final

    async def wait_followups(self, count: int = 1, timeout: float = 5.0) -> list[Message]:
        await self.double.wait_for(
            lambda: len(self.followup_ids) >= count,
            timeout=timeout,
            description=f"{count} follow-up(s) to {self._state()}",
        )
        return self.followups
