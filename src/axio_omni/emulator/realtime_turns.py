"""One emulated realtime conversation: items, the input buffer with server VAD, and responses.

Every client event is handled as OpenAI handles it, with the same errors for the same mistakes;
server events go out through ``emit`` (which stamps ``event_id`` and applies the session's faults).
A response runs as its own task, so ``response.cancel``, ``conversation.item.truncate`` and the
user's speech can reach it while it streams; ``pace`` slows its events (a slow server).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np

from ..audio.g711 import alaw_decode, ulaw_decode
from ..audio.live import LiveResampler
from .realtime_config import LOGPROBS, apply_transcription_update, apply_update
from .realtime_reply import plan_reply
from .realtime_stream import ResponseState, StreamContext, error_event, new_id, stream_plan
from .transcript_shapes import logprob, tokens, usage
from .vad import EnergyVad
from .voice import RATE, decode_speech

__all__ = ["Conversation"]


#: The client events a transcription session takes.
_TRANSCRIPTION_EVENTS = frozenset(
    {"session.update", "input_audio_buffer.append", "input_audio_buffer.commit", "input_audio_buffer.clear"}
)


class Conversation:
    """State and behaviour of one realtime session."""

    def __init__(
        self,
        session: dict[str, Any],
        emit: Callable[[dict[str, Any]], Awaitable[bool]],
        *,
        pace: Callable[[], Awaitable[None]],
    ) -> None:
        self.session, self.emit, self.pace = session, emit, pace
        self.conversation_id = new_id("conv")
        self.items: list[dict[str, Any]] = []
        self.buffer = bytearray()
        self.vad = self._make_vad()
        self.response: ResponseState | None = None
        #: What the emulator heard in each committed user audio item, and how long it was.
        self.heard: dict[str, str] = {}
        self.seconds: dict[str, float] = {}
        self.audio_ms: dict[str, int] = {}
        self._pending_item = new_id("item")
        self._g711: tuple[str, LiveResampler] | None = None
        #: Server VAD ended a turn while a reply was still ending: answer it once that reply is done.
        self._answer_next = False
        #: A transcription session (``?intent=transcription``): captions only, no responses.
        self.transcribing = session.get("type") == "transcription"

    # ── client events ───────────────────────────────────────────────────────────────────────────

    async def handle(self, event: dict[str, Any]) -> None:
        kind, eid = event.get("type"), event.get("event_id")
        handler = self._HANDLERS.get(str(kind))
        if handler is None:
            await self.emit(error_event("invalid_value", f"Invalid value: '{kind}'.", param="type", event_id=eid))
            return
        if self.transcribing and str(kind) not in _TRANSCRIPTION_EVENTS:
            message = f"'{kind}' is not supported in a transcription session."
            await self.emit(error_event("invalid_value", message, param="type", event_id=eid))
            return
        await handler(self, event, eid)

    async def _session_update(self, event: dict[str, Any], eid: Any) -> None:
        update = apply_transcription_update if self.transcribing else apply_update
        problem = update(self.session, event.get("session"))
        if problem is not None:
            await self.emit(error_event(problem.code, problem.message, param=problem.param, event_id=eid))
            return
        self.vad = self._make_vad()
        await self.emit({"type": "session.updated", "session": self.session})

    def _wire_pcm(self, data: bytes) -> bytes:
        """Appended audio as 24 kHz PCM16: G.711 (8 kHz) decoded and resampled, PCM as it is."""
        kind = self.session["audio"]["input"]["format"]["type"]
        if kind == "audio/pcm":
            return data
        if self._g711 is None or self._g711[0] != kind:
            self._g711 = (kind, LiveResampler(8000, RATE))
        samples = (ulaw_decode if kind == "audio/pcmu" else alaw_decode)(data).astype(np.float32)
        return np.clip(np.rint(self._g711[1].process(samples)), -32768, 32767).astype("<i2").tobytes()

    def _make_vad(self) -> EnergyVad | None:
        detection = self.session["audio"]["input"].get("turn_detection")
        if not detection:
            return None
        return EnergyVad(
            threshold=detection.get("threshold", 0.5),
            prefix_padding_ms=detection.get("prefix_padding_ms", 300),
            silence_duration_ms=detection.get("silence_duration_ms", 200),
        )

    async def _append(self, event: dict[str, Any], eid: Any) -> None:
        try:
            pcm = base64.b64decode(event.get("audio", ""), validate=True)
        except (binascii.Error, TypeError):
            await self.emit(error_event("invalid_value", "audio must be base64.", param="audio", event_id=eid))
            return
        pcm = self._wire_pcm(pcm)
        self.buffer += pcm
        if self.vad is None:
            return
        detection = self.session["audio"]["input"]["turn_detection"]
        for change in self.vad.feed(pcm):
            if change.kind == "started":
                await self.emit(
                    {
                        "type": "input_audio_buffer.speech_started",
                        "audio_start_ms": change.ms,
                        "item_id": self._pending_item,
                    }
                )
                if self.response is not None and detection.get("interrupt_response", True):
                    self.cancel("turn_detected")
            else:
                await self.emit(
                    {
                        "type": "input_audio_buffer.speech_stopped",
                        "audio_end_ms": change.ms,
                        "item_id": self._pending_item,
                    }
                )
                await self._commit_buffer()
                if detection.get("create_response", True) and not self.transcribing:
                    if self.response is None:
                        self.start_response({})
                    else:
                        self._answer_next = True  # the reply the user talked over is still ending

    async def _commit(self, event: dict[str, Any], eid: Any) -> None:
        if len(self.buffer) < 2:
            message = "Error committing input audio buffer: the buffer is empty."
            await self.emit(error_event("input_audio_buffer_commit_empty", message, param=None, event_id=eid))
            return
        await self._commit_buffer()

    async def _commit_buffer(self) -> None:
        pcm, self.buffer = bytes(self.buffer), bytearray()
        item_id, self._pending_item = self._pending_item, new_id("item")
        if self.vad is not None:
            self.vad.reset()
        samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], "<i2").astype(np.float32) / 32768.0
        self.heard[item_id] = " ".join(b.text for b in decode_speech(samples, RATE))
        self.seconds[item_id] = len(samples) / RATE
        previous = self.items[-1]["id"] if self.items else None
        await self.emit({"type": "input_audio_buffer.committed", "previous_item_id": previous, "item_id": item_id})
        item: dict[str, Any] = {"id": item_id, "object": "realtime.item", "type": "message", "status": "completed"}
        item.update(role="user", content=[{"type": "input_audio"}])
        await self._add(item, previous)
        transcription = self.session["audio"]["input"].get("transcription")
        if transcription:
            await self._transcribe(item, transcription.get("model", "whisper-1"))

    async def _transcribe(self, item: dict[str, Any], model: str) -> None:
        """The committed item's transcript: a delta per word (with log-probabilities when the session
        includes them), then ``completed`` with usage. Nothing heard: in a transcription session the
        transcription fails, in a conversation it is "(unintelligible)"."""
        item_id = item["id"]
        text = self.heard[item_id] or ("" if self.transcribing else "(unintelligible)")
        base = {"item_id": item_id, "content_index": 0}
        prefix = "conversation.item.input_audio_transcription."
        if not text:
            error = {"type": "invalid_request_error", "code": "audio_unintelligible", "message": "No speech was heard."}
            await self.emit({"type": prefix + "failed", **base, "error": error})
            return
        pieces = tokens(text)
        logprobs = LOGPROBS in (self.session.get("include") or ())
        for token in pieces:
            delta: dict[str, Any] = {"type": prefix + "delta", **base, "delta": token}
            if logprobs:
                delta["logprobs"] = [logprob(token)]
            await self.emit(delta)
        done: dict[str, Any] = {"type": prefix + "completed", **base, "transcript": text}
        done["usage"] = usage(model, self.seconds[item_id], text)
        if logprobs:
            done["logprobs"] = [logprob(t) for t in pieces]
        await self.emit(done)
        item["content"][0]["transcript"] = text

    async def _clear(self, event: dict[str, Any], eid: Any) -> None:
        self.buffer = bytearray()
        if self.vad is not None:
            self.vad.reset()
        await self.emit({"type": "input_audio_buffer.cleared"})

    async def _add(self, item: dict[str, Any], previous: str | None) -> None:
        at = (
            len(self.items)
            if previous is None
            else 1 + next(i for i, x in enumerate(self.items) if x["id"] == previous)
        )
        self.items.insert(at, item)
        await self.emit({"type": "conversation.item.added", "previous_item_id": previous, "item": item})
        await self.emit({"type": "conversation.item.done", "previous_item_id": previous, "item": item})

    def _find(self, item_id: Any) -> dict[str, Any] | None:
        return next((x for x in self.items if x["id"] == item_id), None)

    async def _item_create(self, event: dict[str, Any], eid: Any) -> None:
        item, previous = event.get("item"), event.get("previous_item_id")
        problem = self._check_item(item, previous)
        if problem is not None:
            await self.emit(error_event("invalid_value", problem[0], param=problem[1], event_id=eid))
            return
        assert isinstance(item, dict)
        stored = {"id": item.get("id") or new_id("item"), "object": "realtime.item", "status": "completed", **item}
        if previous is None and self.items:
            previous = self.items[-1]["id"]
        await self._add(stored, None if previous == "root" else previous)

    def _check_item(self, item: Any, previous: Any) -> tuple[str, str] | None:
        if not isinstance(item, dict) or item.get("type") not in ("message", "function_call", "function_call_output"):
            return "item.type must be message, function_call or function_call_output.", "item.type"
        if item.get("id") is not None and (not isinstance(item["id"], str) or len(item["id"]) > 32):
            return "item.id must be a string of at most 32 characters.", "item.id"
        if item.get("id") and self._find(item["id"]) is not None:
            return f"Item with id '{item['id']}' already exists.", "item.id"
        if previous not in (None, "root") and self._find(previous) is None:
            return f"Previous item with id '{previous}' not found.", "previous_item_id"
        if item["type"] == "message" and (
            item.get("role") not in ("user", "assistant", "system") or not isinstance(item.get("content"), list)
        ):
            return "A message needs a role (user, assistant, system) and a content list.", "item.role"
        if item["type"] == "function_call_output":
            calls = {x.get("call_id") for x in self.items if x.get("type") == "function_call"}
            if item.get("call_id") not in calls:
                return f"Tool call ID '{item.get('call_id')}' not found in conversation.", "item.call_id"
        return None

    async def _existing(self, event: dict[str, Any], eid: Any) -> dict[str, Any] | None:
        """The item ``event`` names, or None after answering with OpenAI's ``item_not_found``."""
        item = self._find(event.get("item_id"))
        if item is None:
            message = f"Item with id '{event.get('item_id')}' not found."
            await self.emit(error_event("item_not_found", message, param="item_id", event_id=eid))
        return item

    async def _item_retrieve(self, event: dict[str, Any], eid: Any) -> None:
        if (item := await self._existing(event, eid)) is not None:
            await self.emit({"type": "conversation.item.retrieved", "item": item})

    async def _item_delete(self, event: dict[str, Any], eid: Any) -> None:
        if (item := await self._existing(event, eid)) is not None:
            self.items.remove(item)
            await self.emit({"type": "conversation.item.deleted", "item_id": item["id"]})

    async def _item_truncate(self, event: dict[str, Any], eid: Any) -> None:
        item_id, index, end = event.get("item_id"), event.get("content_index"), event.get("audio_end_ms")
        item = self._find(item_id)
        if item is None or item.get("role") != "assistant" or item_id not in self.audio_ms:
            await self.emit(
                error_event(
                    "invalid_value", f"Assistant audio item '{item_id}' not found.", param="item_id", event_id=eid
                )
            )
            return
        if index != 0 or not isinstance(end, int) or end < 0 or end > self.audio_ms[item_id]:
            message = f"audio_end_ms {end} is past the item's {self.audio_ms[item_id]} ms of audio."
            await self.emit(error_event("invalid_value", message, param="audio_end_ms", event_id=eid))
            return
        self.audio_ms[item_id] = end
        for part in item.get("content") or ():
            part["transcript"] = ""  # the model no longer knows what it did not get to say
        await self.emit(
            {"type": "conversation.item.truncated", "item_id": item_id, "content_index": 0, "audio_end_ms": end}
        )

    async def _response_create(self, event: dict[str, Any], eid: Any) -> None:
        if self.response is not None:
            message = f"Conversation already has an active response in progress: {self.response.id}."
            await self.emit(error_event("conversation_already_has_active_response", message, event_id=eid))
            return
        self.start_response(event.get("response") or {})

    async def _response_cancel(self, event: dict[str, Any], eid: Any) -> None:
        if self.response is None:
            message = "Cancellation failed: no active response found"
            await self.emit(error_event("response_cancel_not_active", message, event_id=eid))
            return
        self.cancel("client_cancelled")

    _HANDLERS: dict[str, Callable[[Conversation, dict[str, Any], Any], Awaitable[None]]] = {
        "session.update": _session_update,
        "input_audio_buffer.append": _append,
        "input_audio_buffer.commit": _commit,
        "input_audio_buffer.clear": _clear,
        "conversation.item.create": _item_create,
        "conversation.item.retrieve": _item_retrieve,
        "conversation.item.delete": _item_delete,
        "conversation.item.truncate": _item_truncate,
        "response.create": _response_create,
        "response.cancel": _response_cancel,
    }

    # ── responses ───────────────────────────────────────────────────────────────────────────────

    def start_response(self, options: dict[str, Any]) -> None:
        response = self.response = ResponseState(new_id("resp"), options)
        response.task = asyncio.create_task(self._produce(response))

    def cancel(self, reason: str) -> None:
        if self.response is not None and self.response.cancel_reason is None:
            self.response.cancel_reason = reason

    async def stop(self, *, finish: bool = False) -> None:
        """The socket is gone: end the response task without a word; with ``finish``, let it end
        itself first (it is closing the socket with a scripted code, and a cancel would lose the code)."""
        task = self.response.task if self.response is not None else None
        if task is None:
            return
        if finish:
            await asyncio.wait([task], timeout=5.0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    def _stream_context(self) -> StreamContext:
        return StreamContext(self.emit, self.pace, self.session, self.items, self.audio_ms, self.seconds)

    def _response_object(self, response: ResponseState, status: str) -> dict[str, Any]:
        options, session = response.options, self.session
        out: dict[str, Any] = {
            "id": response.id,
            "object": "realtime.response",
            "status": status,
            "output": response.output,
            "conversation_id": self.conversation_id,
            "output_modalities": options.get("output_modalities", session["output_modalities"]),
            "max_output_tokens": options.get("max_output_tokens", session.get("max_output_tokens", "inf")),
            "audio": {"output": {k: session["audio"]["output"][k] for k in ("format", "voice")}},
        }
        if options.get("metadata") is not None:
            out["metadata"] = options["metadata"]
        return out

    async def _produce(self, response: ResponseState) -> None:
        try:
            await self.emit({"type": "response.created", "response": self._response_object(response, "in_progress")})
            plan = plan_reply(
                self.items,
                tools=response.options.get("tools", self.session.get("tools") or []),
                tool_choice=response.options.get("tool_choice", self.session.get("tool_choice", "auto")),
                heard=self.heard,
                seconds=self.seconds,
            )
            status, details, usage = await stream_plan(self._stream_context(), response, plan)
            done = self._response_object(response, status)
            if details is not None:
                done["status_details"] = details
            done["usage"] = usage
            self.response = None
            await self.emit({"type": "response.done", "response": done})
            if self._answer_next:
                self._answer_next = False
                self.start_response({})
        finally:
            if self.response is response:
                self.response = None
