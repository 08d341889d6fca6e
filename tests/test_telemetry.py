"""OpenTelemetry spans per call, checked with the SDK's in-memory exporter against the emulator."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from axio.blocks import TextBlock
from axio.events import TurnComplete
from axio.messages import Message
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from axio_omni import (
    BadRequestError,
    OpenAIEmbeddingTransport,
    OpenAIImageTransport,
    OpenAIRealtimeTransport,
    OpenAIResponsesTransport,
    OpenAISTTTransport,
    OpenAITransport,
    OpenAITTSTransport,
    RateLimitError,
    RetryPolicy,
    telemetry,
)
from axio_omni.emulator import Emulator

from .helpers import collect

HI = [Message("user", [TextBlock("hello there")])]
SECRET = "sk-telemetry-secret-000"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.instrument(provider)
    yield exporter
    telemetry.uninstrument()
    telemetry._state = telemetry._State()  # back to following the global providers


def attrs_of(item: Any) -> dict[str, Any]:
    """A span's or an event's attributes, typed loosely for the assertions."""
    return dict(item.attributes or {})


def attributes(exporter: InMemorySpanExporter) -> list[tuple[str, dict[str, Any]]]:
    return [(s.name, attrs_of(s)) for s in exporter.get_finished_spans()]


async def test_a_chat_turn_is_one_client_span_with_the_genai_attributes(
    emulator: Emulator, spans: InMemorySpanExporter
) -> None:
    t = OpenAITransport(base_url=emulator.base_url, model="emulator-1", api_key=SECRET, temperature=0.2)
    await collect(t.stream(HI, [], "be brief"))
    ((name, attrs),) = attributes(spans)
    assert name == "chat emulator-1" and spans.get_finished_spans()[0].kind is SpanKind.CLIENT
    assert attrs["gen_ai.operation.name"] == "chat" and attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == "emulator-1" and attrs["gen_ai.response.model"] == "emulator-1"
    assert attrs["gen_ai.request.temperature"] == 0.2 and attrs["gen_ai.response.id"].startswith("chatcmpl-")
    assert attrs["gen_ai.usage.input_tokens"] > 0 and attrs["gen_ai.usage.output_tokens"] > 0
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",) and attrs["gen_ai.response.time_to_first_chunk"] > 0
    assert (attrs["server.address"], attrs["server.port"]) == ("127.0.0.1", emulator.port)
    recorded = repr(spans.get_finished_spans()[0].to_json())
    assert "hello there" not in recorded and "be brief" not in recorded and SECRET not in recorded


async def test_responses_and_embeddings_are_spans_too(emulator: Emulator, spans: InMemorySpanExporter) -> None:
    await collect(OpenAIResponsesTransport(base_url=emulator.base_url, model="gpt-4.1-mini").stream(HI, [], ""))
    emb = OpenAIEmbeddingTransport(base_url=emulator.base_url, model="text-embedding-3-small")
    await emb.embed(["one", "two"])
    (chat, chat_attrs), (embeddings, emb_attrs) = attributes(spans)
    assert chat == "chat gpt-4.1-mini" and chat_attrs["gen_ai.response.id"].startswith("resp_")
    assert embeddings == "embeddings text-embedding-3-small" and emb_attrs["gen_ai.operation.name"] == "embeddings"
    assert emb_attrs["gen_ai.usage.input_tokens"] > 0 and emb_attrs["axio_omni.requests"] == 1
    assert emb_attrs["gen_ai.response.model"] == "text-embedding-3-small"  # as chat spans have it


async def test_a_failed_call_says_its_error_type_status_and_request_id(
    emulator: Emulator, spans: InMemorySpanExporter
) -> None:
    emulator.fail_next("status=429", times=3)
    t = OpenAITransport(base_url=emulator.base_url, model="emulator-1", retry=RetryPolicy(max_retries=0))
    with pytest.raises(RateLimitError):
        await collect(t.stream(HI, [], ""))
    (span,) = spans.get_finished_spans()
    attrs: dict[str, Any] = attrs_of(span)
    assert attrs["error.type"] == "RateLimitError" and attrs["http.response.status_code"] == 429
    assert attrs["openai.request.id"].startswith("req_") and span.status.status_code is StatusCode.ERROR


async def test_off_unless_a_provider_is_set_or_instrument_is_called(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert telemetry.tracer() is None  # the global provider is OpenTelemetry's no-op proxy
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    try:
        await collect(OpenAITransport(base_url=emulator.base_url, model="emulator-1").stream(HI, [], ""))
        assert [s.name for s in exporter.get_finished_spans()] == ["chat emulator-1"]
        telemetry.uninstrument()
        await collect(OpenAITransport(base_url=emulator.base_url, model="emulator-1").stream(HI, [], ""))
        assert len(exporter.get_finished_spans()) == 1
    finally:
        telemetry._state = telemetry._State()


# ── retries, metrics, content, and every modality ───────────────────────────────────────────────


@pytest.fixture
def meters() -> Iterator[Any]:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    reader = InMemoryMetricReader()
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.instrument(provider, MeterProvider(metric_readers=[reader]))
    yield reader, exporter
    telemetry.uninstrument()
    telemetry._state = telemetry._State()


def points(reader: Any) -> dict[str, list[Any]]:
    data = reader.get_metrics_data()
    out: dict[str, list[Any]] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                out.setdefault(metric.name, []).extend(metric.data.data_points)
    return out


async def test_each_retry_is_an_event_with_its_wait_and_cause(emulator: Emulator, spans: InMemorySpanExporter) -> None:
    emulator.fail_next("status=503", times=2)
    t = OpenAITransport(base_url=emulator.base_url, model="emulator-1", retry=RetryPolicy(initial_delay=0.01))
    await collect(t.stream(HI, [], ""))
    (span,) = spans.get_finished_spans()
    retries = [e for e in span.events if e.name == "axio_omni.retry"]
    assert [attrs_of(e)["retry.attempt"] for e in retries] == [1, 2]
    assert all(attrs_of(e)["http.response.status_code"] == 503 for e in retries)
    assert all(attrs_of(e)["error.type"] == "InternalServerError" for e in retries)
    assert all(0 < attrs_of(e)["retry.wait_s"] <= 0.02 for e in retries)
    assert attrs_of(span)["http.request.resend_count"] == 2
    assert attrs_of(span)["openai.request.id"].startswith("req_")


async def test_the_conventions_metrics_are_recorded(emulator: Emulator, meters: Any) -> None:
    reader, _ = meters
    await collect(OpenAITransport(base_url=emulator.base_url, model="emulator-1").stream(HI, [], ""))
    await OpenAIEmbeddingTransport(base_url=emulator.base_url, model="text-embedding-3-small").embed(["a", "b"])
    got = points(reader)
    durations = {p.attributes["gen_ai.operation.name"]: p for p in got["gen_ai.client.operation.duration"]}
    assert set(durations) == {"chat", "embeddings"} and all(p.count == 1 and p.sum > 0 for p in durations.values())
    assert durations["chat"].attributes["gen_ai.response.model"] == "emulator-1"
    assert durations["chat"].attributes["server.port"] == emulator.port
    tokens = {
        (p.attributes["gen_ai.operation.name"], p.attributes["gen_ai.token.type"])
        for p in got["gen_ai.client.token.usage"]
    }
    assert tokens == {("chat", "input"), ("chat", "output"), ("embeddings", "input")}
    (first,) = got["gen_ai.client.operation.time_to_first_chunk"]
    assert first.attributes["gen_ai.operation.name"] == "chat" and first.sum > 0


async def test_a_failed_call_is_measured_with_its_error_type(emulator: Emulator, meters: Any) -> None:
    reader, _ = meters
    emulator.fail_next("status=400")
    with pytest.raises(BadRequestError):
        await collect(OpenAITransport(base_url=emulator.base_url, model="emulator-1").stream(HI, [], ""))
    (point,) = points(reader)["gen_ai.client.operation.duration"]
    assert point.attributes["error.type"] == "BadRequestError"
    assert "gen_ai.client.token.usage" not in points(reader)


async def test_content_is_recorded_only_when_asked(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    t = OpenAITransport(base_url=emulator.base_url, model="emulator-1")
    try:
        telemetry.instrument(provider, capture_content=True)
        await collect(t.stream(HI, [], "be brief"))
        telemetry.instrument(provider)
        monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
        await collect(t.stream(HI, [], "be brief"))  # instrument() chose: the variable is not asked
        telemetry._state = telemetry._State()
        monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
        await collect(t.stream(HI, [], "be brief"))  # following the globals: the variable decides
    finally:
        telemetry.uninstrument()
        telemetry._state = telemetry._State()
    asked, plain, by_env = (attrs_of(s) for s in exporter.get_finished_spans())
    assert json.loads(asked["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "hello there"}]}
    ]
    assert json.loads(asked["gen_ai.system_instructions"]) == [{"type": "text", "content": "be brief"}]
    (answer,) = json.loads(asked["gen_ai.output.messages"])
    assert answer["role"] == "assistant" and answer["finish_reason"] == "stop" and answer["parts"][0]["content"]
    assert not any(k in plain for k in ("gen_ai.input.messages", "gen_ai.output.messages"))
    assert "gen_ai.input.messages" in by_env


async def test_speech_transcription_and_images_are_spans(emulator: Emulator, spans: InMemorySpanExporter) -> None:
    tts = OpenAITTSTransport(base_url=emulator.base_url, model="tts-1", response_format="pcm")
    audio = b"".join([c async for c in tts.synthesize("Hello from the span test.")])
    wav = OpenAITTSTransport(base_url=emulator.base_url, model="tts-1", response_format="wav")
    await wav.synthesize_array("Hello again.")
    stt = OpenAISTTTransport(base_url=emulator.base_url, model="whisper-1")
    await stt.transcribe(audio, "audio/pcm;rate=24000")
    images = OpenAIImageTransport(base_url=emulator.base_url, model="gpt-image-1")
    await images.generate_images("a red square", n=2)
    (speech, a1), (speech2, a2), (heard, a3), (drawn, a4) = attributes(spans)
    assert speech == "generate_content tts-1" and a1["gen_ai.output.type"] == "speech"
    assert a1["axio_omni.audio.seconds"] == pytest.approx(len(audio) / 2 / 24000)
    assert a1["gen_ai.response.time_to_first_chunk"] > 0 and a1["axio_omni.response.bytes"] == len(audio)
    assert speech2 == speech and a2["axio_omni.audio.seconds"] > 0.5
    assert heard == "transcription whisper-1" and a3["axio_omni.audio.seconds"] == pytest.approx(len(audio) / 48000)
    assert drawn == "generate_content gpt-image-1" and a4["gen_ai.output.type"] == "image"
    assert a4["axio_omni.images"] == 2 and a4["gen_ai.usage.input_tokens"] > 0


async def test_a_realtime_session_is_a_span_with_its_turns_as_children(
    emulator: Emulator, spans: InMemorySpanExporter
) -> None:
    t = OpenAIRealtimeTransport(base_url=emulator.base_url, api_key="sk-rt", input_noise_reduction=None)
    session = await t.connect(system="", tools=[])
    try:
        for text in ("Hello.", "Again."):
            await session.send(TextBlock(text=text))
            await session.commit()
            async with asyncio.timeout(20):
                async for event in session.events():
                    if isinstance(event, TurnComplete):
                        break
    finally:
        await session.close()
    finished = spans.get_finished_spans()
    (root,) = [s for s in finished if s.parent is None]
    turns = [s for s in finished if s.parent is not None]
    assert root.name == "realtime gpt-realtime" and attrs_of(root)["axio_omni.turns"] == 2
    assert [s.name for s in turns] == ["chat gpt-realtime"] * 2
    assert all(s.parent is not None and s.parent.span_id == root.context.span_id for s in turns)
    assert all(attrs_of(s)["gen_ai.usage.output_tokens"] > 0 for s in turns)
    assert all(attrs_of(s)["gen_ai.response.time_to_first_chunk"] > 0 for s in turns)


async def test_streamed_speech_and_transcripts_report_their_usage(
    emulator: Emulator, spans: InMemorySpanExporter
) -> None:
    tts = OpenAITTSTransport(base_url=emulator.base_url, model="gpt-4o-mini-tts", response_format="wav")
    sse = OpenAITTSTransport(
        base_url=emulator.base_url, model="gpt-4o-mini-tts", response_format="wav", stream_format="sse"
    )
    audio = b"".join([c async for c in sse.synthesize("Usage from the stream.")])
    assert audio == b"".join([c async for c in tts.synthesize("Usage from the stream.")])
    stt = OpenAISTTTransport(base_url=emulator.base_url, model="gpt-4o-transcribe")
    stream = stt.transcribe_stream(audio)
    assert "".join([p async for p in stream]) == "Usage from the stream."
    (spoken, a1), (_, a2), (heard, a3) = attributes(spans)
    assert spoken == "generate_content gpt-4o-mini-tts" and a1["gen_ai.usage.output_tokens"] > 0
    assert "gen_ai.usage.input_tokens" not in a2  # raw audio reports no usage
    assert heard == "transcription gpt-4o-transcribe" and a3["gen_ai.response.time_to_first_chunk"] > 0
    assert stream.usage is not None and a3["gen_ai.usage.input_tokens"] == stream.usage.input_tokens
    assert a3["axio_omni.audio.seconds"] > 1
