"""The chunk reader turns every recorded real stream, and every known server quirk, into axio events."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
from axio.events import (
    BlockEnd,
    IterationEnd,
    IterationStart,
    ReasoningDelta,
    Refusal,
    StreamEvent,
    TextDelta,
    ToolInputDelta,
    ToolUseStart,
)
from axio.types import StopReason
from hypothesis import given, settings
from hypothesis import strategies as st

from axio_omni.errors import InBandError, MalformedResponseError, OmniError, StreamCutError
from axio_omni.wire.chat_stream import ChatStreamDecoder
from axio_omni.wire.chat_values import read_usage
from tests.helpers import split_at, stream_bytes, stream_files

# What each recording must give: the stop reason (or the error it raises) and the tools it calls.
EXPECTED: dict[str, tuple[str, list[str]]] = {
    "test_allows_non_strict_tools_but_no_parsing__2018feb66ae1": ("tool_use", ["get_weather"]),
    "test_parse_max_tokens_reached__4cc50a6135d2": ("max_tokens", []),
    "test_parse_multiple_pydantic_tools__f82268f2fefd": ("tool_use", ["GetWeatherArgs", "get_stock_price"]),
    "test_parse_pydantic_model_refusal__173417d55340": ("refusal", []),
    "test_refusal_logprobs_events__569c877e6942": ("refusal", []),
    "groq__test_tool_use_failed_error_streaming__0": ("InBandError", []),
    "groq__test_tool_use_failed_error_streaming_with_text__0": ("InBandError", []),
    "openrouter__test_openrouter_stream_error__0": ("InBandError", []),
    "groq__test_tool_use_failed_error_streaming__1": ("tool_use", ["get_something_by_name"]),
    "mistral__mistral-tool-call": ("tool_use", ["weather"]),
    "mistral__mistral-incremental-tool-call": ("tool_use", ["webSearchTool"]),
    "deepseek__deepseek-text": ("max_tokens", []),
    "snowflake__test_snowflake_model_streaming__0": ("end_turn", []),
    "openai-compatible__anthropic-fallback-tool-call": ("tool_use", ["read_file"]),
}


def run(pieces: list[bytes]) -> list[StreamEvent]:
    decoder = ChatStreamDecoder()
    out = [e for p in pieces for e in decoder.feed(p)]
    return out + decoder.close()


def calls(events: list[StreamEvent]) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for e in events:
        if isinstance(e, ToolUseStart):
            assert e.tool_use_id not in found, "a call started twice"
            found[e.tool_use_id] = (e.name, "")
        elif isinstance(e, ToolInputDelta):
            name, args = found[e.tool_use_id]
            found[e.tool_use_id] = (name, args + e.partial_json)
    return found


def stem(path: pathlib.Path) -> str:
    return path.name.removesuffix(".sse").removesuffix(".chunks.txt")


@pytest.mark.parametrize("path", stream_files(), ids=stem)
def test_every_recording_ends_in_iteration_end_or_a_typed_error(path: pathlib.Path) -> None:
    expected = EXPECTED.get(stem(path))
    try:
        events = run([stream_bytes(path)])
    except OmniError as exc:
        assert expected is not None and expected[0] == type(exc).__name__, f"unexpected {exc!r}"
        assert isinstance(exc, InBandError) and exc.message
        return
    assert isinstance(events[0], IterationStart) and events[0].model
    end = events[-1]
    assert isinstance(end, IterationEnd)
    assert sum(isinstance(e, IterationEnd) for e in events) == 1
    found = calls(events)
    for name, args in found.values():
        assert isinstance(json.loads(args), dict), f"{name} arguments are not a JSON object: {args!r}"
    if expected is not None:
        assert end.stop_reason.value == expected[0]
        assert sorted(n for n, _ in found.values()) == sorted(expected[1])
    ends = [e.index for e in events if isinstance(e, BlockEnd)]
    assert sorted(ends) == sorted(e.index for e in events if isinstance(e, ToolUseStart))


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_recordings_give_the_same_events_whatever_the_chunking(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(stream_files()))
    raw = stream_bytes(path)
    pieces = split_at(raw, data.draw(st.lists(st.integers(0, len(raw)), max_size=40)))
    try:
        whole = run([raw])
    except OmniError as exc:
        with pytest.raises(type(exc)):
            run(pieces)
        return
    chunked = run(pieces)

    def joined(events: list[StreamEvent], kind: type) -> str:
        return "".join(getattr(e, "delta", "") for e in events if isinstance(e, kind))

    assert joined(chunked, TextDelta) == joined(whole, TextDelta)
    assert joined(chunked, ReasoningDelta) == joined(whole, ReasoningDelta)
    assert chunked[-1] == whole[-1]
    assert [(n, a) for n, a in calls(chunked).values()] == [(n, a) for n, a in calls(whole).values()]


def test_text_and_usage_from_openai() -> None:
    events = run([stream_bytes(next(p for p in stream_files() if "test_parse_nothing" in p.name))])
    assert "".join(e.delta for e in events if isinstance(e, TextDelta))
    end = events[-1]
    assert isinstance(end, IterationEnd) and end.usage.input_tokens == 14 and end.usage.output_tokens == 30


def test_refusal_is_not_text() -> None:
    events = run([stream_bytes(next(p for p in stream_files() if "model_refusal" in p.name))])
    assert not [e for e in events if isinstance(e, TextDelta)]
    assert "".join(e.text for e in events if isinstance(e, Refusal)).startswith("I'm")


def test_deepseek_reasoning_content_and_cache_hits() -> None:
    events = run([stream_bytes(next(p for p in stream_files() if "deepseek__deepseek-tool-call" in p.name))])
    assert any(isinstance(e, ReasoningDelta) for e in events)
    end = events[-1]
    assert isinstance(end, IterationEnd) and end.usage.cache_read_tokens == 320 and end.usage.reasoning_tokens == 39


# ── synthetic shapes: one per quirk a real server has ─────────────────────────────────────────────


def sse(*chunks: dict[str, Any] | str) -> bytes:
    out = b""
    for c in chunks:
        out += b"data: " + (c.encode() if isinstance(c, str) else json.dumps(c).encode()) + b"\n\n"
    return out


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {"id": "c1", "model": "m-served", "choices": choices, **extra}


def tc(
    index: int | None = None, id: str | None = None, name: str | None = None, args: str | None = None
) -> dict[str, Any]:
    call: dict[str, Any] = {"function": {}}
    if index is not None:
        call["index"] = index
    if id is not None:
        call["id"] = id
    if name is not None:
        call["function"]["name"] = name
    if args is not None:
        call["function"]["arguments"] = args
    return {"tool_calls": [call]}


def test_iteration_start_carries_the_served_model() -> None:
    events = run([sse(chunk({"role": "assistant", "content": None}), chunk({"content": "hi"}, "stop"), "[DONE]")])
    assert events[0] == IterationStart(iteration=0, id="c1", model="m-served")


@pytest.mark.parametrize(
    "fragments",
    [
        # OpenAI: id and name on the first fragment only.
        [tc(0, "call_a", "f", ""), tc(0, None, None, '{"x":'), tc(0, None, None, " 1}")],
        # id and name repeated on every fragment (vLLM, some gateways).
        [tc(0, "call_a", "f", '{"x":'), tc(0, "call_a", "f", " 1}")],
        # id empty on later fragments.
        [tc(0, "call_a", "f", '{"x":'), tc(0, "", "", " 1}")],
        # The whole call in one delta (Groq, Mistral).
        [tc(0, "call_a", "f", '{"x": 1}')],
        # No index at all (Mistral).
        [tc(None, "call_a", "f", '{"x": 1}')],
    ],
)
def test_tool_call_fragment_shapes_assemble_one_call(fragments: list[dict[str, Any]]) -> None:
    events = run([sse(*[chunk(f) for f in fragments], chunk({}, "tool_calls"), "[DONE]")])
    found = calls(events)
    assert [name for name, _ in found.values()] == ["f"]
    assert json.loads(next(iter(found.values()))[1]) == {"x": 1}
    assert isinstance(events[-1], IterationEnd) and events[-1].stop_reason is StopReason.tool_use


def test_parallel_calls_interleaved_are_keyed_by_index() -> None:
    events = run(
        [
            sse(
                chunk(tc(0, "a", "first", '{"n"')),
                chunk(tc(1, "b", "second", '{"m"')),
                chunk(tc(0, None, None, ": 1}")),
                chunk(tc(1, None, None, ": 2}")),
                chunk({}, "tool_calls"),
                "[DONE]",
            )
        ]
    )
    assert calls(events) == {"a": ("first", '{"n": 1}'), "b": ("second", '{"m": 2}')}


def test_missing_id_gets_a_unique_one() -> None:
    events = run([sse(chunk(tc(0, "", "f", "{}")), chunk(tc(1, "", "g", "{}")), chunk({}, "tool_calls"), "[DONE]")])
    ids = [e.tool_use_id for e in events if isinstance(e, ToolUseStart)]
    assert len(set(ids)) == 2 and all(ids)


def test_call_without_arguments_gets_an_empty_object() -> None:
    events = run([sse(chunk(tc(0, "a", "ping")), chunk({}, "tool_calls"), "[DONE]")])
    assert calls(events) == {"a": ("ping", "{}")}


def test_stop_with_calls_is_tool_use() -> None:
    events = run([sse(chunk(tc(0, "a", "f", "{}")), chunk({}, "stop"), "[DONE]")])
    assert isinstance(events[-1], IterationEnd) and events[-1].stop_reason is StopReason.tool_use
    assert events[-1].raw == "stop"


@pytest.mark.parametrize("where", ["separate", "finish", "every"])
def test_usage_wherever_it_arrives(where: str) -> None:
    usage = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
    early = {"prompt_tokens": 7, "completion_tokens": 1, "total_tokens": 8}
    if where == "separate":
        body = sse(chunk({"content": "a"}), chunk({}, "stop"), chunk(None, usage=usage), "[DONE]")
    elif where == "finish":
        body = sse(chunk({"content": "a"}), chunk({}, "stop", usage=usage), "[DONE]")
    else:
        body = sse(chunk({"content": "a"}, usage=early), chunk({}, "stop", usage=usage), "[DONE]")
    end = run([body])[-1]
    assert isinstance(end, IterationEnd) and (end.usage.input_tokens, end.usage.output_tokens) == (7, 3)


def test_usage_slices() -> None:
    usage = read_usage(
        {
            "prompt_tokens": 100,
            "completion_tokens": 50,
            "prompt_tokens_details": {"cached_tokens": 40},
            "completion_tokens_details": {"reasoning_tokens": 20},
        }
    )
    assert (usage.cache_read_tokens, usage.reasoning_tokens, usage.uncached_input_tokens) == (40, 20, 60)


def test_no_finish_reason_before_done_infers_the_reason() -> None:
    end = run([sse(chunk({"content": "a"}), "[DONE]")])[-1]
    assert isinstance(end, IterationEnd) and end.stop_reason is StopReason.end_turn and end.raw == ""


def test_finish_reason_without_done_is_complete() -> None:
    end = run([sse(chunk({"content": "a"}), chunk({}, "length"))])[-1]
    assert isinstance(end, IterationEnd) and end.stop_reason is StopReason.max_tokens


def test_neither_done_nor_finish_reason_is_a_cut_stream() -> None:
    with pytest.raises(StreamCutError):
        run([sse(chunk({"content": "a"}))])
    with pytest.raises(StreamCutError):
        run([b""])


def test_in_band_error_chunk_raises_even_after_a_finish_reason() -> None:
    body = sse(chunk({"content": "a"}, "length"), chunk({}, error={"code": 429, "message": "slow down"}))
    with pytest.raises(InBandError) as info:
        run([body])
    assert info.value.message == "slow down" and info.value.status == 429


def test_error_event_raises() -> None:
    body = sse(chunk({"content": "a"})) + b'event: error\ndata: {"error": {"message": "boom", "code": "x"}}\n\n'
    with pytest.raises(InBandError, match="boom"):
        run([body])
    with pytest.raises(InBandError, match="plain words"):
        run([sse(chunk({"content": "a"})) + b"event: error\ndata: plain words\n\n"])


def test_bare_string_error_and_finish_reason_error_raise() -> None:
    with pytest.raises(InBandError, match="overloaded"):
        run([sse(chunk({"content": "a"}), {"error": "overloaded"})])
    with pytest.raises(InBandError):
        run([sse(chunk({"content": "a"}, "error"), "[DONE]")])


def test_malformed_chunk_raises() -> None:
    with pytest.raises(MalformedResponseError):
        run([sse(chunk({"content": "a"})) + b"data: {not json\n\n"])


def test_think_tags_become_reasoning() -> None:
    events = run(
        [
            sse(
                chunk({"content": "<thi"}),
                chunk({"content": "nk>hmm</th"}),
                chunk({"content": "ink>Yes"}),
                chunk({}, "stop"),
                "[DONE]",
            )
        ]
    )
    assert "".join(e.delta for e in events if isinstance(e, ReasoningDelta)) == "hmm"
    assert "".join(e.delta for e in events if isinstance(e, TextDelta)) == "Yes"


def test_reasoning_fields_are_read_once() -> None:
    events = run(
        [
            sse(
                chunk({"reasoning": "r1", "reasoning_content": "r1"}),
                chunk({"reasoning": "r2"}),
                chunk({"content": "t"}, "stop"),
                "[DONE]",
            )
        ]
    )
    assert "".join(e.delta for e in events if isinstance(e, ReasoningDelta)) == "r1r2"


def test_nothing_after_done_is_read() -> None:
    events = run([sse(chunk({"content": "a"}, "stop"), "[DONE]", chunk({"content": "late"}))])
    assert "".join(e.delta for e in events if isinstance(e, TextDelta)) == "a"


def test_fast_text_delta_equals_the_constructor() -> None:
    from axio_omni.wire.chat_values import text_delta

    made = text_delta("héllo")
    assert made == TextDelta(0, "héllo") and type(made) is TextDelta and hash(made) == hash(TextDelta(0, "héllo"))
    assert repr(made) == repr(TextDelta(0, "héllo"))


def test_fast_tool_input_delta_equals_the_constructor() -> None:
    from axio_omni.wire.chat_values import tool_input_delta

    made = tool_input_delta(3, "call_1", '{"a"')
    assert made == ToolInputDelta(3, "call_1", '{"a"') and hash(made) == hash(ToolInputDelta(3, "call_1", '{"a"'))
    assert type(made) is ToolInputDelta
