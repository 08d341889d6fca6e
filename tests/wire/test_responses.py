"""The Responses API without sockets: the request items and tools we build, and the stream reader."""

from __future__ import annotations

import json
from typing import Any

import pytest
from axio.blocks import ProviderBlock, ReasoningBlock, TextBlock, ToolResultBlock, ToolUseBlock
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
from axio.messages import Message
from axio.tool import Tool
from axio.types import StopReason, Usage
from hypothesis import given
from hypothesis import strategies as st

from axio_omni.errors import InBandError, MalformedResponseError, StreamCutError
from axio_omni.wire.responses_request import response_input, response_tools, strict_schema
from axio_omni.wire.responses_stream import ResponsesStreamDecoder, read_response_usage

from ..helpers import schema_errors, split_at


def valid_input(items: list[dict[str, Any]]) -> list[str]:
    body = {"model": "gpt-4.1", "input": items, "stream": True}
    return schema_errors("CreateResponse", body)


# ── request ────────────────────────────────────────────────────────────────────────────────────


def test_a_conversation_with_a_tool_round_and_reasoning() -> None:
    messages = [
        Message("user", [TextBlock("Weather in Rome?")]),
        Message(
            "assistant",
            [
                ReasoningBlock(text="Need the tool.", signature="enc-1", id="rs_1", provider="openai"),
                TextBlock("Let me check."),
                ToolUseBlock("call_abc", "get_weather", {"city": "Rome"}),
            ],
        ),
        Message("user", [ToolResultBlock("call_abc", "sunny")]),
        Message("assistant", [TextBlock("It is "), TextBlock("sunny.")]),
        Message("user", [TextBlock("Thanks")]),
    ]
    items = response_input(messages)
    assert items == [
        {"type": "message", "role": "user", "content": "Weather in Rome?"},
        {
            "type": "reasoning",
            "id": "rs_1",
            "encrypted_content": "enc-1",
            "summary": [{"type": "summary_text", "text": "Need the tool."}],
        },
        {"type": "message", "role": "assistant", "content": "Let me check."},
        {"type": "function_call", "call_id": "call_abc", "name": "get_weather", "arguments": '{"city":"Rome"}'},
        {"type": "function_call_output", "call_id": "call_abc", "output": "sunny"},
        {"type": "message", "role": "assistant", "content": "It is sunny."},
        {"type": "message", "role": "user", "content": "Thanks"},
    ]
    assert valid_input(items) == []


def test_what_another_protocol_signed_is_not_replayed_and_a_trailing_reasoning_item_is_dropped() -> None:
    messages = [
        Message("user", [TextBlock("hi")]),
        Message(
            "assistant",
            [
                ReasoningBlock(text="hm", signature="anthropic-sig", id="th_1", provider="anthropic"),
                ProviderBlock(
                    provider="openai", kind="web_search_call", data={"type": "web_search_call", "id": "ws_1"}
                ),
                ProviderBlock(provider="google", kind="x", data={"type": "x"}),
                TextBlock("Found it."),
                ReasoningBlock(text="done", signature="enc-9", id="rs_9", provider="openai"),
            ],
        ),
    ]
    items = response_input(messages)
    assert items == [
        {"type": "message", "role": "user", "content": "hi"},
        {"type": "web_search_call", "id": "ws_1"},
        {"type": "message", "role": "assistant", "content": "Found it."},
    ]


def test_images_in_a_user_turn_and_in_a_tool_result() -> None:
    from axio.blocks import ImageBlock

    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 8
    items = response_input(
        [
            Message("user", [TextBlock("What is this?"), ImageBlock(media_type="image/png", data=png)]),
            Message("assistant", [ToolUseBlock("c1", "look", {})]),
            Message(
                "user", [ToolResultBlock("c1", [TextBlock("a frame"), ImageBlock(media_type="image/png", data=png)])]
            ),
        ]
    )
    assert items[0]["content"][1]["image_url"].startswith("data:image/png;base64,")
    assert [p["type"] for p in items[2]["output"]] == ["input_text", "input_image"]


