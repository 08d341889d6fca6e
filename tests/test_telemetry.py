"""OpenTelemetry spans per call, checked with the SDK's in-memory exporter against the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axio.blocks import TextBlock
from axio.messages import Message
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from axio_omni import (
    OpenAIEmbeddingTransport,
    OpenAIResponsesTransport,
    OpenAITransport,
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


def attributes(exporter: InMemorySpanExporter) -> list[tuple[str, dict[str, Any]]]:
    return [(s.name, dict(s.attributes or {})) for s in exporter.get_finished_spans()]


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


async def test_a_failed_call_says_its_error_type_status_and_request_id(
    emulator: Emulator, spans: InMemorySpanExporter
) -> None:
    emulator.fail_next("status=429", times=3)
    t = OpenAITransport(base_url=emulator.base_url, model="emulator-1", retry=RetryPolicy(max_retries=0))
    with pytest.raises(RateLimitError):
        await collect(t.stream(HI, [], ""))
    (span,) = spans.get_finished_spans()
    attrs: dict[str, Any] = dict(span.attributes or {})
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
