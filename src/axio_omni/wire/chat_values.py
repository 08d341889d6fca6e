"""JSON values of chat completion chunks as axio values (sans-I/O): usage, stop reasons,
citations, in-band errors, and the per-chunk ``TextDelta``."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from axio.events import Citation, StreamEvent, TextDelta, ToolInputDelta
from axio.types import StopReason, Usage

from ..errors import InBandError
from .error_body import parse_error_body

__all__ = ["STOP_REASONS", "citations", "in_band_error", "read_usage", "text_delta", "tool_input_delta"]

STOP_REASONS: Mapping[str, StopReason] = {
    "stop": StopReason.end_turn,
    "end_turn": StopReason.end_turn,
    "eos": StopReason.end_turn,
    "tool_calls": StopReason.tool_use,
    "function_call": StopReason.tool_use,
    "length": StopReason.max_tokens,
    "max_tokens": StopReason.max_tokens,
    "content_filter": StopReason.refusal,
    "model_context_window_exceeded": StopReason.context_window_exceeded,
}


def _plain(cls: type, fields: tuple[str, ...]) -> bool:
    """Whether ``cls`` is exactly the plain, slotted, validation-free dataclass with ``fields`` that
    axio 0.12 has, whose instances may be built by setting their slots."""
    same = tuple(getattr(cls, "__dataclass_fields__", {})) == fields
    return same and not hasattr(cls, "__post_init__") and getattr(cls, "__slots__", None) == fields


def _text_delta_maker() -> Callable[[str], TextDelta]:
    """``TextDelta(0, text)`` at half the cost: one is made per streamed chunk.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``; setting the
    slots directly gives an equal object. Any other shape of the class falls back to the constructor.
    """
    if not _plain(TextDelta, ("index", "delta")):
        return lambda text: TextDelta(0, text)
    new = object.__new__
    set_index = TextDelta.__dict__["index"].__set__
    set_delta = TextDelta.__dict__["delta"].__set__

    def make(text: str) -> TextDelta:
        event = new(TextDelta)
        set_index(event, 0)
        set_delta(event, text)
        return event

    return make


def _tool_input_delta_maker() -> Callable[[int, str, str], ToolInputDelta]:
    """``ToolInputDelta(block, call_id, fragment)`` as cheaply as ``text_delta``, on the same condition."""
    fields = ("index", "tool_use_id", "partial_json")
    if not _plain(ToolInputDelta, fields):
        return ToolInputDelta
    new = object.__new__
    set_index, set_id, set_json = (ToolInputDelta.__dict__[name].__set__ for name in fields)

    def make(block: int, call_id: str, fragment: str) -> ToolInputDelta:
        event = new(ToolInputDelta)
        set_index(event, block)
        set_id(event, call_id)
        set_json(event, fragment)
        return event

    return make


text_delta = _text_delta_maker()
tool_input_delta = _tool_input_delta_maker()


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def read_usage(usage: Mapping[str, Any]) -> Usage:
    """An OpenAI ``usage`` object (or a compatible server's variant) as axio ``Usage``.

    OpenAI counts cached and reasoning tokens inside the prompt and completion totals, which is
    axio's rule, so nothing is added; ``Usage.reported`` repairs servers that break it.
    """
    prompt = usage.get("prompt_tokens_details")
    completion = usage.get("completion_tokens_details")
    prompt = prompt if isinstance(prompt, Mapping) else {}
    completion = completion if isinstance(completion, Mapping) else {}
    cached = _int(prompt.get("cached_tokens")) or _int(usage.get("prompt_cache_hit_tokens"))
    written = _int(prompt.get("cache_write_tokens"))
    reasoning = _int(completion.get("reasoning_tokens"))
    input_tokens = _int(usage.get("prompt_tokens"))
    output_tokens = _int(usage.get("completion_tokens"))
    # A slice larger than its total proves the server counted it outside the total (xAI does for
    # reasoning), so the total is the sum; when the slice is smaller the two cannot be told apart.
    if cached + written > input_tokens:
        input_tokens += cached + written
    if reasoning > output_tokens:
        output_tokens += reasoning
    return Usage.reported(
        input_tokens, output_tokens, cache_read_tokens=cached, cache_write_tokens=written, reasoning_tokens=reasoning
    )


def in_band_error(error: Any, where: str) -> InBandError:
    if isinstance(error, Mapping):
        fields = parse_error_body(json.dumps({"error": error}))
        status = error.get("status_code") or error.get("code")
        return InBandError(
            fields["message"] or f"the server reported an error {where}",
            status=status if isinstance(status, int) and 100 <= status < 600 else None,
            type=fields["type"],
            code=fields["code"],
            param=fields["param"],
            body=error,
        )
    return InBandError(str(error) or f"the server reported an error {where}", body=error)


def citations(annotations: Any) -> list[StreamEvent]:
    out: list[StreamEvent] = []
    for item in annotations if isinstance(annotations, list) else []:
        cite = item.get("url_citation") if isinstance(item, Mapping) else None
        if isinstance(cite, Mapping):
            out.append(
                Citation(
                    index=0,
                    cited_text=str(cite.get("content") or ""),
                    title=cite.get("title"),
                    url=cite.get("url"),
                    start=cite.get("start_index"),
                    end=cite.get("end_index"),
                    unit="char",
                    raw=dict(item),
                )
            )
    return out
