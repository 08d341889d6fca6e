"""OpenTelemetry spans for axio-omni's calls, following the GenAI semantic conventions (the ``otel``
extra: ``opentelemetry-api`` only; the application brings its SDK and exporter).

On by default once a tracer provider is set (``opentelemetry.trace.set_tracer_provider``), or
explicitly with :func:`instrument`; :func:`uninstrument` turns it off. One client span per call,
named as the conventions say (``chat gpt-4.1-mini``, ``embeddings text-embedding-3-small``), with
``gen_ai.provider.name``, ``gen_ai.operation.name``, ``gen_ai.request.model``,
``gen_ai.response.model``, ``gen_ai.response.id``, ``gen_ai.usage.input_tokens`` and
``output_tokens``, ``gen_ai.response.finish_reasons``, ``server.address``, ``server.port``, the
time to the first chunk, and ``error.type`` when the call fails. Prompts and completions are
never recorded.

Nothing is imported or done while OpenTelemetry is not in use: :func:`tracer` returns None after
one lookup in ``sys.modules``, and the transports then take their plain path.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from axio.events import IterationEnd, IterationStart, ReasoningDelta, StreamEvent, TextDelta, ToolUseStart

__all__ = ["instrument", "traced_call", "traced_stream", "tracer", "uninstrument"]

_NAME = "axio_omni"
#: The tracer in use: set by instrument(), or found once a tracer provider is set.
_tracer: Any = None
#: None: follow the global tracer provider; True: instrument() was called; False: uninstrument() was.
_chosen: bool | None = None


def instrument(tracer_provider: Any = None) -> None:
    """Trace every call, with ``tracer_provider`` or the global one. Needs ``opentelemetry-api``."""
    global _tracer, _chosen
    from opentelemetry import trace

    provider = tracer_provider or trace.get_tracer_provider()
    _tracer, _chosen = provider.get_tracer(_NAME), True


def uninstrument() -> None:
    """Stop tracing, even with a tracer provider set."""
    global _tracer, _chosen
    _tracer, _chosen = None, False


def tracer() -> Any:
    """The tracer to record this call with, or None (the common, free case)."""
    global _tracer
    if _tracer is not None or _chosen is False:
        return _tracer
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None  # never imported, so no provider can have been set
    provider = trace.get_tracer_provider()
    if type(provider).__name__ in ("ProxyTracerProvider", "NoOpTracerProvider"):
        return None
    _tracer = provider.get_tracer(_NAME)
    return _tracer


def _attributes(operation: str, model: str, base_url: str, extra: Mapping[str, Any]) -> dict[str, Any]:
    parts = urlsplit(base_url)
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": operation,
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "server.address": parts.hostname or "",
        "server.port": parts.port or (443 if parts.scheme in ("https", "wss") else 80),
    }
    attributes.update((k, v) for k, v in extra.items() if v is not None)
    return attributes


def _failed(span: Any, error: BaseException) -> None:
    from opentelemetry.trace import StatusCode

    span.set_attribute("error.type", type(error).__name__)
    status = getattr(error, "status", None)
    if isinstance(status, int):
        span.set_attribute("http.response.status_code", status)
    request_id = getattr(error, "request_id", None)
    if isinstance(request_id, str):
        span.set_attribute("openai.request.id", request_id)
    span.set_status(StatusCode.ERROR, type(error).__name__)


async def traced_stream(
    events: AsyncIterator[StreamEvent], operation: str, model: str, base_url: str, extra: Mapping[str, Any]
) -> AsyncIterator[StreamEvent]:
    """``events`` inside one client span that records what the stream says of itself."""
    from opentelemetry.trace import SpanKind

    span = tracer().start_span(
        f"{operation} {model}", kind=SpanKind.CLIENT, attributes=_attributes(operation, model, base_url, extra)
    )
    started, first = time.perf_counter(), True
    try:
        async for event in events:
            if first and isinstance(event, (TextDelta, ReasoningDelta, ToolUseStart)):
                span.set_attribute("gen_ai.response.time_to_first_chunk", time.perf_counter() - started)
                first = False
            elif isinstance(event, IterationStart):
                if event.model:
                    span.set_attribute("gen_ai.response.model", event.model)
                if event.id:
                    span.set_attribute("gen_ai.response.id", event.id)
            elif isinstance(event, IterationEnd):
                span.set_attribute("gen_ai.usage.input_tokens", event.usage.input_tokens)
                span.set_attribute("gen_ai.usage.output_tokens", event.usage.output_tokens)
                span.set_attribute("gen_ai.response.finish_reasons", [event.raw or event.stop_reason.value])
            yield event
    except GeneratorExit:
        raise
    except BaseException as error:
        _failed(span, error)
        raise
    finally:
        span.end()


@contextmanager
def traced_call(operation: str, model: str, base_url: str, extra: Mapping[str, Any]) -> Iterator[Any]:
    """A client span around a call that is not a stream; yields the span to add its results to."""
    from opentelemetry.trace import SpanKind

    span = tracer().start_span(
        f"{operation} {model}", kind=SpanKind.CLIENT, attributes=_attributes(operation, model, base_url, extra)
    )
    try:
        yield span
    except BaseException as error:
        _failed(span, error)
        raise
    finally:
        span.end()
