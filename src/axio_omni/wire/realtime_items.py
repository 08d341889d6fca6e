"""What realtime server events and items mean, apart from any session's state (sans-I/O).

Stop reasons and usage of a ``response.done``, the typed error of an ``error`` event, an item as a
new session can replay it, and :class:`Playback`: how much of the assistant's current audio item
the caller was handed (and says it played), which is where a truncation may cut.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any, Protocol

from axio.types import StopReason, Usage

from ..errors import ConfigurationError, RealtimeServerError
from .realtime_session import AudioFormat

__all__ = [
    "BENIGN_CODES",
    "HANDLERS",
    "Converter",
    "Playback",
    "new_item_id",
    "replay_item",
    "server_error",
    "stop_reason",
    "usage_of",
]

#: The server events :class:`~.realtime.RealtimeProtocol` reads, and the method reading each;
#: anything else goes out as a ``ProviderEvent``.
HANDLERS = {
    "response.output_audio.delta": "_on_audio",
    "response.output_audio_transcript.delta": "_on_transcript",
    "response.output_audio_transcript.done": "_on_text_done",
    "response.output_text.delta": "_on_text",
    "response.output_text.done": "_on_text_done",
    "response.function_call_arguments.delta": "_on_arguments",
    "response.function_call_arguments.done": "_on_arguments_done",
    "response.output_item.added": "_on_output_item",
    "response.output_item.done": "_on_output_item_done",
    "response.created": "_on_response_created",
    "response.done": "_on_response_done",
    "conversation.item.added": "_on_item",
    "conversation.item.done": "_on_item",
    "conversation.item.deleted": "_on_item_deleted",
    "conversation.item.input_audio_transcription.delta": "_on_user_transcript",
    "conversation.item.input_audio_transcription.completed": "_on_user_transcript_done",
    "conversation.item.input_audio_transcription.failed": "_on_user_transcript_failed",
    "input_audio_buffer.speech_started": "_on_speech_started",
    "input_audio_buffer.speech_stopped": "_on_speech_stopped",
    "input_audio_buffer.committed": "_on_buffer_reset",
    "input_audio_buffer.cleared": "_on_buffer_reset",
    "error": "_on_error",
}
#: The beta names compatible servers still send, read as the GA names they stand for.
HANDLERS |= {
    "response.audio.delta": HANDLERS["response.output_audio.delta"],
    "response.audio_transcript.delta": HANDLERS["response.output_audio_transcript.delta"],
    "response.audio_transcript.done": HANDLERS["response.output_audio_transcript.done"],
    "response.text.delta": HANDLERS["response.output_text.delta"],
    "response.text.done": HANDLERS["response.output_text.done"],
    "conversation.item.created": HANDLERS["conversation.item.added"],
}
#: Error codes that report a race the session tolerates, not a failure.
BENIGN_CODES = frozenset(
    {
        "response_cancel_not_active",
        "conversation_already_has_active_response",
        "input_audio_buffer_commit_empty",
    }
)
_INCOMPLETE = {
    "max_output_tokens": StopReason.max_tokens,
    "content_filter": StopReason.refusal,
    "turn_detected": StopReason.cancelled,
    "client_cancelled": StopReason.cancelled,
}


def new_item_id() -> str:
    """An id for an item the client creates (OpenAI takes up to 32 characters)."""
    return f"omni_{uuid.uuid4().hex[:24]}"


def stop_reason(response: Mapping[str, Any]) -> StopReason:
    """Why a ``response.done`` response ended, in axio's words (``tool_use`` when it called functions)."""
    status = response.get("status")
    if status == "completed":
        calls = any(isinstance(i, Mapping) and i.get("type") == "function_call" for i in response.get("output") or ())
        return StopReason.tool_use if calls else StopReason.end_turn
    if status == "cancelled":
        return StopReason.cancelled
    if status == "failed":
        return StopReason.error
    if status == "incomplete":
        reason = (response.get("status_details") or {}).get("reason")
        return _INCOMPLETE.get(str(reason), StopReason.unknown)
    return StopReason.unknown


