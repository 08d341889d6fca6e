"""OpenAITransport against the emulator: streaming, tools, retries, faults and validation."""

from __future__ import annotations

import json
import socket
from typing import Any

import aiohttp
import pytest
from axio.agent import Agent
from axio.blocks import TextBlock
from axio.context import MemoryContextStore
from axio.events import IterationEnd, IterationStart, TextDelta, ToolResult, ToolUseStart
from axio.messages import Message
from axio.tool import Tool
from axio.types import StopReason

from axio_omni import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InBandError,
    InternalServerError,
    MalformedResponseError,
    OpenAITransport,
    RateLimitError,
    RetryPolicy,
    RetryWaitTooLongError,
    StreamCutError,
    Timeouts,
)
from axio_omni.emulator import Emulator
from tests.helpers import collect, schema_errors

FAST = RetryPolicy(initial_delay=0.001, max_delay=0.01, max_retries=2)
HI = [Message("user", [TextBlock("hello there")])]


async def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"18 degrees and sunny in {city}"


WEATHER: Tool[Any] = Tool(name="get_weather", handler=get_weather, description="Current weather for a city.")


def transport(emu: Emulator, **kw: Any) -> OpenAITransport:
    return OpenAITransport(base_url=emu.base_url, model="emulator-1", retry=kw.pop("retry", FAST), **kw)


def text_of(events: list[Any]) -> str:
    return "".join(e.delta for e in events if isinstance(e, TextDelta))


async def test_streams_text_with_start_and_usage(emulator: Emulator) -> None:
    events = await collect(transport(emulator).stream(HI, [], "Be brief."))
    assert events[0] == IterationStart(iteration=0, id=events[0].id, model="emulator-1")  # type: ignore[union-attr]
    assert text_of(events) == "You said: hello there"
    end = events[-1]
    assert isinstance(end, IterationEnd) and end.stop_reason is StopReason.end_turn and end.raw == "stop"
    assert end.usage.input_tokens > 0 and end.usage.output_tokens > 0


async def test_what_we_send_validates_against_the_schema(emulator: Emulator) -> None:
    t = transport(emulator, temperature=0.3, max_tokens=50, seed=1, tool_choice="auto")
    await collect(t.stream(HI, [WEATHER], "sys"))
    (sent,) = emulator.state.requests
    assert schema_errors("CreateChatCompletionRequest", sent.body) == []
    assert sent.headers["Content-Type"] == "application/json" and "Authorization" not in sent.headers
    assert sent.headers["Accept"] == "text/event-stream"


async def test_key_is_sent_as_bearer(monkeypatch: pytest.MonkeyPatch) -> None:
    async with Emulator(api_key="sk-right") as emu:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-right")
        assert isinstance((await collect(transport(emu).stream(HI, [], "")))[-1], IterationEnd)
        with pytest.raises(AuthenticationError) as info:
            await collect(transport(emu, api_key="sk-wrong-key").stream(HI, [], ""))
    assert info.value.status == 401 and info.value.code == "invalid_api_key"
    assert "sk-wrong-key" not in str(info.value) and "sk-wrong-key" not in repr(info.value.__dict__)


async def test_tool_call_streams_and_agent_completes_the_round_trip(emulator: Emulator) -> None:
    agent = Agent(system="You help.", transport=transport(emulator), tools=[WEATHER])
    events = [e async for e in agent.run_stream("What is the weather in Paris? Use get_weather.", MemoryContextStore())]
    starts = [e for e in events if isinstance(e, ToolUseStart)]
    results = [e for e in events if isinstance(e, ToolResult)]
    assert [s.name for s in starts] == ["get_weather"]
    assert results[0].input == {"city": "Paris"} and "18 degrees" in results[0].content
    assert "The get_weather tool returned: 18 degrees and sunny in Paris" in text_of(events)
    second = emulator.state.requests[1].body
    assert [m["role"] for m in second["messages"]][-2:] == ["assistant", "tool"]
    for request in emulator.state.requests:
        assert schema_errors("CreateChatCompletionRequest", request.body) == []


async def test_retries_status_failures_then_succeeds(emulator: Emulator) -> None:
    emulator.fail_next("status=503", times=2)
    events = await collect(transport(emulator).stream(HI, [], ""))
    assert isinstance(events[-1], IterationEnd) and len(emulator.state.requests) == 3


async def test_honours_retry_after_ms(emulator: Emulator) -> None:
    emulator.fail_next("status=429;retry_after_ms=20")
    events = await collect(transport(emulator).stream(HI, [], ""))
    assert isinstance(events[-1], IterationEnd) and len(emulator.state.requests) == 2


async def test_gives_up_with_the_typed_error_after_max_retries(emulator: Emulator) -> None:
    emulator.fail_next("status=429;message=slow down", times=5)
    with pytest.raises(RateLimitError) as info:
        await collect(transport(emulator).stream(HI, [], ""))
    assert len(emulator.state.requests) == 3 and info.value.message == "slow down"
    assert info.value.request_id and info.value.request_id.startswith("req_")


