"""The OpenAI realtime conversation as a state machine, sans-I/O.

:class:`RealtimeProtocol` turns axio's session calls into client events (dicts to send) and server
events (parsed JSON) into axio events, and keeps what turn-taking needs: whether a response is
active, which tool calls await results, how much of the assistant's audio the caller has been
handed, and the conversation so far (to re-create it on a new connection). It reads the GA event
names and the beta names compatible servers still send. No socket is in sight: the session
(``transports/realtime.py``) sends what the methods return and what :attr:`outbox` collects.

Turn-taking rules, each of which a real server enforces with an error:

- ``response.cancel`` only while a response is active (``response.created`` seen, ``response.done``
  not yet); the assistant's audio item is truncated at what the caller was handed (or what it says
  has played), never past it.
- One ``response.create`` per round of tool results: sent once every call of the response has its
  output, and held until the active response ends if another one started meanwhile.
- ``input_audio_buffer.commit`` never on an empty buffer.

Errors that answer our own racy events (a cancel or truncate that crossed the response's end) and
the benign codes below are logged, never yielded: ``RealtimeAgent`` raises on any axio ``Error``.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from axio.blocks import AudioBlock, ContentBlock, ImageBlock, TextBlock
from axio.events import (
    AudioOutputDelta,
    Error,
    ProviderEvent,
    SpeechStarted,
    SpeechStopped,
    StreamEvent,
    TextDelta,
    ToolInputDelta,
    ToolUseStart,
    TranscriptDelta,
    TurnComplete,
)
from axio.types import StopReason, Usage

from ..audio.live import LivePcm
from ..errors import ConfigurationError, MalformedResponseError, RealtimeServerError
from .realtime_session import WIRE_RATE, AudioFormat

__all__ = ["BENIGN_CODES", "RealtimeProtocol", "replay_item", "server_error", "stop_reason", "usage_of"]

logger = logging.getLogger("axio_omni.realtime")

#: Error codes that report a race the session tolerates, not a failure.
BENIGN_CODES = frozenset(
    {
        "response_cancel_not_active",
        "conversation_already_has_active_response",
        "input_audio_buffer_commit_empty",
    }
)
#: Client events that may cross the server's own progress; an error answering one is a race.
_RACY = frozenset({"response.cancel", "conversation.item.truncate"})
_INCOMPLETE = {
    "max_output_tokens": StopReason.max_tokens,
    "content_filter": StopReason.refusal,
    "turn_detected": StopReason.cancelled,
    "client_cancelled": StopReason.cancelled,
}
_PROVIDER = "openai"


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


def _new_id() -> str:
    return f"omni_{uuid.uuid4().hex[:24]}"


class RealtimeProtocol:
    """One realtime conversation's state, across however many connections carry it."""

    def __init__(
        self, *, input_format: AudioFormat, output_format: AudioFormat, manual_turns: bool, barge_in: bool = True
    ) -> None:
        """``manual_turns``: no server VAD, so ``commit()`` commits the buffer; ``barge_in``: the server
        cancels its reply when the user speaks, so the session truncates what the user heard."""
        self.input, self.output, self.manual_turns, self.barge_in = input_format, output_format, manual_turns, barge_in
        self._in = LivePcm(input_format.rate, WIRE_RATE) if input_format.pcm else None
        self._out = LivePcm(WIRE_RATE, output_format.rate) if output_format.pcm else None
        #: Client events the server's events call for (a deferred ``response.create``, a truncate).
        self.outbox: list[dict[str, Any]] = []
        #: The server said the session hit its time limit (``session_expired``).
        self.expired = False
        #: The active response's id (``response.created`` seen, ``response.done`` not yet).
        self.response_id: str | None = None
        self._seq = itertools.count(1)
        self._sent: dict[str, str] = {}
        self._buffered = 0
        self._fresh_input = False
        self._want_response = False
        self._calls: dict[str, int] = {}
        self._args_seen: set[str] = set()
        self._answered: set[str] = set()
        self._awaiting: set[str] = set()
        self._audio_item: tuple[str, int] | None = None
        #: Items whose audio the caller cut off: deltas still in flight for them are dropped.
        self._muted: set[str] = set()
        self._delivered = 0
        self._played_ms: int | None = None
        #: The conversation so far by item id, in order, and the text each item's audio carried.
        self.items: dict[str, dict[str, Any]] = {}
        self.texts: dict[str, str] = {}
        self._handlers: dict[str, Callable[[dict[str, Any]], list[StreamEvent]]] = self._handler_table()

    @property
    def between_turns(self) -> bool:
        """No response is active, and none is owed (tool results awaited, a response deferred)."""
        return self.response_id is None and not self._awaiting and not self._want_response

    # ── client side ─────────────────────────────────────────────────────────────────────────────

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        """A client event with an ``event_id``, remembered so that an error answering it can be placed."""
        event_id = f"omni_evt_{next(self._seq)}"
        self._sent[event_id] = kind
        if len(self._sent) > 256:
            del self._sent[next(iter(self._sent))]
        return {"type": kind, "event_id": event_id, **fields}

    def audio(self, data: bytes) -> dict[str, Any] | None:
        """An ``input_audio_buffer.append`` of caller audio (converted to 24 kHz), or None while the
        converter still holds it all."""
        wire = self._in.convert(data) if self._in is not None else bytes(data)
        if not wire:
            return None
        self._buffered += len(wire)
        return {"type": "input_audio_buffer.append", "audio": base64.b64encode(wire).decode("ascii")}

    def send(self, blocks: Iterable[ContentBlock]) -> list[dict[str, Any]]:
        """Client events for user content: audio appended to the buffer, text and images as one message."""
        out: list[dict[str, Any]] = []
        parts: list[dict[str, Any]] = []
        for block in blocks:
            if isinstance(block, AudioBlock):
                self._check_audio(block.media_type)
                if (event := self.audio(block.data)) is not None:
                    out.append(event)
            elif isinstance(block, TextBlock):
                parts.append({"type": "input_text", "text": block.text})
            elif isinstance(block, ImageBlock):
                url = f"data:{block.media_type};base64,{base64.b64encode(block.data).decode('ascii')}"
                parts.append({"type": "input_image", "image_url": url})
            else:
                raise ConfigurationError(f"a realtime session takes audio, text and images, not {type(block).__name__}")
        if parts:
            item: dict[str, Any] = {"id": _new_id(), "type": "message", "role": "user", "content": parts}
            self.items[item["id"]] = item
            self._fresh_input = True
            out.append(self.event("conversation.item.create", item=item))
        return out

    def _check_audio(self, media_type: str) -> None:
        # ``audio/pcm`` alone is taken to mean the rate the session was opened with.
        if media_type != self.input.media_type and media_type != self.input.wire["type"]:
            raise ConfigurationError(
                f"audio of type {media_type!r} sent to a session opened with input_audio_format="
                f"{self.input.media_type!r}"
            )

    def commit(self) -> list[dict[str, Any]]:
        """End of the user's turn: commit buffered audio (manual turns only, never an empty buffer) and
        ask for a response if there is new input."""
        out: list[dict[str, Any]] = []
        if self.manual_turns and self._buffered:
            out.append(self.event("input_audio_buffer.commit"))
            self._buffered = 0
            self._fresh_input = True
        if self._fresh_input:
            out += self._ask()
        return out

    def interrupt(self, played_ms: int | None = None) -> list[dict[str, Any]]:
        """Stop the assistant: cancel the active response (only if there is one) and truncate its audio."""
        if played_ms is not None:
            self.mark_played(played_ms)
        out = self._truncate(force=self.response_id is not None)
        if self.response_id is not None:
            out.insert(0, self.event("response.cancel"))
        self._awaiting.clear()
        self._want_response = False
        return out

    def mark_played(self, played_ms: int) -> None:
        """How much of the current assistant audio item the caller's speaker has played, in ms."""
        if not isinstance(played_ms, int) or isinstance(played_ms, bool) or played_ms < 0:
            raise ConfigurationError(f"played_ms must be a whole number of milliseconds >= 0, got {played_ms!r}")
        self._played_ms = played_ms

    def _truncate(self, *, force: bool) -> list[dict[str, Any]]:
        """A truncate of the current audio item at what was heard; only where it cuts something."""
        if self._audio_item is None:
            return []
        delivered = self.output.ms(self._delivered)
        heard = delivered if self._played_ms is None else min(self._played_ms, delivered)
        if not force and heard >= delivered:
            return []
        item_id, content_index = self._audio_item
        self._audio_item = None
        self._muted.add(item_id)
        return [
            self.event("conversation.item.truncate", item_id=item_id, content_index=content_index, audio_end_ms=heard)
        ]

    def tool_result(self, call_id: str, output: str) -> list[dict[str, Any]]:
        """The call's output as an item, then one ``response.create`` once every call has its output."""
        item = {"id": _new_id(), "type": "function_call_output", "call_id": call_id, "output": output}
        self.items[item["id"]] = item
        out = [self.event("conversation.item.create", item=item)]
        self._answered.add(call_id)
        if call_id in self._awaiting:
            self._awaiting.discard(call_id)
            if not self._awaiting:
                self._fresh_input = True
                out += self._ask()
        return out

    def _ask(self) -> list[dict[str, Any]]:
        if self.response_id is not None:
            self._want_response = True  # sent when the active response is done
            return []
        self._fresh_input = False
        return [self.event("response.create")]

    def replay(self) -> list[dict[str, Any]]:
        """``conversation.item.create`` events that re-create the conversation so far on a new session."""
        out = []
        for item_id, item in self.items.items():
            replayed = replay_item(item, self.texts.get(item_id))
            if replayed is None:
                logger.info("realtime: item %s (%s) cannot be replayed and is left out", item_id, item.get("type"))
                continue
            out.append(self.event("conversation.item.create", item=replayed))
        return out

    def connection_lost(self) -> list[StreamEvent]:
        """Events that close what the lost connection left open: a cut response ends with ``error``."""
        self._buffered = 0
        self._audio_item = None
        self._calls.clear()
        if self.response_id is None:
            return []
        self.response_id = None
        return [TurnComplete(stop_reason=StopReason.error)]

    # ── server side ─────────────────────────────────────────────────────────────────────────────

    def receive(self, event: Any) -> list[StreamEvent]:
        """The axio events one server event means (often none); client events it calls for go to :attr:`outbox`."""
        if not isinstance(event, dict) or not isinstance(kind := event.get("type"), str):
            raise MalformedResponseError(f"a realtime server event is not an object with a type: {str(event)[:200]}")
        handler = self._handlers.get(kind)
        if handler is None:
            return [ProviderEvent(_PROVIDER, kind, event)]
        try:
            return handler(event)
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise MalformedResponseError(f"cannot read the realtime event {kind!r}: {exc!r}") from exc

    def _handler_table(self) -> dict[str, Callable[[dict[str, Any]], list[StreamEvent]]]:
        table: dict[str, Callable[[dict[str, Any]], list[StreamEvent]]] = {
            "response.output_audio.delta": self._on_audio,
            "response.output_audio_transcript.delta": self._on_transcript,
            "response.output_audio_transcript.done": self._on_transcript_done,
            "response.output_text.delta": self._on_text,
            "response.output_text.done": self._on_text_done,
            "response.function_call_arguments.delta": self._on_arguments,
            "response.function_call_arguments.done": self._on_arguments_done,
            "response.output_item.added": self._on_output_item,
            "response.output_item.done": self._on_output_item_done,
            "response.created": self._on_response_created,
            "response.done": self._on_response_done,
            "conversation.item.added": self._on_item,
            "conversation.item.done": self._on_item,
            "conversation.item.deleted": self._on_item_deleted,
            "conversation.item.input_audio_transcription.delta": self._on_user_transcript,
            "conversation.item.input_audio_transcription.completed": self._on_user_transcript_done,
            "conversation.item.input_audio_transcription.failed": self._on_user_transcript_failed,
            "input_audio_buffer.speech_started": self._on_speech_started,
            "input_audio_buffer.speech_stopped": self._on_speech_stopped,
            "input_audio_buffer.committed": self._on_buffer_reset,
            "input_audio_buffer.cleared": self._on_buffer_reset,
            "error": self._on_error,
        }
        # The beta names, still sent by compatible servers.
        for beta, ga in (
            ("response.audio.delta", "response.output_audio.delta"),
            ("response.audio_transcript.delta", "response.output_audio_transcript.delta"),
            ("response.audio_transcript.done", "response.output_audio_transcript.done"),
            ("response.text.delta", "response.output_text.delta"),
            ("response.text.done", "response.output_text.done"),
            ("conversation.item.created", "conversation.item.added"),
        ):
            table[beta] = table[ga]
        return table

    def _on_audio(self, event: dict[str, Any]) -> list[StreamEvent]:
        key = (event.get("item_id", ""), event.get("content_index", 0))
        if key[0] in self._muted:
            return []
        wire = base64.b64decode(event["delta"])
        data = self._out.convert(wire) if self._out is not None else wire
        if self._audio_item != key:
            self._audio_item, self._delivered, self._played_ms = key, 0, None
        self._delivered += len(data) // 2 if self.output.pcm else len(data)
        return [AudioOutputDelta(data, self.output.media_type)] if data else []

    def _on_transcript(self, event: dict[str, Any]) -> list[StreamEvent]:
        item_id = event.get("item_id", "")
        self.texts[item_id] = self.texts.get(item_id, "") + event["delta"]
        return [TranscriptDelta("assistant", event["delta"])]

    def _on_transcript_done(self, event: dict[str, Any]) -> list[StreamEvent]:
        if isinstance(event.get("transcript"), str):
            self.texts[event.get("item_id", "")] = event["transcript"]
        return []

    def _on_text(self, event: dict[str, Any]) -> list[StreamEvent]:
        item_id = event.get("item_id", "")
        self.texts[item_id] = self.texts.get(item_id, "") + event["delta"]
        return [TextDelta(int(event.get("output_index") or 0), event["delta"])]

    def _on_text_done(self, event: dict[str, Any]) -> list[StreamEvent]:
        if isinstance(event.get("text"), str):
            self.texts[event.get("item_id", "")] = event["text"]
        return []

    def _on_output_item(self, event: dict[str, Any]) -> list[StreamEvent]:
        item = event["item"]
        if item.get("id"):
            self.items[item["id"]] = item
        if item.get("type") != "function_call":
            return []
        call_id = item["call_id"]
        self._calls[call_id] = index = len(self._calls)
        return [ToolUseStart(index, call_id, item["name"])]

    def _on_arguments(self, event: dict[str, Any]) -> list[StreamEvent]:
        call_id = event["call_id"]
        self._args_seen.add(call_id)
        return [ToolInputDelta(self._calls.get(call_id, 0), call_id, event["delta"])]

    def _on_arguments_done(self, event: dict[str, Any]) -> list[StreamEvent]:
        call_id = event["call_id"]
        if call_id in self._args_seen or not event.get("arguments"):
            return []
        # A server that sends the arguments whole, with no deltas.
        self._args_seen.add(call_id)
        return [ToolInputDelta(self._calls.get(call_id, 0), call_id, event["arguments"])]

    def _on_output_item_done(self, event: dict[str, Any]) -> list[StreamEvent]:
        item = event["item"]
        if item.get("id"):
            self.items[item["id"]] = item
        return []

    def _on_response_created(self, event: dict[str, Any]) -> list[StreamEvent]:
        self.response_id = event["response"].get("id") or "response"
        self._fresh_input = False
        self._calls.clear()
        self._args_seen.clear()
        return [ProviderEvent(_PROVIDER, "response.created", event)]

    def _on_response_done(self, event: dict[str, Any]) -> list[StreamEvent]:
        response = event["response"]
        self.response_id = None
        reason = stop_reason(response)
        if reason is StopReason.tool_use:
            self._awaiting = set(self._calls) - self._answered
        self._answered.clear()
        if reason is StopReason.error:
            logger.warning("realtime: response %s failed: %s", response.get("id"), response.get("status_details"))
        if self._want_response or (reason is StopReason.tool_use and not self._awaiting):
            self._want_response = False
            self._fresh_input = False
            self.outbox.append(self.event("response.create"))
        return [ProviderEvent(_PROVIDER, "response.done", event), TurnComplete(reason, usage_of(response))]

    def _on_item(self, event: dict[str, Any]) -> list[StreamEvent]:
        item = event["item"]
        if item.get("id"):
            known = self.items.get(item["id"])
            # Our own items keep the content we sent; the server's echo may abbreviate it.
            if known is None or not known["id"].startswith("omni_"):
                self.items[item["id"]] = item
        return [ProviderEvent(_PROVIDER, event["type"], event)]

    def _on_item_deleted(self, event: dict[str, Any]) -> list[StreamEvent]:
        self.items.pop(event["item_id"], None)
        self.texts.pop(event["item_id"], None)
        return [ProviderEvent(_PROVIDER, "conversation.item.deleted", event)]

    def _on_user_transcript(self, event: dict[str, Any]) -> list[StreamEvent]:
        item_id = event["item_id"]
        self.texts[item_id] = self.texts.get(item_id, "") + event["delta"]
        return [TranscriptDelta("user", event["delta"])] if event["delta"] else []

    def _on_user_transcript_done(self, event: dict[str, Any]) -> list[StreamEvent]:
        item_id, transcript = event["item_id"], event["transcript"]
        seen = self.texts.get(item_id, "")
        self.texts[item_id] = transcript
        # Servers that send no deltas give the whole transcript here; others, the rest of it.
        rest = transcript[len(seen) :] if transcript.startswith(seen) else ""
        return [TranscriptDelta("user", rest)] if rest else []

    def _on_user_transcript_failed(self, event: dict[str, Any]) -> list[StreamEvent]:
        logger.warning("realtime: transcription of item %s failed: %s", event.get("item_id"), event.get("error"))
        return [ProviderEvent(_PROVIDER, event["type"], event)]

    def _on_speech_started(self, event: dict[str, Any]) -> list[StreamEvent]:
        # Server-side barge-in: the server cancels its response; what the user heard is ours to say.
        if self.barge_in:
            self.outbox += self._truncate(force=self.response_id is not None)
        return [SpeechStarted()]

    def _on_speech_stopped(self, event: dict[str, Any]) -> list[StreamEvent]:
        return [SpeechStopped()]

    def _on_buffer_reset(self, event: dict[str, Any]) -> list[StreamEvent]:
        self._buffered = 0
        return [ProviderEvent(_PROVIDER, event["type"], event)]

    def _on_error(self, event: dict[str, Any]) -> list[StreamEvent]:
        error = event.get("error") or {}
        code, origin = error.get("code"), self._sent.get(str(error.get("event_id")))
        if code == "session_expired":
            self.expired = True
            return []
        if code in BENIGN_CODES or origin in _RACY:
            if code == "conversation_already_has_active_response" and origin == "response.create":
                self._want_response = True
            logger.info("realtime: %s (answering %s): %s", code, origin, error.get("message"))
            return []
        return [Error(server_error(error))]