def server_error(error: Mapping[str, Any]) -> RealtimeServerError:
    """The typed error for the ``error`` object of an ``error`` event: message, code, param, event id."""
    return RealtimeServerError(
        str(error.get("message") or "the realtime server reported an error"),
        type=error.get("type"),
        code=error.get("code"),
        param=error.get("param"),
        event_id=error.get("event_id"),
        body=json.dumps(error)[:2000],
    )


def usage_of(response: Mapping[str, Any]) -> Usage | None:
    """The response's token counts (cached input as ``cache_read_tokens``), where it reports any."""
    usage = response.get("usage")
    if not isinstance(usage, Mapping):
        return None
    details = usage.get("input_token_details") or {}
    return Usage.reported(
        int(usage.get("input_tokens") or 0),
        int(usage.get("output_tokens") or 0),
        cache_read_tokens=int(details.get("cached_tokens") or 0),
    )


def replay_item(item: Mapping[str, Any], text: str | None) -> dict[str, Any] | None:
    """``item`` as a ``conversation.item.create`` can send it to a new session, or None if it cannot be.

    Audio is not resent: a user's speech goes as its transcript (``text``), an assistant's as the
    transcript of what it said. A spoken user turn without a transcript (transcription off) is lost.
    """
    kind = item.get("type")
    base = {"id": item["id"], "type": kind}
    if kind == "function_call":
        return {
            **base,
            "call_id": item.get("call_id"),
            "name": item.get("name"),
            "arguments": item.get("arguments", ""),
        }
    if kind == "function_call_output":
        return {**base, "call_id": item.get("call_id"), "output": item.get("output", "")}
    if kind != "message":
        return None
    role = item.get("role")
    parts = []
    for part in item.get("content") or ():
        if part.get("type") in ("input_text", "input_image") or (role == "system" and part.get("type") == "input_text"):
            parts.append({k: v for k, v in part.items() if k in ("type", "text", "image_url", "detail")})
    if text:
        parts.append({"type": "output_text" if role == "assistant" else "input_text", "text": text})
    return {**base, "role": role, "content": parts} if parts else None


class Converter(Protocol):
    """Audio bytes from one format to another, chunk by chunk (``audio.live.LivePcm``)."""

    def convert(self, data: bytes) -> bytes: ...


class Playback:
    """The assistant audio item being handed to the caller, and where a cut may fall."""

    __slots__ = ("output", "item", "delivered", "played_ms", "muted")

    def __init__(self, output: AudioFormat) -> None:
        self.output = output
        #: ``(item_id, content_index)`` of the audio being handed over, None when there is none.
        self.item: tuple[str, int] | None = None
        self.delivered = 0
        self.played_ms: int | None = None
        #: Items the caller cut off: their deltas still in flight are dropped.
        self.muted: set[str] = set()

    def deliver(self, key: tuple[str, int], data: bytes) -> None:
        """``data`` (in the caller's format) of item ``key`` was handed over."""
        if self.item != key:
            self.item, self.delivered, self.played_ms = key, 0, None
        self.delivered += len(data) // 2 if self.output.pcm else len(data)

    def mark_played(self, played_ms: int) -> None:
        if not isinstance(played_ms, int) or isinstance(played_ms, bool) or played_ms < 0:
            raise ConfigurationError(f"played_ms must be a whole number of milliseconds >= 0, got {played_ms!r}")
        self.played_ms = played_ms

    def cut(self, *, force: bool) -> tuple[str, int, int] | None:
        """``(item_id, content_index, audio_end_ms)`` at what was heard, never past what was handed
        over; None when there is no item, or (unless ``force``) when the cut would remove nothing."""
        if self.item is None:
            return None
        delivered = self.output.ms(self.delivered)
        heard = delivered if self.played_ms is None else min(self.played_ms, delivered)
        if not force and heard >= delivered:
            return None
        (item_id, index), self.item = self.item, None
        self.muted.add(item_id)
        return item_id, index, heard
