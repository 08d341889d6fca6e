"""``OpenAIRealtimeSession``: a live realtime conversation (axio's ``RealtimeSession``).

:class:`~.live_session.LiveSession` holds the connection (reconnection, replay, recycling); the
conversation's rules are :class:`~axio_omni.wire.realtime.RealtimeProtocol`'s. This module adds
what a caller says: audio, text and images, turns, interruptions, tool results and updates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from axio.blocks import ContentBlock, TextBlock
from axio.tool import Tool
from axio.transport import RealtimeSession
from axio.types import ToolCallID, ToolName

from ..wire.realtime import RealtimeProtocol
from ..wire.realtime_session import function_tools
from .live_session import RECOVERABLE_CLOSE_CODES, Link, LiveSession

__all__ = ["RECOVERABLE_CLOSE_CODES", "Link", "OpenAIRealtimeSession"]

_KEEP: Any = object()


class OpenAIRealtimeSession(LiveSession[RealtimeProtocol], RealtimeSession):
    """A live realtime conversation (axio's ``RealtimeSession``); made by ``OpenAIRealtimeTransport.connect``."""

    async def send(self, content: ContentBlock | list[ContentBlock]) -> None:
        """Audio appended to the input buffer (converted to 24 kHz); text and images as a user message."""
        await self._send(self.protocol.send(content if isinstance(content, list) else [content]))

    async def commit(self) -> None:
        """End the user's turn: with manual turns, commit the buffered audio (if any) and ask for a reply."""
        await self._send(self.protocol.commit())

    async def interrupt(self, *, played_ms: int | None = None) -> None:
        """Stop the reply: cancel it if one is active, and cut the assistant's audio at what was heard
        (``played_ms``, else what was handed over)."""
        await self._send(self.protocol.interrupt(played_ms))

    def mark_played(self, played_ms: int) -> None:
        """Report how much of the current reply's audio the speaker has played, for a tighter cut."""
        self.protocol.mark_played(played_ms)

    async def send_tool_result(
        self, tool_use_id: ToolCallID, name: ToolName, content: str | list[ContentBlock]
    ) -> None:
        """The call's output; one ``response.create`` follows once every call of the response has one."""
        if isinstance(content, list):
            content = "".join(
                b.text if isinstance(b, TextBlock) else f"[{type(b).__name__} left out: realtime tool output is text]"
                for b in content
            )
        await self._send(self.protocol.tool_result(tool_use_id, content))

    async def update(
        self,
        *,
        instructions: str | None = None,
        tools: list[Tool[Any]] | None = None,
        voice: str | None = None,
        turn_detection: Mapping[str, Any] | None = _KEEP,
    ) -> None:
        """Change the session mid-conversation; the change is kept for reconnections too."""
        change: dict[str, Any] = {"type": "realtime"}
        if instructions is not None:
            change["instructions"] = self._session["instructions"] = instructions
        if tools is not None:
            change["tools"] = self._session["tools"] = function_tools(tools)
        audio = self._session["audio"]
        if voice is not None:
            audio["output"]["voice"] = voice
            change.setdefault("audio", {})["output"] = {"voice": voice}
        if turn_detection is not _KEEP:
            audio["input"]["turn_detection"] = turn_detection
            change.setdefault("audio", {})["input"] = {"turn_detection": turn_detection}
            self.protocol.manual_turns = turn_detection is None
        await self._send([self.protocol.event("session.update", session=change)])
