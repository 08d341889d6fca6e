"""OpenAITransport against a real third-party server: llama.cpp's own, with SmolLM2-135M.

What llama.cpp does differently (see docs/real-servers.md) is read as it comes: a first delta with
``content: null``, ``timings`` beside usage, random 32-character call ids, a usage chunk with
``choices: []``, and its tool-call parse failures reported as an in-band error chunk.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from axio.agent import Agent
from axio.blocks import TextBlock, ToolResultBlock, ToolUseBlock
from axio.context import MemoryContextStore
from axio.events import (
    Error,
    IterationEnd,
    IterationStart,
    SessionEndEvent,
    TextDelta,
    ToolInputDelta,
    ToolResult,
    ToolUseStart,
)
from axio.messages import Message
from axio.tool import Tool
from axio.types import StopReason

from axio_omni import AuthenticationError, InBandError, OpenAITransport, RetryPolicy, TransportPool
from tests.helpers import collect

from .conftest import API_KEY

pytestmark = pytest.mark.integration


async def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"sunny, 22 C in {city}"


WEATHER: Tool[Any] = Tool(name="get_weather", handler=get_weather, description="Current weather for a city")
# One earlier turn that called the tool: a 135M model imitates it, where instructions alone do not move it.
EXAMPLE = [
    Message("user", [TextBlock("What is the weather in Rome?")]),
    Message("assistant", [ToolUseBlock("call_1", "get_weather", {"city": "Rome"})]),
    Message("user", [ToolResultBlock("call_1", "sunny, 25 C")]),
    Message("assistant", [TextBlock("It is sunny and 25 C in Rome.")]),
]
# llama.cpp continues a trailing assistant message; this one opens a call in the template's own syntax.
PREFILL = Message("assistant", [TextBlock("<tool_call>")])


def transport(url: str, **kw: Any) -> OpenAITransport:
    return OpenAITransport(
        base_url=url,
        api_key=kw.pop("api_key", API_KEY),
        model="smollm2",
        temperature=0.0,
        seed=1,
        max_tokens=kw.pop("max_tokens", 60),
        retry=RetryPolicy(max_retries=0),
        **kw,
    )


async def test_streamed_answer_with_usage(llamacpp_url: str) -> None:
    events = await collect(
        transport(llamacpp_url).stream([Message("user", [TextBlock("Say hello.")])], [], "Be brief.")
    )
    assert isinstance(events[0], IterationStart) and events[0].model == "smollm2"
    deltas = [e.delta for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 1 and "".join(deltas).strip()
    end = events[-1]
    assert isinstance(end, IterationEnd) and end.stop_reason in (StopReason.end_turn, StopReason.max_tokens)
    assert end.usage.input_tokens > 5 and 0 < end.usage.output_tokens <= 60


async def test_streamed_tool_call_assembles_valid_json(llamacpp_url: str) -> None:
    t = transport(llamacpp_url)
    calls: list[tuple[str, dict[str, Any], str]] = []
    for city in ("Berlin", "Paris", "Tokyo"):
        history = [*EXAMPLE, Message("user", [TextBlock(f"What is the weather in {city}?")]), PREFILL]
        try:
            events = await collect(t.stream(history, [WEATHER], ""))
        except InBandError as exc:
            # The model strayed from the call syntax and llama.cpp said so inside the stream.
            assert exc.message and exc.status == 500
            continue
        starts = [e for e in events if isinstance(e, ToolUseStart)]
        args = "".join(e.partial_json for e in events if isinstance(e, ToolInputDelta))
        end = events[-1]
        assert isinstance(end, IterationEnd)
        if starts:
            assert end.stop_reason is StopReason.tool_use and end.raw == "tool_calls"
            assert len(starts[0].tool_use_id) >= 16
            calls.append((starts[0].name, json.loads(args), city))
    assert calls, "no prompt produced a tool call"
    for name, arguments, city in calls:
        assert name == "get_weather" and arguments == {"city": city}


class _PrefilledContext(MemoryContextStore):
    """The example turn before the conversation, and the call prefill until a tool has answered.

    The Agent stamps each user message with the time; the stamp is removed so that the prompt,
    and with it the greedy output of the small model, is the same on every run.
    """

    async def get_history(self) -> list[Message]:
        own = [_unstamped(m) for m in await super().get_history()]
        answered = any(isinstance(b, ToolResultBlock) for m in own for b in m.content)
        return [*EXAMPLE, *own] if answered else [*EXAMPLE, *own, PREFILL]


def _unstamped(message: Message) -> Message:
    blocks = [
        TextBlock(re.sub(r"^\[[^\]]*\] ", "", b.text)) if isinstance(b, TextBlock) and message.role == "user" else b
        for b in message.content
    ]
    return Message(message.role, blocks)


async def test_agent_turn_with_a_tool_round_trip(llamacpp_url: str) -> None:
    agent = Agent(system="", transport=transport(llamacpp_url, max_tokens=40), tools=[WEATHER])
    completed: list[str] = []
    for city in ("Berlin", "Paris", "Tokyo", "Madrid", "Oslo"):
        events = [e async for e in agent.run_stream(f"What is the weather in {city}?", _PrefilledContext())]
        errors = [e.exception for e in events if isinstance(e, Error)]
        if errors:
            # The model strayed from the call syntax; llama.cpp reported it and the agent surfaced it.
            assert all(isinstance(x, InBandError) for x in errors), errors
            continue
        results = [e for e in events if isinstance(e, ToolResult)]
        assert [(r.name, r.input, r.is_error) for r in results] == [("get_weather", {"city": city}, False)]
        assert any(isinstance(e, TextDelta) for e in events[events.index(results[0]) :])
        end = events[-1]
        assert isinstance(end, SessionEndEvent) and end.stop_reason in (StopReason.end_turn, StopReason.max_tokens)
        assert end.total_usage.input_tokens > 0
        completed.append(city)
    assert completed, "no prompt completed a tool round trip"


async def test_wrong_key_is_an_authentication_error(llamacpp_url: str) -> None:
    with pytest.raises(AuthenticationError) as info:
        await collect(transport(llamacpp_url, api_key="sk-wrong").stream([Message("user", [TextBlock("hi")])], [], ""))
    assert info.value.status == 401 and info.value.message
    assert "sk-wrong" not in str(info.value)


async def test_fetch_models_lists_the_alias(llamacpp_url: str) -> None:
    assert "smollm2" in (await transport(llamacpp_url).fetch_models()).keys()


async def test_turns_back_to_back_never_land_on_a_connection_llamacpp_is_closing(llamacpp_url: str) -> None:
    """llama.cpp closes the connection after every stream while announcing keep-alive; with retries off,
    20 turns in a row through a one-connection pool all succeed (before: about half failed)."""
    async with TransportPool(limit=1) as pool:
        t = transport(llamacpp_url, pool=pool, max_tokens=4)
        for _ in range(20):
            events = await collect(t.stream([Message("user", [TextBlock("Hi.")])], [], ""))
            assert isinstance(events[-1], IterationEnd)


async def test_the_llamacpp_preset_lists_the_servers_model_and_answers(llamacpp_url: str) -> None:
    """OmniLlamaCpp as axio's loader opens it: the model the server serves is taken from its list, and
    a turn streams to the end."""
    from axio.transport import TransportEntry

    from axio_omni.presets import OmniLlamaCpp

    entry = TransportEntry.from_target("omni-llamacpp", OmniLlamaCpp)
    async with entry.open(session=None, base_url=llamacpp_url, api_key=API_KEY, temperature="0", seed="7") as t:
        assert t.spec.id == "smollm2" and list(t.models.keys()) == ["smollm2"]
        events = await collect(t.stream([Message("user", [TextBlock("Say hello.")])], [], ""))
    assert isinstance(events[-1], IterationEnd) and any(isinstance(e, TextDelta) for e in events)
