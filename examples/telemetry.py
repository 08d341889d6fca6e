"""What each call did, offline: the call record on a stream, ``calls.recording()`` for any call, and
the same facts as OpenTelemetry spans and metrics (the ``otel`` extra and ``opentelemetry-sdk``)::

    python examples/telemetry.py

The emulator refuses the first two requests with 429, so the records and the span show the retries.
"""

from __future__ import annotations

import asyncio

from axio.blocks import TextBlock
from axio.events import ProviderEvent
from axio.messages import Message
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from axio_omni import OpenAIEmbeddingTransport, OpenAITransport, RetryPolicy, telemetry
from axio_omni.calls import recording
from axio_omni.emulator import Emulator

QUESTION = [Message("user", [TextBlock("What is a token bucket?")])]


async def main() -> None:
    spans, metrics = InMemorySpanExporter(), InMemoryMetricReader()
    tracing = TracerProvider()
    tracing.add_span_processor(SimpleSpanProcessor(spans))
    telemetry.instrument(tracing, MeterProvider(metric_readers=[metrics]))
    async with Emulator() as emu:
        chat = OpenAITransport(base_url=emu.base_url, model="emulator-1", retry=RetryPolicy(initial_delay=0.05))
        embedder = OpenAIEmbeddingTransport(base_url=emu.base_url, model="text-embedding-3-small")
        emu.fail_next("status=429", times=2)
        async for event in chat.stream(QUESTION, [], "Be brief."):
            if isinstance(event, ProviderEvent) and event.provider == "axio-omni" and event.kind == "call":
                call = event.data
                waits = ", ".join(f"{r['status']} then {r['wait']:.2f}s" for r in call["retries"])
                print(f"stream> {call['what']}: {call['attempts']} attempts ({waits}), request id {call['request_id']}")
                print(f"        answer started after {call['response_s']:.3f}s, ended after {call['duration_s']:.3f}s")
        with recording() as calls:
            await embedder.embed(["token", "bucket"])
        for record in calls:
            print(f"record> {record.what}: status {record.status}, request id {record.request_id}")
    for span in spans.get_finished_spans():
        attributes = dict(span.attributes or {})
        retries = [dict(e.attributes or {}) for e in span.events if e.name == "axio_omni.retry"]
        print(
            f"span>   {span.name}: {attributes.get('gen_ai.usage.input_tokens')} input tokens, {len(retries)} retries"
        )
    data = metrics.get_metrics_data()
    resources = data.resource_metrics if data is not None else []
    names = sorted({m.name for r in resources for s in r.scope_metrics for m in s.metrics})
    print(f"metrics> {', '.join(names)}")
    telemetry.uninstrument()


if __name__ == "__main__":
    asyncio.run(main())