def test_function_tools_carry_strict() -> None:
    async def get_weather(city: str) -> str:
        """Weather."""
        return city

    loose: Tool[Any] = Tool(name="get_weather", handler=get_weather, description="Weather for a city")
    tools = response_tools([loose])
    assert tools[0]["type"] == "function" and tools[0]["name"] == "get_weather" and "strict" in tools[0]
    assert tools[0]["strict"] is strict_schema(tools[0]["parameters"])
    closed = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "when": {"type": "object", "properties": {}, "required": []}},
        "required": ["city", "when"],
        "additionalProperties": False,
    }
    assert not strict_schema(closed)  # the inner object is open
    closed["properties"]["when"]["additionalProperties"] = False  # type: ignore[index]
    assert strict_schema(closed)
    assert not strict_schema({**closed, "required": ["city"]})
    assert schema_errors("CreateResponse", {"model": "m", "input": "hi", "tools": tools}) == []


# ── stream ─────────────────────────────────────────────────────────────────────────────────────


def sse(*events: dict[str, Any]) -> bytes:
    out = b""
    for n, event in enumerate(events):
        event = {"sequence_number": n, **event}
        out += b"event: " + event["type"].encode() + b"\ndata: " + json.dumps(event).encode() + b"\n\n"
    return out


CREATED = {"type": "response.created", "response": {"id": "resp_1", "model": "gpt-5-mini", "status": "in_progress"}}


def completed(usage: Any = None, status: str = "completed", **extra: Any) -> dict[str, Any]:
    response = {"id": "resp_1", "status": status, "usage": usage, **extra}
    return {"type": f"response.{status}", "response": response}


def decode(raw: bytes) -> list[StreamEvent]:
    decoder = ResponsesStreamDecoder()
    return [*decoder.feed(raw), *decoder.close()]


TOOL_TURN = sse(
    CREATED,
    {
        "type": "response.output_item.added",
        "output_index": 0,
        "item": {"type": "reasoning", "id": "rs_1", "summary": []},
    },
    {"type": "response.reasoning_summary_part.added", "output_index": 0, "item_id": "rs_1", "summary_index": 0},
    {"type": "response.reasoning_summary_text.delta", "output_index": 0, "item_id": "rs_1", "delta": "First."},
    {"type": "response.reasoning_summary_part.added", "output_index": 0, "item_id": "rs_1", "summary_index": 1},
    {"type": "response.reasoning_summary_text.delta", "output_index": 0, "item_id": "rs_1", "delta": "Second."},
    {
        "type": "response.output_item.done",
        "output_index": 0,
        "item": {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAA-secret"},
    },
    {
        "type": "response.output_item.added",
        "output_index": 1,
        "item": {"type": "function_call", "id": "fc_77", "call_id": "call_9", "name": "get_weather", "arguments": ""},
    },
    {"type": "response.function_call_arguments.delta", "output_index": 1, "item_id": "fc_77", "delta": '{"city":'},
    {"type": "response.function_call_arguments.delta", "output_index": 1, "item_id": "fc_77", "delta": '"Rome"}'},
    {
        "type": "response.output_item.done",
        "output_index": 1,
        "item": {"type": "function_call", "id": "fc_77", "call_id": "call_9", "name": "get_weather", "arguments": "x"},
    },
    completed({"input_tokens": 20, "output_tokens": 9, "input_tokens_details": {"cached_tokens": 4}}),
)


def usage_of(events: list[StreamEvent]) -> Usage:
    end = events[-1]
    assert isinstance(end, IterationEnd)
    return end.usage


def test_a_tool_turn_with_reasoning() -> None:
    events = decode(TOOL_TURN)
    assert events == [
        IterationStart(iteration=0, id="resp_1", model="gpt-5-mini"),
        ReasoningDelta(0, "First."),
        ReasoningDelta(0, "\n\n"),
        ReasoningDelta(0, "Second."),
        ReasoningSignature(0, "gAAA-secret", id="rs_1", provider="openai"),
        ToolUseStart(1, "call_9", "get_weather"),  # keyed by call_id, not by the item id
        ToolInputDelta(1, "call_9", '{"city":'),
        ToolInputDelta(1, "call_9", '"Rome"}'),
        BlockEnd(1),
        IterationEnd(iteration=0, stop_reason=StopReason.tool_use, usage=usage_of(events), raw="completed"),
    ]
    usage = usage_of(events)
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.reasoning_tokens) == (20, 9, 4, 0)


