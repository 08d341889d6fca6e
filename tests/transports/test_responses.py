"""OpenAIResponsesTransport against the emulator's ``/v1/responses``: whole conversations through
axio's Agent, reasoning kept across turns, chaining, typed failures; every request we send and every
event the emulator answers validated against OpenAI's published schemas."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import aiohttp
import pytest
from axio.agent import Agent
from axio.blocks import ReasoningBlock, TextBlock
from axio.context import MemoryContextStore
from axio.events import IterationEnd, ReasoningDelta, TextDelta, ToolResult
from axio.messages import Message
from axio.tool import Tool

from axio_omni import (
    BadRequestError,
    ConfigurationError,
    InBandError,
    OpenAIResponsesTransport,
    RetryPolicy,
    StreamCutError,
)
from axio_omni.emulator import Emulator
from axio_omni.transports import responses as responses_module
from axio_omni.wire.responses_request import message_items

from ..helpers import DATA, collect, schema_errors

FAST = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02)
HI = [Message("user", [TextBlock("hello there")])]


async def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"sunny in {city}"


WEATHER: Tool[Any] = Tool(name="get_weather", handler=get_weather, description="Current weather for a city")


def transport(emu: Emulator, **kw: Any) -> OpenAIResponsesTransport:
    return OpenAIResponsesTransport(base_url=emu.base_url, model=kw.pop("model", "o4-mini"), retry=FAST, **kw)


@cache
def _event_schemas() -> dict[str, str]:
    schemas = json.loads((DATA / "openai-schema.json").read_text())["components"]["schemas"]
    out = {}
    for name, schema in schemas.items():
        kinds = schema.get("properties", {}).get("type", {}).get("enum") if name.startswith("Response") else None
        if name.endswith("Event") and kinds:
            out[kinds[0]] = name
    return out


async def raw_events(emu: Emulator, body: dict[str, Any]) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.post(emu.base_url + "/responses", json=body) as resp:
        text = await resp.text()
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


def check_sent(emu: Emulator) -> None:
    for r in emu.requests:
        if r.path == "/v1/responses":
            assert schema_errors("CreateResponse", r.body) == [], r.body


async def test_a_tool_conversation_through_the_agent_keeps_reasoning(emulator: Emulator) -> None:
    agent = Agent(system="Be brief.", transport=transport(emulator), tools=[WEATHER])
    context = MemoryContextStore()
    events = [e async for e in agent.run_stream("What is the weather in Paris? Use get_weather.", context)]
    assert any(isinstance(e, ToolResult) for e in events)
    assert "The get_weather tool returned: sunny in Paris" in "".join(
        e.delta for e in events if isinstance(e, TextDelta)
    )
    assert any(isinstance(e, ReasoningDelta) for e in events)
    first, second = [r.body for r in emulator.requests if r.path == "/v1/responses"]
    assert first["store"] is False and first["include"] == ["reasoning.encrypted_content"]
    assert first["reasoning"] == {"summary": "auto"} and first["instructions"] == "Be brief."
    assert first["tools"][0]["strict"] is False and first["tools"][0]["name"] == "get_weather"
    # The reasoning came back encrypted, was kept by the Agent and sent again (the emulator checks it).
    kinds = [item["type"] for item in second["input"]]
    assert kinds == ["message", "reasoning", "function_call", "function_call_output"]
    assert second["input"][2]["call_id"] == second["input"][3]["call_id"]
    history = await context.get_history()
    stored = [b for m in history for b in m.content if isinstance(b, ReasoningBlock)]
    assert stored and stored[0].provider == "openai" and stored[0].id.startswith("rs_")
    check_sent(emulator)


async def test_an_earlier_answer_goes_back_as_plain_string_content(emulator: Emulator) -> None:
    t = transport(emulator, model="gpt-4.1-mini")
    history = [*HI, Message("assistant", [TextBlock("You said: hello there")]), Message("user", [TextBlock("again")])]
    events = await collect(t.stream(history, [], ""))
    assert isinstance(events[-1], IterationEnd)
    sent = emulator.requests[-1].body
    assert sent["input"][1] == {"type": "message", "role": "assistant", "content": "You said: hello there"}
    assert "reasoning" not in sent and "include" not in sent  # not a reasoning model
    check_sent(emulator)


async def test_chaining_sends_only_what_is_new(emulator: Emulator) -> None:
    t = transport(emulator, model="gpt-4.1-mini", store=True, chain=True)
    first = await collect(t.stream(HI, [], ""))
    answer = "".join(e.delta for e in first if isinstance(e, TextDelta))
    history = [*HI, Message("assistant", [TextBlock(answer)]), Message("user", [TextBlock("and again")])]
    await collect(t.stream(history, [], ""))
    one, two = [r.body for r in emulator.requests if r.path == "/v1/responses"]
    assert "previous_response_id" not in one and one["store"] is True
    assert two["previous_response_id"].startswith("resp_")
    assert two["input"] == [{"type": "message", "role": "user", "content": "and again"}]
    changed = [Message("user", [TextBlock("something else")]), *history[1:]]
    await collect(t.stream(changed, [], ""))
    three = emulator.requests[-1].body
    assert "previous_response_id" not in three and len(three["input"]) == 3  # the history changed: sent whole
    check_sent(emulator)


def test_settings_the_endpoint_does_not_take_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="chain needs store=True"):
        OpenAIResponsesTransport(chain=True)
    with pytest.raises(ConfigurationError, match="OpenAIResponsesTransport.seed cannot be set: the Responses API"):
        OpenAIResponsesTransport(seed=1)
    with pytest.raises(ConfigurationError, match="stop cannot be set"):
        OpenAIResponsesTransport(stop=("x",))
    saved: dict[str, Any] = {"max_tokens": "99", "temperature": "0.2", "reasoning_effort": "low"}
    t = OpenAIResponsesTransport(api_key="sk-test-0000", **saved)
    body = t.build_payload(HI, [], "")
    assert (body["max_output_tokens"], body["temperature"], body["store"]) == (99, 0.2, False)
    assert body["reasoning"] == {"effort": "low"}  # gpt-4.1-mini writes no summary: none asked
    with pytest.raises(ConfigurationError, match="extra_body must be free of 'input'"):
        OpenAIResponsesTransport(extra_body={"input": []})
    assert OpenAIResponsesTransport.from_dict(t.to_dict()).to_dict() == t.to_dict()


async def test_failures_are_typed(emulator: Emulator) -> None:
    t = transport(emulator, model="gpt-4.1-mini")
    emulator.fail_next("status=503", times=2)
    assert isinstance((await collect(t.stream(HI, [], "")))[-1], IterationEnd)  # retried before any event
    emulator.fail_next("error_after=3;message=the model broke")
    with pytest.raises(InBandError, match="the model broke") as info:
        await collect(t.stream(HI, [], ""))
    assert info.value.code == "server_error"
    emulator.fail_next("drop_after=4")
    with pytest.raises(StreamCutError):
        await collect(t.stream(HI, [], ""))
    bad = OpenAIResponsesTransport(base_url=emulator.base_url, model="m", store=True, chain=True, retry=FAST)
    history = [*HI, Message("assistant", [TextBlock("x")]), Message("user", [TextBlock("y")])]
    bad._last = ("resp_unknown", 1, responses_module._digest(message_items(HI)))
    with pytest.raises(BadRequestError, match="Previous response with id 'resp_unknown' not found") as refused:
        await collect(bad.stream(history, [], ""))
    assert refused.value.param == "previous_response_id" and refused.value.request_id


async def test_every_event_the_emulator_streams_matches_the_spec(emulator: Emulator) -> None:
    bodies = [
        {"model": "gpt-4.1-mini", "input": "hello", "stream": True},
        {"model": "gpt-4.1-mini", "input": "hello there", "stream": True, "max_output_tokens": 1},
        {
            "model": "o4-mini",
            "input": "weather in Rome? use get_weather",
            "stream": True,
            "store": False,
            "include": ["reasoning.encrypted_content"],
            "reasoning": {"summary": "auto"},
            "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}, "strict": False}],
        },
    ]
    names = _event_schemas()
    for body in bodies:
        events = await raw_events(emulator, body)
        assert [e["sequence_number"] for e in events] == list(range(len(events)))
        assert "usage" not in events[0]["response"]
        for event in events:
            assert schema_errors(names[event["type"]], event) == [], event
    emulator.fail_next("error_after=2")
    events = await raw_events(emulator, bodies[0])
    assert events[-1]["type"] == "error" and schema_errors("ResponseErrorEvent", events[-1]) == []


async def test_the_emulator_refuses_what_openai_refuses(emulator: Emulator) -> None:
    async def post(body: dict[str, Any]) -> tuple[int, Any]:
        async with aiohttp.ClientSession() as s, s.post(emulator.base_url + "/responses", json=body) as resp:
            return resp.status, await resp.json()

    assistant_parts = {"role": "assistant", "content": [{"type": "input_text", "text": "x"}]}
    status, body = await post({"model": "m", "input": [{"role": "user", "content": "hi"}, assistant_parts]})
    assert status == 400 and "Supported values are: 'output_text' and 'refusal'" in body["error"]["message"]
    forged = {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAAAforged"}
    status, body = await post({"model": "o4-mini", "input": [{"role": "user", "content": "hi"}, forged]})
    assert status == 400 and body["error"]["param"] == "input[1].encrypted_content"
    orphan = {"type": "function_call_output", "call_id": "nope", "output": "x"}
    status, body = await post({"model": "m", "input": [orphan]})
    assert status == 400 and "No tool call found" in body["error"]["message"]
    status, body = await post({"model": "m", "input": "hi"})
    assert status == 200 and schema_errors("Response", body) == [] and body["status"] == "completed"


async def test_the_official_sdk_streams_from_the_emulator(emulator: Emulator) -> None:
    from openai import AsyncOpenAI

    async with AsyncOpenAI(base_url=emulator.base_url, api_key="sk-test") as client:
        stream = await client.responses.create(model="gpt-4.1-mini", input="hello sdk", stream=True)
        kinds = [event.type async for event in stream]
        final = await client.responses.create(model="gpt-4.1-mini", input="hello sdk")
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert final.output_text == "You said: hello sdk"
