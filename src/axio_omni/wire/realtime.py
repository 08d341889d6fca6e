"""The OpenAI realtime conversation as a state machine, sans-I/O.

:class:`RealtimeProtocol` turns axio's session calls into client events (dicts to send) and server
events (parsed JSON) into axio events, and keeps what turn-taking needs: whether a response is
active, which tool calls await results, how much of the assistant's audio the caller has been
handed, and the conversation so far (to re-create it on a new connection). It reads the GA event
names and the beta names compatible servers still send. No socket is in sight: the session
(``transports/realtime.py``) sends what the methods return and what :attr:`outbox` collects.

Rules a real server enforces with an error: ``response.cancel`` only while a response is active
(``response.created`` seen, ``response.done`` not yet), with the assistant's audio truncated at what
the caller was handed or says has played, never past it; one ``response.create`` per round of tool
results, held while another response runs; no commit of an empty buffer. Errors answering our own
racy events, and benign codes, are logged, never yielded: ``RealtimeAgent`` raises on any ``Error``.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Iterable
from typing import Any

from axio.blocks import AudioBlock, ContentBlock, ImageBlock, TextBlock
from axio.events import (
    AudioOutputDelta,
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
from axio.types import StopReason

from ..errors import ConfigurationError, MalformedResponseError
from .realtime_input import LiveInput
from .realtime_items import (
    HANDLERS,
    Converter,
    Playback,
    new_item_id,
    replay_item,
    stop_reason,
    usage_of,
)
from .realtime_session import AudioFormat
from .transcripts import unsent

__all__ = ["RealtimeProtocol"]

logger = logging.getLogger("axio_omni.realtime")

#: Client events that may cross the server's own progress; an error answering one is a race.
_RACY = frozenset({"response.cancel", "conversation.item.truncate"})
_PROVIDER = "openai"


class RealtimeProtocol(LiveInput):
    """One realtime conversation's state, across however many connections carry it."""

    def __init__(
        self,
        *,
        input_format: AudioFormat,
        output_format: AudioFormat,
        manual_turns: bool,
        barge_in: bool = True,
        convert_in: Callable[[int], Converter] | None = None,
        convert_out: Converter | None = None,
    ) -> None:
        """``manual_turns``: no server VAD, so ``commit()`` commits the buffer; ``barge_in``: the server
        cancels its reply when the user speaks, so the session truncates what the user heard.
        ``convert_in(rate)`` makes the converter of caller audio at ``rate`` into the wire's, one per
        rate the caller's blocks come at; ``convert_out`` turns the wire's into the caller's (None: as is)."""
        super().__init__(input_format=input_format, manual_turns=manual_turns, convert_in=convert_in)
        self.output, self.barge_in, self._out = output_format, barge_in, convert_out
        #: The active response's id (``response.created`` seen, ``response.done`` not yet).
        self.response_id: str | None = None
        #: A ``response.create`` was sent and no ``response.created`` has answered it yet.
        self.asked = False
        self._fresh_input = False
        self._want_response = False
        self._calls: dict[str, int] = {}
        self._args_seen: set[str] = set()
        self._answered: set[str] = set()
        self._awaiting: set[str] = set()
        self.playback = Playback(output_format)
        #: The conversation so far by item id, in order, and the text each item's audio carried.
        self.items: dict[str, dict[str, Any]] = {}
        #: Items the server said were done (``response.output_item.done``, ``conversation.item.done``).
        self._finished: set[str] = set()
        self.texts: dict[str, str] = {}
        self._handlers: dict[str, Callable[[dict[str, Any]], list[StreamEvent]]] = {
            kind: getattr(self, name) for kind, name in HANDLERS.items()
        }

    @property
    def between_turns(self) -> bool:
        """No response is active, and none is owed (tool results awaited, a response asked or deferred)."""
        return self.response_id is None and not (self._awaiting or self._want_response or self.asked)

    # ── client side ─────────────────────────────────────────────────────────────────────────────

    def send(self, blocks: Iterable[ContentBlock]) -> list[dict[str, Any]]:
        """Client events for user content: audio appended to the buffer, text and images as one message."""
        blocks = list(blocks)
        for block in blocks:  # every block checked before any changes the state
            if isinstance(block, AudioBlock):
                self.input.rate_of(block.media_type)
            elif not isinstance(block, (TextBlock, ImageBlock)):
                raise ConfigurationError(f"a realtime session takes audio, text and images, not {type(block).__name__}")
        out = self.audio_events(blocks)
        parts: list[dict[str, Any]] = []
        for block in blocks:
            if isinstance(block, TextBlock):
                parts.append({"type": "input_text", "text": block.text})
            elif isinstance(block, ImageBlock):
                url = f"data:{block.media_type};base64,{base64.b64encode(block.data).decode('ascii')}"
                parts.append({"type": "input_image", "image_url": url})
        if parts:
            item: dict[str, Any] = {"id": new_item_id(), "type": "message", "role": "user", "content": parts}
            self.items[item["id"]] = item
            self._fresh_input = True
            out.append(self.event("conversation.item.create", item=item))
        return out

    def commit(self) -> list[dict[str, Any]]:
        """End of the user's turn: commit buffered audio (manual turns only, never an empty buffer) and
        ask for a response if there is new input."""
        out = self.commit_buffer()
        if out:
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
        self.playback.mark_played(played_ms)

    def _truncate(self, *, force: bool) -> list[dict[str, Any]]:
        """A truncate of the current audio item at what was heard; only where it cuts something."""
        cut = self.playback.cut(force=force)
        if cut is None:
            return []
        item_id, index, end = cut
        return [self.event("conversation.item.truncate", item_id=item_id, content_index=index, audio_end_ms=end)]

    def tool_result(self, call_id: str, output: str) -> list[dict[str, Any]]:
        """The call's output as an item, then one ``response.create`` once every call has its output."""
        item = {"id": new_item_id(), "type": "function_call_output", "call_id": call_id, "output": output}
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
        self.asked = True
        return [self.event("response.create")]

    def replay(self) -> list[dict[str, Any]]:
        """``conversation.item.create`` events that re-create the conversation so far on a new session,
        and the ``response.create`` that the old one swallowed (sent, never answered), if any.

        A function call the drop cut mid-arguments is left out, and so is any output sent for it:
        the model never finished it, and replayed with arguments ``''`` it would be a call that
        dangles, one the model did not make and no one answers.
        """
        cut = {
            item.get("call_id")
            for item_id, item in self.items.items()
            if item.get("type") == "function_call"
            and item.get("status") != "completed"
            and item_id not in self._finished
        }
        out = []
        for item_id, item in self.items.items():
            if item.get("type") in ("function_call", "function_call_output") and item.get("call_id") in cut:
                logger.info("realtime: call %s was cut mid-arguments and is not replayed", item.get("call_id"))
                continue
            replayed = replay_item(item, self.texts.get(item_id))
            if replayed is None:
                logger.info("realtime: item %s (%s) cannot be replayed and is left out", item_id, item.get("type"))
                continue
            out.append(self.event("conversation.item.create", item=replayed))
        if self.asked:
            out.append(self.event("response.create"))
        return out

    def connection_lost(self) -> list[StreamEvent]:
        """Events that close what the lost connection left open: a cut response ends with ``error``."""
        self._buffered = 0
        self.playback.item = None
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

    def _on_audio(self, event: dict[str, Any]) -> list[StreamEvent]:
        key = (event.get("item_id", ""), event.get("content_index", 0))
        if key[0] in self.playback.muted:
            return []
        wire = base64.b64decode(event["delta"])
        data = self._out.convert(wire) if self._out is not None else wire
        self.playback.deliver(key, data)
        return [AudioOutputDelta(data, self.output.media_type)] if data else []

    def _on_transcript(self, event: dict[str, Any]) -> list[StreamEvent]:
        item_id = event.get("item_id", "")
        self.texts[item_id] = self.texts.get(item_id, "") + event["delta"]
        return [TranscriptDelta("assistant", event["delta"])]

    def _on_text(self, event: dict[str, Any]) -> list[StreamEvent]:
        item_id = event.get("item_id", "")
        self.texts[item_id] = self.texts.get(item_id, "") + event["delta"]
        return [TextDelta(int(event.get("output_index") or 0), event["delta"])]

    def _on_text_done(self, event: dict[str, Any]) -> list[StreamEvent]:
        whole = event.get("transcript", event.get("text"))  # an audio transcript's, or a text's
        if isinstance(whole, str):
            self.texts[event.get("item_id", "")] = whole
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
            self._finished.add(item["id"])
        return []

    def _on_response_created(self, event: dict[str, Any]) -> list[StreamEvent]:
        self.response_id = event["response"].get("id") or "response"
        self._fresh_input = self.asked = False
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
            self._want_response = self._fresh_input = False
            self.asked = True
            self.outbox.append(self.event("response.create"))
        return [ProviderEvent(_PROVIDER, "response.done", event), TurnComplete(reason, usage_of(response))]

    def _on_item(self, event: dict[str, Any]) -> list[StreamEvent]:
        item = event["item"]
        if item.get("id"):
            known = self.items.get(item["id"])
            # Our own items keep the content we sent; the server's echo may abbreviate it.
            if known is None or not known["id"].startswith("omni_"):
                self.items[item["id"]] = item
            if event["type"] == "conversation.item.done":
                self._finished.add(item["id"])
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
        rest = unsent(transcript, seen)
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
        code = (event.get("error") or {}).get("code")
        if code == "conversation_already_has_active_response" and self.origin(event) == "response.create":
            self._want_response, self.asked = True, False
        return self.read_error(event, _RACY)
