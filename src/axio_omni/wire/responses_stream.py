"""A streamed ``/v1/responses`` answer as axio events (sans-I/O).

:class:`ResponsesStreamDecoder` turns the bytes of the stream into ``StreamEvent`` values:
``feed(bytes)`` as they arrive, ``close()`` at the end. Each output item is a block, numbered by
its ``output_index``:

- ``response.created`` starts the iteration (the response's id and the model that serves it);
- ``response.output_text.delta`` is text, ``response.refusal.delta`` a refusal, and reasoning
  summaries (``response.reasoning_summary_text.delta``, parts joined by a blank line) or raw
  reasoning (``response.reasoning_text.delta``, from open-weight models) are reasoning;
- a ``function_call`` item is a tool call keyed by its ``call_id`` (the id the result must name;
  the item's own id only finds the call its argument deltas belong to), ended with ``BlockEnd``;
- a finished ``reasoning`` item's ``encrypted_content`` is a ``ReasoningSignature`` (with the
  item's id), so the next turn can send it back with ``store`` off; any other item the server made
  (a web search it ran, an image it drew) is a ``ProviderOutput`` to send back as it came;
- ``response.completed`` and ``response.incomplete`` end the iteration with the usage (read with
  or without its details); ``response.failed`` and ``error`` raise
  :class:`~axio_omni.errors.InBandError` with the server's code, message and param.

A stream that ends before its response does raises :class:`~axio_omni.errors.StreamCutError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from axio.events import (
    BlockEnd,
    IterationEnd,
    IterationStart,
    ProviderOutput,
    ReasoningDelta,
    ReasoningSignature,
    Refusal,
    StreamEvent,
    TextDelta,
    ToolInputDelta,
    ToolUseStart,
)
from axio.types import StopReason, Usage

from ..errors import InBandError, MalformedResponseError, StreamCutError
from .responses_request import PROVIDER
from .sse import DEFAULT_MAX_EVENT_BYTES, SSEEvent, StreamDecoder

__all__ = ["ResponsesStreamDecoder", "ResponsesStreamReader", "read_response_usage"]

#: Items this reader turns into axio's own events; any other is handed back as ``ProviderOutput``.
_OWN_ITEMS = frozenset({"message", "function_call", "reasoning"})
_INCOMPLETE = {"max_output_tokens": StopReason.max_tokens, "content_filter": StopReason.refusal}


def _int(value: Any) -> int:
    return value if type(value) is int and value > 0 else 0


def read_response_usage(usage: Any) -> Usage:
    """A Responses ``usage`` object as axio ``Usage``; the details may be missing or partial (some
    servers send ``cached_tokens`` alone, or no details at all)."""
    if not isinstance(usage, Mapping):
        return Usage(0, 0)
    given = usage.get("input_tokens_details")
    made = usage.get("output_tokens_details")
    given = given if isinstance(given, Mapping) else {}
    made = made if isinstance(made, Mapping) else {}
    return Usage.reported(
        _int(usage.get("input_tokens")),
        _int(usage.get("output_tokens")),
        cache_read_tokens=_int(given.get("cached_tokens")),
        cache_write_tokens=_int(given.get("cache_write_tokens")),
        reasoning_tokens=_int(made.get("reasoning_tokens")),
    )


def _error(body: Any, where: str) -> InBandError:
    body = body if isinstance(body, Mapping) else {}
    message = body.get("message")
    return InBandError(
        message if isinstance(message, str) and message else f"the server reported an error {where}",
        code=body.get("code") if isinstance(body.get("code"), str) else None,
        param=body.get("param") if isinstance(body.get("param"), str) else None,
        type=body.get("type") if isinstance(body.get("type"), str) else None,
        body=dict(body),
    )


class ResponsesStreamReader:
    """Reads decoded Responses stream events; see the module docstring for what it accepts."""

    __slots__ = ("done", "response_id", "_calls", "_streamed", "_summaries", "_refused", "_called", "_handlers")

    def __init__(self) -> None:
        self.done = False
        #: The id of the response being read, once ``response.created`` named it.
        self.response_id: str | None = None
        self._calls: dict[str, tuple[int, str]] = {}  # item id -> (block, call id)
        self._streamed: set[str] = set()  # call items whose arguments arrived as deltas
        self._summaries: dict[int, int] = {}  # block -> summary parts begun
        self._refused = False
        self._called = False
        self._handlers: dict[str, Callable[[dict[str, Any]], list[StreamEvent]]] = {
            "response.function_call_arguments.delta": self._arguments,
            "response.reasoning_summary_text.delta": self._reasoning,
            "response.reasoning_text.delta": self._reasoning,
            "response.reasoning_summary_part.added": self._summary_part,
            "response.refusal.delta": self._refusal,
            "response.output_item.added": self._item_added,
            "response.output_item.done": self._item_done,
            "response.created": self._created,
            "response.completed": self._end,
            "response.incomplete": self._end,
            "response.failed": self._failed,
            "error": self._error,
        }

    def feed_event(self, event: SSEEvent) -> list[StreamEvent]:
        """Events for one SSE event (its ``data`` a JSON object with a ``type``)."""
        if self.done or event.data == "[DONE]":
            return []
        try:
            data = json.loads(event.data)
        except ValueError:
            raise MalformedResponseError(f"a stream event is not JSON: {event.data[:200]!r}", body=event.data) from None
        if type(data) is not dict:
            raise MalformedResponseError(f"a stream event is not an object: {event.data[:200]!r}", body=event.data)
        kind = data.get("type") or event.event
        if kind == "response.output_text.delta":  # nearly every event of a stream: no dispatch
            delta = data.get("delta")
            return [TextDelta(data.get("output_index", 0), delta)] if type(delta) is str and delta else []
        handler = self._handlers.get(kind)
        return handler(data) if handler is not None else []

    def close(self) -> list[StreamEvent]:
        if not self.done:
            raise StreamCutError("the response stream ended before the response did (no response.completed)")
        return []

    # ── content ─────────────────────────────────────────────────────────────────────────────────

    def _reasoning(self, data: dict[str, Any]) -> list[StreamEvent]:
        delta = data.get("delta")
        return [ReasoningDelta(data.get("output_index", 0), delta)] if type(delta) is str and delta else []

    def _summary_part(self, data: dict[str, Any]) -> list[StreamEvent]:
        block = data.get("output_index", 0)
        begun = self._summaries[block] = self._summaries.get(block, 0) + 1
        return [ReasoningDelta(block, "\n\n")] if begun > 1 else []

    def _refusal(self, data: dict[str, Any]) -> list[StreamEvent]:
        delta = data.get("delta")
        self._refused = True
        return [Refusal(data.get("output_index", 0), delta)] if type(delta) is str and delta else []

    def _arguments(self, data: dict[str, Any]) -> list[StreamEvent]:
        found = self._calls.get(data.get("item_id", ""))
        delta = data.get("delta")
        if found is None or type(delta) is not str or not delta:
            return []
        self._streamed.add(data["item_id"])
        return [ToolInputDelta(found[0], found[1], delta)]

    # ── items ───────────────────────────────────────────────────────────────────────────────────

    def _item_added(self, data: dict[str, Any]) -> list[StreamEvent]:
        item = data.get("item")
        if type(item) is not dict or item.get("type") != "function_call":
            return []
        block = data.get("output_index", 0)
        call_id, name = item.get("call_id"), item.get("name")
        if not isinstance(call_id, str) or not call_id or not isinstance(name, str) or not name:
            raise MalformedResponseError("a function_call item without call_id or name", body=item)
        self._calls[str(item.get("id") or call_id)] = (block, call_id)
        self._called = True
        return [ToolUseStart(block, call_id, name)]

    def _item_done(self, data: dict[str, Any]) -> list[StreamEvent]:
        item = data.get("item")
        if type(item) is not dict:
            return []
        block = data.get("output_index", 0)
        kind = item.get("type")
        if kind == "function_call":
            return self._call_done(item, block)
        if kind == "reasoning":
            return self._reasoning_done(item, block)
        if kind not in _OWN_ITEMS and isinstance(kind, str):
            return [ProviderOutput(PROVIDER, kind, item, block, str(item.get("id") or ""))]
        return []

    def _call_done(self, item: dict[str, Any], block: int) -> list[StreamEvent]:
        key = str(item.get("id") or item.get("call_id"))
        out: list[StreamEvent] = []
        if key not in self._calls:  # announced only now: a server that skips output_item.added
            out.extend(self._item_added({"item": item, "output_index": block}))
        found = self._calls[key]
        if key not in self._streamed:
            arguments = item.get("arguments")
            out.append(
                ToolInputDelta(found[0], found[1], arguments if isinstance(arguments, str) and arguments else "{}")
            )
        out.append(BlockEnd(found[0]))
        return out

    def _reasoning_done(self, item: dict[str, Any], block: int) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        if block not in self._summaries:  # the summary came whole, not as deltas
            texts = [s.get("text") for s in item.get("summary") or () if isinstance(s, Mapping)]
            text = "\n\n".join(t for t in texts if isinstance(t, str) and t)
            if text:
                out.append(ReasoningDelta(block, text))
        encrypted = item.get("encrypted_content")
        if isinstance(encrypted, str) and encrypted and item.get("id"):
            out.append(ReasoningSignature(block, encrypted, id=str(item["id"]), provider=PROVIDER))
        return out

    # ── the response ────────────────────────────────────────────────────────────────────────────

    def _created(self, data: dict[str, Any]) -> list[StreamEvent]:
        response = data.get("response")
        response = response if type(response) is dict else {}
        ident, model = response.get("id"), response.get("model")
        self.response_id = ident if isinstance(ident, str) and ident else None
        return [IterationStart(iteration=0, id=self.response_id, model=model if isinstance(model, str) else None)]

    def _end(self, data: dict[str, Any]) -> list[StreamEvent]:
        self.done = True
        response = data.get("response")
        response = response if type(response) is dict else {}
        status = response.get("status") if isinstance(response.get("status"), str) else ""
        if status == "incomplete" or data.get("type") == "response.incomplete":
            details = response.get("incomplete_details")
            reason = details.get("reason") if isinstance(details, Mapping) else None
            stop = _INCOMPLETE.get(str(reason), StopReason.max_tokens)
            raw = str(reason or "incomplete")
        else:
            stop = StopReason.refusal if self._refused else StopReason.tool_use if self._called else StopReason.end_turn
            raw = status or "completed"
        return [IterationEnd(iteration=0, stop_reason=stop, usage=read_response_usage(response.get("usage")), raw=raw)]

    def _failed(self, data: dict[str, Any]) -> list[StreamEvent]:
        response = data.get("response")
        error = response.get("error") if type(response) is dict else None
        raise _error(error, "and failed the response")

    def _error(self, data: dict[str, Any]) -> list[StreamEvent]:
        raise _error(data.get("error", data), "mid-stream")


class ResponsesStreamDecoder(StreamDecoder):
    """Bytes of a Responses SSE stream in, axio events out: ``feed(chunk)``, then ``close()``."""

    __slots__ = ()
    reader: ResponsesStreamReader

    def __init__(self, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        super().__init__(ResponsesStreamReader(), max_event_bytes=max_event_bytes)
