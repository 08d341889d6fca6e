"""Every call's request id, attempts and timings without OpenTelemetry: on a stream's events, and in
``calls.recording()`` for any call."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from axio.blocks import TextBlock
from axio.events import IterationEnd, ProviderEvent
from axio.messages import Message

from axio_omni import OpenAIEmbeddingTransport, OpenAIResponsesTransport, OpenAITransport, RetryPolicy
from axio_omni.calls import CallRecord, recording
from axio_omni.emulator import Emulator
from axio_omni.errors import BadRequestError

from .helpers import collect

HI = [Message("user", [TextBlock("hello")])]
FAST = RetryPolicy(initial_delay=0.01, max_delay=0.01)


def call_event(events: Sequence[object]) -> dict[str, Any]:
    (event,) = [e for e in events if isinstance(e, ProviderEvent) and e.provider == "axio-omni"]
    assert isinstance(event, ProviderEvent) and event.kind == "call"
    return event.data


async def test_a_stream_reports_its_call_right_before_iteration_end(emulator: Emulator) -> None:
    emulator.fail_next("status=429", times=2)
    events = await collect(
        OpenAITransport(base_url=emulator.base_url, model="emulator-1", retry=FAST).stream(HI, [], "")
    )
    assert isinstance(events[-1], IterationEnd) and isinstance(events[-2], ProviderEvent)
    data = call_event(events)
    assert data["what"] == "chat completion (emulator-1)" and data["status"] == 200
    assert isinstance(data["request_id"], str) and data["request_id"].startswith("req_")
    assert data["attempts"] == 3 and data["error"] is None
    retries = data["retries"]
    assert isinstance(retries, list) and [(r["attempt"], r["status"], r["error"]) for r in retries] == [
        (1, 429, "RateLimitError"),
        (2, 429, "RateLimitError"),
    ]
    assert 0 < data["response_s"] <= data["duration_s"]


async def test_the_responses_endpoint_reports_its_call_too(emulator: Emulator) -> None:
    events = await collect(
        OpenAIResponsesTransport(base_url=emulator.base_url, model="gpt-4.1-mini").stream(HI, [], "")
    )
    assert call_event(events)["attempts"] == 1 and isinstance(events[-1], IterationEnd)


async def test_recording_sees_every_call_and_its_failures(emulator: Emulator) -> None:
    embedder = OpenAIEmbeddingTransport(base_url=emulator.base_url, model="text-embedding-3-small", retry=FAST)
    chat = OpenAITransport(base_url=emulator.base_url, model="emulator-1", retry=FAST)
    heard: list[int] = []
    with recording(on_retry=lambda r: heard.append(r.attempt)) as calls:
        emulator.fail_next("status=500")
        await embedder.embed(["a", "b"])
        await collect(chat.stream(HI, [], ""))
        emulator.fail_next("status=400")
        with pytest.raises(BadRequestError) as refused:
            await embedder.embed(["c"])
    first, streamed, failed = calls
    assert isinstance(first, CallRecord) and first.attempts == 2 and first.status == 200 and heard == [1]
    assert first.request_id and first.duration_s is not None and first.duration_s >= (first.response_s or 0)
    assert streamed.what.startswith("chat completion") and streamed.request_id
    assert failed.error == "BadRequestError" and failed.status == 400 and failed.attempts == 1
    assert failed.request_id == refused.value.request_id is not None


async def test_recordings_nest_follow_tasks_and_cost_nothing_outside(emulator: Emulator) -> None:
    embedder = OpenAIEmbeddingTransport(base_url=emulator.base_url, model="text-embedding-3-small")
    with recording() as outer:
        with recording() as inner:
            await asyncio.gather(*(embedder.embed([str(i)]) for i in range(3)))
        await embedder.embed(["after"])
    assert len(inner) == 3 and len(outer) == 4 and outer[:3] == inner
    await embedder.embed(["unwatched"])
    assert len(outer) == 4