async def test_refuses_to_sleep_longer_than_max_wait(emulator: Emulator) -> None:
    emulator.fail_next("status=429;retry_after=3600")
    with pytest.raises(RetryWaitTooLongError) as info:
        await collect(transport(emulator).stream(HI, [], ""))
    assert info.value.wait == 3600 and len(emulator.state.requests) == 1


async def test_x_should_retry_false_is_final(emulator: Emulator) -> None:
    emulator.fail_next("status=503;should_retry=false")
    with pytest.raises(InternalServerError):
        await collect(transport(emulator).stream(HI, [], ""))
    assert len(emulator.state.requests) == 1


@pytest.mark.parametrize("shape", ["string", "detail", "text"])
async def test_error_body_variants_reach_the_message(emulator: Emulator, shape: str) -> None:
    emulator.fail_next(f"status=400;body={shape};message=the model is not loaded")
    with pytest.raises(BadRequestError) as info:
        await collect(transport(emulator).stream(HI, [], ""))
    assert "the model is not loaded" in str(info.value) and getattr(info.value, "status", None) == 400


async def test_echoed_key_is_redacted(emulator: Emulator) -> None:
    secret = "sk-echoed-SECRET"
    t = transport(emulator, api_key=secret, headers={"X-Emulator-Fault": f"status=400;message=bad key {secret}"})
    with pytest.raises(BadRequestError) as info:
        await collect(t.stream(HI, [], ""))
    assert secret not in str(info.value) and "bad key ***" in str(info.value)
    assert secret not in json.dumps(info.value.__dict__, default=str)


async def test_connection_refused_is_retried_then_raised() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t = OpenAITransport(base_url=f"http://127.0.0.1:{port}/v1", retry=FAST)
    with pytest.raises(APIConnectionError) as info:
        await collect(t.stream(HI, [], ""))
    assert isinstance(info.value, OSError)


async def test_slow_first_byte_times_out_and_is_retried(emulator: Emulator) -> None:
    emulator.fail_next("delay=1.5")
    t = transport(emulator, timeouts=Timeouts(read=0.3))
    events = await collect(t.stream(HI, [], ""))
    assert isinstance(events[-1], IterationEnd) and len(emulator.state.requests) == 2


async def test_timeout_error_is_also_a_timeout_error(emulator: Emulator) -> None:
    emulator.fail_next("delay=0.5", times=3)
    with pytest.raises(TimeoutError):
        await collect(transport(emulator, timeouts=Timeouts(read=0.05)).stream(HI, [], ""))


@pytest.mark.parametrize("after", [0, 2])
async def test_dropped_stream_raises_and_is_never_retried(emulator: Emulator, after: int) -> None:
    emulator.fail_next(f"drop_after={after}")
    seen: list[Any] = []
    with pytest.raises(StreamCutError):
        async for event in transport(emulator).stream(HI, [], ""):
            seen.append(event)
    assert len(emulator.state.requests) == 1
    assert len(seen) == (0 if after == 0 else 2)


async def test_stall_mid_stream_is_a_timeout_not_a_retry(emulator: Emulator) -> None:
    emulator.fail_next("stall_after=2;stall=1")
    with pytest.raises(APITimeoutError):
        await collect(transport(emulator, timeouts=Timeouts(read=0.1)).stream(HI, [], ""))
    assert len(emulator.state.requests) == 1


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("malformed_after=2", MalformedResponseError),
        ("error_after=2", InBandError),
        ("error_after=2;error_event=true", InBandError),
        ("no_done=true", StreamCutError),
    ],
)
async def test_stream_faults_raise_typed_errors(emulator: Emulator, fault: str, error: type[Exception]) -> None:
    emulator.fail_next(fault)
    with pytest.raises(error):
        await collect(transport(emulator).stream(HI, [], ""))
    assert len(emulator.state.requests) == 1


async def test_deadline_bounds_a_call_that_keeps_failing(emulator: Emulator) -> None:
    emulator.fail_next("status=503", times=100)
    policy = RetryPolicy(initial_delay=0.02, max_delay=0.02, max_retries=100, deadline=1.0)
    with pytest.raises(APITimeoutError) as info:
        await collect(transport(emulator, retry=policy).stream(HI, [], ""))
    assert 2 <= len(emulator.state.requests) < 100
    # The last failure is kept: the server's 503, or the final attempt cut short by the deadline.
    assert isinstance(info.value.__cause__, (InternalServerError, APITimeoutError))