@given(st.lists(st.integers(0, len(TOOL_TURN)), max_size=12))
def test_any_chunk_boundaries_give_the_same_events(cuts: list[int]) -> None:
    decoder = ResponsesStreamDecoder()
    events: list[StreamEvent] = []
    for piece in split_at(TOOL_TURN, cuts):
        events.extend(decoder.feed(piece))
    events.extend(decoder.close())
    assert events == decode(TOOL_TURN)


def test_text_refusal_and_whole_items() -> None:
    events = decode(
        sse(
            CREATED,
            {
                "type": "response.output_text.delta",
                "output_index": 0,
                "item_id": "m",
                "content_index": 0,
                "delta": "Hi",
            },
            {"type": "response.refusal.delta", "output_index": 0, "item_id": "m", "content_index": 1, "delta": "No."},
            {
                "type": "response.output_item.done",
                "output_index": 1,
                "item": {"type": "reasoning", "id": "rs_2", "summary": [{"type": "summary_text", "text": "Whole."}]},
            },
            {
                "type": "response.output_item.done",
                "output_index": 2,
                "item": {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "f", "arguments": '{"a":1}'},
            },
            {"type": "response.output_item.done", "output_index": 3, "item": {"type": "web_search_call", "id": "ws"}},
            {"type": "response.some_future_event", "x": 1},
            completed({"input_tokens": 1, "output_tokens": 2}),
        )
    )
    assert events[1:8] == [
        TextDelta(0, "Hi"),
        Refusal(0, "No."),
        ReasoningDelta(1, "Whole."),
        ToolUseStart(2, "c1", "f"),
        ToolInputDelta(2, "c1", '{"a":1}'),
        BlockEnd(2),
        ProviderOutput("openai", "web_search_call", {"type": "web_search_call", "id": "ws"}, 3, "ws"),
    ]
    assert isinstance(events[-1], IterationEnd) and events[-1].stop_reason is StopReason.refusal


def test_an_incomplete_response_says_why() -> None:
    end = completed(
        {"input_tokens": 3, "output_tokens": 5}, "incomplete", incomplete_details={"reason": "max_output_tokens"}
    )
    events = decode(sse(CREATED, end))
    assert isinstance(events[-1], IterationEnd)
    assert (events[-1].stop_reason, events[-1].raw) == (StopReason.max_tokens, "max_output_tokens")


@pytest.mark.parametrize(
    ("event", "code", "param"),
    [
        (
            {"type": "error", "code": "rate_limit_exceeded", "message": "Slow down", "param": None},
            "rate_limit_exceeded",
            None,
        ),
        ({"type": "error", "code": None, "message": "Bad input", "param": "input"}, None, "input"),
        (
            {
                "type": "response.failed",
                "response": {"id": "r", "status": "failed", "error": {"code": "server_error", "message": "Boom"}},
            },
            "server_error",
            None,
        ),
    ],
)
def test_errors_in_the_stream_are_typed(event: dict[str, Any], code: str | None, param: str | None) -> None:
    decoder = ResponsesStreamDecoder()
    with pytest.raises(InBandError) as info:
        decoder.feed(sse(CREATED, event))
    assert (info.value.code, info.value.param) == (code, param) and info.value.message


def test_a_cut_stream_and_a_broken_event() -> None:
    decoder = ResponsesStreamDecoder()
    decoder.feed(sse(CREATED))
    with pytest.raises(StreamCutError):
        decoder.close()
    with pytest.raises(MalformedResponseError):
        ResponsesStreamDecoder().feed(b"data: {nope\n\n")


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({"input_tokens": 10, "output_tokens": 4, "input_tokens_details": {"cached_tokens": 6}}, (10, 4, 6, 0)),
        ({"input_tokens": 10, "output_tokens": 4}, (10, 4, 0, 0)),
        ({"input_tokens": 10, "output_tokens": 4, "output_tokens_details": {"reasoning_tokens": 9}}, (10, 9, 0, 9)),
        (None, (0, 0, 0, 0)),
    ],
)
def test_usage_with_or_without_its_details(usage: Any, expected: tuple[int, int, int, int]) -> None:
    got = read_response_usage(usage)
    assert (got.input_tokens, got.output_tokens, got.cache_read_tokens, got.reasoning_tokens) == expected
