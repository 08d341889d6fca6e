"""Streamed chat completion chunks as axio events (sans-I/O).

:class:`ChatStreamDecoder` turns the bytes of a ``/v1/chat/completions`` stream into
``StreamEvent`` values: ``feed(bytes)`` as they arrive, ``close()`` at the end. It reads the shapes
real servers send, not only OpenAI's:

- usage in a final chunk with ``choices: []``, inside the finish chunk, or on every chunk (the last
  one wins); DeepSeek's ``prompt_cache_hit_tokens`` where there is no ``prompt_tokens_details``;
- a tool call's ``id`` on its first fragment only, on every fragment, or empty later; calls are keyed
  by ``index`` (by ``id``, then by order, where a server leaves ``index`` out); a name repeated on
  every fragment is taken once, never concatenated; a whole call in one delta;
- reasoning as ``reasoning_content`` (DeepSeek, vLLM), ``reasoning`` (OpenRouter, Groq, Ollama) or
  ``<think>`` tags inside the content;
- no ``finish_reason`` before ``[DONE]`` (the reason is then inferred from what was streamed), and a
  finish reason with no ``[DONE]`` after it;
- a spoken reply's ``delta.audio`` (``chat_audio.py``): its transcript as text, its audio as
  ``AudioOutput``, and a ``ProviderOutput`` naming the reply's audio before ``IterationEnd``;
- an in-band error, as an ``error`` member of a chunk or as ``event: error``, which raises
  :class:`~axio_omni.errors.InBandError` even after a finish reason.

A stream that ends with neither ``[DONE]`` nor a finish reason raises
:class:`~axio_omni.errors.StreamCutError`; an error never becomes ``IterationEnd``.

Block indices: reasoning, text and refusals are block 0; tool call ``k`` (the wire's index) is
block ``k + 1``, and gets a ``BlockEnd`` once its arguments are complete.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from axio.blocks import AudioMediaType
from axio.events import (
    BlockEnd,
    IterationEnd,
    IterationStart,
    ProviderEvent,
    ReasoningDelta,
    Refusal,
    StreamEvent,
    TextDelta,
    ToolInputDelta,
    ToolUseStart,
)
from axio.types import StopReason, Usage, stop_reason_from

from ..errors import InBandError, MalformedResponseError, StreamCutError
from .chat_audio import SpokenReply
from .chat_values import STOP_REASONS, citations, in_band_error, read_usage, text_delta, tool_input_delta
from .chunk_template import ARGUMENTS, TEXT, ChunkTemplate, Layouts, arguments_only, text_only
from .sse import DEFAULT_MAX_EVENT_BYTES, SSEEvent, StreamDecoder
from .think import ThinkSplitter

__all__ = ["ChatStreamDecoder", "ChatStreamReader"]

log = logging.getLogger("axio_omni.wire.chat")


@dataclass(slots=True)
class _Call:
    block: int
    id: str = ""
    name: str = ""
    started: bool = False
    args: int = 0  # argument characters streamed so far
    held: str = ""  # arguments that arrived before the name


class ChatStreamReader:
    """Reads decoded chunk objects; see the module docstring for what it accepts."""

    __slots__ = (
        "done",
        "_started",
        "_finish",
        "_usage",
        "_calls",
        "_by_id",
        "_think",
        "_refused",
        "_template",
        "_arguments",
        "_to_learn",
        "_spoken",
    )

    def __init__(
        self,
        *,
        think_tags: bool = True,
        templates: bool = True,
        spoken: AudioMediaType | None = None,
        layouts: Layouts | None = None,
    ) -> None:
        """``spoken``: the media type of a spoken reply's audio (``delta.audio``), when one was asked for;
        ``layouts``: the text layouts earlier streams of the same endpoint proved (``chunk_template.py``)."""
        self.done = False
        self._spoken = SpokenReply(spoken) if spoken is not None else None
        self._started = False
        self._finish: str | None = None
        self._usage = Usage(0, 0)
        self._calls: dict[int, _Call] = {}
        self._by_id: dict[str, int] = {}
        self._think = ThinkSplitter() if think_tags else None
        self._refused = False
        # Reads text chunks and argument fragments by the stream's own layout once proved
        # (wire/chunk_template.py).
        self._template = ChunkTemplate(TEXT, layouts) if templates else None
        self._arguments = ChunkTemplate(ARGUMENTS) if templates else None
        # Learned when the next event arrives, so the first text reaches the caller sooner.
        self._to_learn: tuple[ChunkTemplate, str, dict[str, Any], Any, str] | None = None

    def feed_event(self, event: SSEEvent) -> list[StreamEvent]:
        """Events for one SSE event: a chunk, ``[DONE]`` or ``event: error``."""
        data = event.data
        if self.done:
            return []
        template = self._template
        if self._to_learn is not None:
            learner, *lesson = self._to_learn
            learner.learn(*lesson)
            self._to_learn = None
        if template is not None and self._started and event.event == "message":
            content = template.match(data)
            if content is not None:
                return self._text_only(content)
            fragment = self._arguments.match(data) if self._arguments is not None else None
            if fragment is not None:
                slot = self._calls.get(self._arguments.key)  # type: ignore[union-attr]
                if slot is not None and slot.started:
                    slot.args += len(fragment)
                    return [tool_input_delta(slot.block, slot.id, fragment)] if fragment else []
        if data == "[DONE]":
            self.done = True
            return []
        try:
            chunk = json.loads(data)
        except ValueError:
            if event.event == "error":
                raise InBandError(data.strip()[:500] or "the server sent an error event", body=data) from None
            raise MalformedResponseError(f"a stream chunk is not JSON: {data[:200]!r}", body=data) from None
        if event.event == "error":
            raise in_band_error(chunk.get("error", chunk) if type(chunk) is dict else chunk, "mid-stream")
        if type(chunk) is not dict:
            raise MalformedResponseError(f"a stream chunk is not an object: {data[:200]!r}", body=data)
        out = self.feed_chunk(chunk)
        if template is not None:
            if (content := text_only(chunk)) is not None:
                self._to_learn = (template, data, chunk, None, content)
            elif self._arguments is not None and (found := arguments_only(chunk)) is not None:
                self._to_learn = (self._arguments, data, chunk, found[0], found[1])
        return out

    def _text_only(self, content: str) -> list[StreamEvent]:
        if not content:
            return []
        think = self._think
        if think is None or (think.idle and "<" not in content):
            return [text_delta(content)]
        out: list[StreamEvent] = []
        self._text(content, out)
        return out

    def feed_chunk(self, chunk: dict[str, Any]) -> list[StreamEvent]:
        """Events for one ``chat.completion.chunk`` object, as ``json.loads`` gives it.

        Types are checked with ``type(x) is dict`` rather than against ``Mapping``: the input is
        JSON, and the abstract check costs more than the rest of a chunk's handling.
        """
        out: list[StreamEvent] = []
        if not self._started:
            self._start(chunk, out)
        if chunk.get("error"):
            raise in_band_error(chunk["error"], "mid-stream")
        usage = chunk.get("usage")
        if usage is None and "x_groq" in chunk:
            # Groq's older API reports usage only inside its own extension object.
            groq = chunk["x_groq"]
            usage = groq.get("usage") if type(groq) is dict else None
        if type(usage) is dict:
            self._usage = read_usage(usage)
        choices = chunk.get("choices")
        if not choices:
            return out
        if type(choices) is not list:
            raise MalformedResponseError(f"choices is not a list: {choices!r}")
        for choice in choices:
            if type(choice) is not dict:
                raise MalformedResponseError(f"a choice is not an object: {choice!r}")
            if choice.get("index", 0) == 0:
                self._choice(choice, out)
            else:
                out.append(ProviderEvent("openai", "choice", choice, index=choice.get("index")))
        return out

    def _start(self, chunk: dict[str, Any], out: list[StreamEvent]) -> None:
        model = chunk.get("model")
        # Azure opens with a content-filter chunk that names no model; the start waits for one that does.
        if model or chunk.get("choices") or chunk.get("error"):
            self._started = True
            ident = chunk.get("id")
            out.append(
                IterationStart(
                    iteration=0,
                    id=ident if type(ident) is str and ident else None,
                    model=model if type(model) is str and model else None,
                )
            )

    def _choice(self, choice: dict[str, Any], out: list[StreamEvent]) -> None:
        delta = choice.get("delta")
        if delta and type(delta) is dict:
            content = delta.get("content")
            if len(delta) == 1 and type(content) is str:
                # The common chunk: text and nothing else.
                if content:
                    think = self._think
                    if think is None or (think.idle and "<" not in content):
                        out.append(text_delta(content))
                    else:
                        self._text(content, out)
            else:
                self._delta(delta, content, out)
        logprobs = choice.get("logprobs")
        if logprobs and type(logprobs) is dict and any(v is not None for v in logprobs.values()):
            out.append(ProviderEvent("openai", "logprobs", logprobs, index=0))
        finish = choice.get("finish_reason")
        if finish and type(finish) is str:
            self._finish = finish

    def _delta(self, delta: dict[str, Any], content: Any, out: list[StreamEvent]) -> None:
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if reasoning and type(reasoning) is str:
            out.append(ReasoningDelta(0, reasoning))
        if content:
            if type(content) is str:
                self._text(content, out)
            elif type(content) is list:
                self._parts(content, out)
        refusal = delta.get("refusal")
        if refusal and type(refusal) is str:
            self._refused = True
            out.append(Refusal(0, refusal))
        calls = delta.get("tool_calls")
        if calls and type(calls) is list:
            for call in calls:
                self._tool_call(call, out)
        annotations = delta.get("annotations")
        if annotations:
            out.extend(citations(annotations))
        audio = delta.get("audio")
        if audio and type(audio) is dict:
            if self._spoken is None:
                self._spoken = SpokenReply("audio/pcm")  # a server that speaks unasked: OpenAI's PCM
            self._spoken.read(audio, out)

    def _text(self, content: str, out: list[StreamEvent]) -> None:
        if self._think is None:
            out.append(TextDelta(0, content))
            return
        for reasoning, piece in self._think.feed(content):
            out.append(ReasoningDelta(0, piece) if reasoning else TextDelta(0, piece))

    def _parts(self, parts: list[Any], out: list[StreamEvent]) -> None:
        """Content as a list of parts (Mistral's reasoning models): text, and thinking made of text."""
        for part in parts:
            if type(part) is not dict:
                continue
            if part.get("type") == "text" and isinstance(part.get("text"), str) and part["text"]:
                self._text(part["text"], out)
            elif part.get("type") == "thinking":
                thinking = part.get("thinking")
                pieces = thinking if isinstance(thinking, list) else [{"text": thinking}]
                for piece in pieces:
                    text = piece.get("text") if type(piece) is dict else None
                    if isinstance(text, str) and text:
                        out.append(ReasoningDelta(0, text))

    def _slot(self, call: dict[str, Any]) -> _Call:
        index = call.get("index")
        ident = call.get("id") if isinstance(call.get("id"), str) else ""
        if not isinstance(index, int) or isinstance(index, bool):
            # No index (Mistral): the id names the call; with neither, it continues the latest one.
            if ident and ident in self._by_id:
                index = self._by_id[ident]
            elif ident or not self._calls:
                index = max(self._calls, default=-1) + 1
            else:
                index = max(self._calls)
        slot = self._calls.get(index)
        if slot is None:
            slot = self._calls[index] = _Call(block=index + 1)
        if ident and not slot.id:
            slot.id = ident
            self._by_id[ident] = index
        return slot

    def _tool_call(self, call: Any, out: list[StreamEvent]) -> None:
        if type(call) is not dict:
            raise MalformedResponseError(f"a tool call is not an object: {call!r}")
        slot = self._slot(call)
        function = call.get("function")
        function = function if type(function) is dict else {}
        name = function.get("name")
        if name and isinstance(name, str) and not slot.name:
            slot.name = name
        args = function.get("arguments")
        if type(args) is dict:
            args = json.dumps(args, ensure_ascii=False)
        if not slot.started and slot.name:
            slot.started = True
            if not slot.id:
                # Some servers (Gemini's compatible endpoint) send no id; axio needs one per call.
                slot.id = f"call_{uuid.uuid4().hex[:24]}"
            out.append(ToolUseStart(slot.block, slot.id, slot.name))
            if slot.held:
                out.append(ToolInputDelta(slot.block, slot.id, slot.held))
                slot.args += len(slot.held)
                slot.held = ""
        if args and isinstance(args, str):
            if slot.started:
                slot.args += len(args)
                out.append(tool_input_delta(slot.block, slot.id, args))
            else:
                slot.held += args

    def close(self) -> list[StreamEvent]:
        """The closing events at end of input; raises if the stream was cut or carried an error."""
        if not self._started:
            raise StreamCutError("the stream ended before its first chunk")
        if not self.done and self._finish is None:
            raise StreamCutError("the stream ended without [DONE] or a finish reason: it was cut")
        out: list[StreamEvent] = []
        if self._think is not None:
            for reasoning, piece in self._think.flush():
                out.append(ReasoningDelta(0, piece) if reasoning else TextDelta(0, piece))
        for slot in self._calls.values():
            if not slot.started:
                raise MalformedResponseError(f"tool call {slot.block - 1} never named its function")
            if not slot.args:
                # A call to a tool without parameters: "{}" rather than nothing, which reads as truncation.
                out.append(ToolInputDelta(slot.block, slot.id, "{}"))
            out.append(BlockEnd(slot.block))
        if self._spoken is not None:
            out.extend(self._spoken.close())
        raw = self._finish or ""
        if raw == "error":
            raise InBandError("the server ended the stream with finish_reason 'error'")
        if self._refused:
            stop = StopReason.refusal
        elif self._calls and raw in ("", "stop", "tool_calls", "function_call"):
            # Several servers (Ollama, older llama.cpp) close a turn that called tools with "stop".
            stop = StopReason.tool_use
        elif not raw:
            stop = StopReason.end_turn
        else:
            stop = stop_reason_from(raw, STOP_REASONS, provider="OpenAI-compatible")
        out.append(IterationEnd(iteration=0, stop_reason=stop, usage=self._usage, raw=raw))
        return out


class ChatStreamDecoder(StreamDecoder):
    """Bytes of an SSE chat stream in, axio events out: ``feed(chunk)``, then ``close()``."""

    __slots__ = ()
    reader: ChatStreamReader

    def __init__(
        self,
        *,
        think_tags: bool = True,
        templates: bool = True,
        spoken: AudioMediaType | None = None,
        layouts: Layouts | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        reader = ChatStreamReader(think_tags=think_tags, templates=templates, spoken=spoken, layouts=layouts)
        super().__init__(reader, max_event_bytes=max_event_bytes)