async def test_caller_may_stop_early_and_the_connection_is_released(emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as session:
        t = transport(emulator, session=session)
        stream = t.stream([Message("user", [TextBlock("one two three four five six")])], [], "")
        async for event in stream:
            if isinstance(event, TextDelta):
                break
        await stream.aclose()  # type: ignore[attr-defined]
        assert isinstance((await collect(t.stream(HI, [], "")))[-1], IterationEnd)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"temperature": 3}, "temperature"),
        ({"top_p": -1}, "top_p"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"base_url": "ftp://x"}, "base_url"),
        ({"base_url": "http://h/v1?x=1"}, "base_url"),
        ({"headers": {"Authorization": "Bearer x"}}, "headers"),
        ({"stop": ("a", "b", "c", "d", "e")}, "stop"),
        ({"extra_body": {"messages": []}}, "extra_body"),
        ({"extra_body": {"x": object()}}, "extra_body"),
        ({"reasoning_effort": "extreme"}, "reasoning_effort"),
        ({"model": ""}, "model"),
        ({"api_key": ""}, "api_key"),
        ({"pool": object()}, "pool"),
    ],
)
def test_bad_settings_fail_at_construction(kwargs: dict[str, Any], field: str) -> None:
    kwargs.setdefault("base_url", "http://127.0.0.1:9/v1")
    with pytest.raises(ConfigurationError, match=field):
        OpenAITransport(**kwargs)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("not a list", [], ""), "messages"),
        ((["not a message"], [], ""), "messages"),
        ((HI, "tools", ""), "tools"),
        ((HI, [], None), "system"),
        (([], [], ""), "messages"),
    ],
)
async def test_bad_arguments_fail_before_any_request(emulator: Emulator, args: tuple[Any, ...], field: str) -> None:
    with pytest.raises(ConfigurationError, match=field):
        transport(emulator).stream(*args)
    assert emulator.state.requests == []


def test_missing_key_for_openai_fails_before_the_request() -> None:
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        OpenAITransport().stream(HI, [], "")


async def test_fetch_models_and_with_model(emulator: Emulator) -> None:
    t = transport(emulator)
    models = await t.fetch_models()
    assert "emulator-1" in models.keys() and models["gpt-4.1-mini"].context_window > 100_000
    other = t.with_model("gpt-4.1-mini")
    assert other.spec.id == "gpt-4.1-mini" and t.spec.id == "emulator-1" and other.base_url == t.base_url


async def test_embedding_models_are_not_offered_as_chat_models(emulator: Emulator) -> None:
    models = await transport(emulator).fetch_models()
    assert "emulator-1" in models.keys()
    assert not [m for m in models.keys() if "embedding" in m]


async def test_the_loader_opens_a_transport_whose_server_is_down_and_it_recovers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """axio's TransportEntry.open calls fetch_models(); with the server down it opens on the packaged
    catalogue with a warning, and takes the live list once a turn succeeds."""
    from axio.transport import TransportEntry

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    entry = TransportEntry.from_target("omni", OpenAITransport)
    url = f"http://127.0.0.1:{port}/v1"
    async with aiohttp.ClientSession() as session:
        async with entry.open(session=session, base_url=url, model="emulator-1", retry=FAST) as t:
            assert "gpt-4.1-mini" in t.models.keys() and "emulator-1" not in t.models.keys()
            assert any("packaged catalogue" in r.getMessage() for r in caplog.records)
            with pytest.raises(APIConnectionError):
                await collect(t.stream(HI, [], ""))
            async with Emulator(port=port):
                assert isinstance((await collect(t.stream(HI, [], "")))[-1], IterationEnd)
            assert "emulator-1" in t.models.keys()


async def test_a_refused_key_still_fails_fetch_models() -> None:
    async with Emulator(api_key="sk-right-key-0000") as emu:
        with pytest.raises(AuthenticationError):
            await transport(emu, api_key="sk-wrong-key-0000").fetch_models()


def test_plugin_metadata_for_axio_loader() -> None:
    from axio.transport import TransportEntry

    entry = TransportEntry.from_target("omni", OpenAITransport)
    assert entry.display_name and entry.env_vars == ("OPENAI_API_KEY",) and entry.auth is None


async def test_plugin_loader_opens_it_with_a_session(emulator: Emulator) -> None:
    from axio.transport import TransportEntry

    entry = TransportEntry.from_target("omni", OpenAITransport)
    async with aiohttp.ClientSession() as session:
        async with entry.open(session=session, base_url=emulator.base_url, model="emulator-1") as t:
            assert isinstance(t, OpenAITransport) and t.session is session and "emulator-1" in t.models.keys()


async def test_a_silently_closed_connection_costs_a_retry_never_a_second_turn(emulator: Emulator) -> None:
    """The server closes each connection after its answer without saying so: a turn lost in such a
    connection is a retry under the policy (a turn is SAFE), and the server never sees a turn twice."""
    from axio_omni import TransportPool

    async with TransportPool(limit=1) as pool:
        t = transport(emulator, pool=pool)
        emulator.fail_next("close_after=true", times=3)
        for _ in range(3):
            assert isinstance((await collect(t.stream(HI, [], "")))[-1], IterationEnd)
    assert len(emulator.state.requests) == 3


async def test_a_session_that_raises_for_status_still_gets_typed_errors(emulator: Emulator) -> None:
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        emulator.fail_next("status=429;retry_after=0;message=slow")
        t = transport(emulator, session=session, retry=RetryPolicy.none())
        with pytest.raises(RateLimitError, match="slow"):
            await collect(t.stream(HI, [], ""))


def test_openai_base_url_and_key_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:7/v1/")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    t = OpenAITransport()
    assert t.base_url == "http://127.0.0.1:7/v1" and t.resolved_api_key() == "sk-env"
    assert "sk-env" not in json.dumps(t.to_dict())
