"""OpenTelemetry spans and metrics for axio-omni's calls, following the GenAI semantic conventions (the
``otel`` extra: ``opentelemetry-api`` only; the application brings its SDK and exporters).

On by default once a tracer or meter provider is set (``opentelemetry.trace.set_tracer_provider``,
``opentelemetry.metrics.set_meter_provider``), or explicitly with :func:`instrument`;
:func:`uninstrument` turns both off. One client span per call, named as the conventions say
(``chat gpt-4.1-mini``, ``embeddings text-embedding-3-small``), with ``gen_ai.provider.name``,
``gen_ai.operation.name``, the request and response models, the usage, ``server.address`` and
``server.port``, and ``error.type`` when the call fails; each retry is an event on it
(``axio_omni.retry``: attempt, wait, cause). The metrics are the conventions' client histograms:
``gen_ai.client.operation.duration``, ``gen_ai.client.token.usage`` and
``gen_ai.client.operation.time_to_first_chunk``.

Prompts and completions are recorded only when asked (``instrument(capture_content=True)``, or
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``), as ``gen_ai.input.messages``,
``gen_ai.system_instructions`` and ``gen_ai.output.messages``. Keys never are.

Nothing is imported or done while OpenTelemetry is not in use: :func:`tracer` returns None after one
lookup in ``sys.modules``, and the transports then take their plain path.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from axio.events import (
    IterationEnd,
    IterationStart,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolInputDelta,
    ToolUseStart,
)

from .calls import CallRecord, Retry, recording
from .telemetry_content import input_messages, output_messages

__all__ = [
    "Call",
    "Traced",
    "capturing",
    "input_messages",
    "instrument",
    "traced_call",
    "traced_stream",
    "tracer",
    "uninstrument",
]

_NAME = "axio_omni"
_CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
#: The conventions' bucket boundaries for durations (seconds) and token counts.
_SECONDS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
_TOKENS = [4.0**i for i in range(14)]


class _State:
    """What instrument() chose; None fields follow the global providers."""

    tracer: Any = None
    meters: Any = None
    chosen: bool | None = None  # True: instrument() was called; False: uninstrument() was
    capture: bool | None = None


_state = _State()


def instrument(tracer_provider: Any = None, meter_provider: Any = None, *, capture_content: bool = False) -> None:
    """Trace and measure every call, with these providers or the global ones. Needs ``opentelemetry-api``.

    ``capture_content`` records prompts and completions on the spans (off by default: they may hold
    personal data).
    """
    from opentelemetry import metrics, trace

    _state.tracer = (tracer_provider or trace.get_tracer_provider()).get_tracer(_NAME)
    _state.meters = _Meters((meter_provider or metrics.get_meter_provider()).get_meter(_NAME))
    _state.chosen, _state.capture = True, capture_content


def uninstrument() -> None:
    """Stop tracing and measuring, even with providers set."""
    _state.tracer, _state.meters, _state.chosen, _state.capture = None, None, False, None


def _is_real(provider: Any) -> bool:
    return type(provider).__name__ not in ("ProxyTracerProvider", "NoOpTracerProvider", "_ProxyMeterProvider")


def tracer() -> Any:
    """The tracer to record this call with, or None (the common, free case)."""
    if _state.tracer is not None or _state.chosen is False:
        return _state.tracer
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None  # never imported, so no provider can have been set
    provider = trace.get_tracer_provider()
    if not _is_real(provider):
        return None
    _state.tracer = provider.get_tracer(_NAME)
    return _state.tracer


def _meters() -> _Meters | None:
    if _state.meters is not None or _state.chosen is not None:
        return _state.meters  # type: ignore[no-any-return]
    metrics = sys.modules.get("opentelemetry.metrics")
    if metrics is None:
        return None
    provider = metrics.get_meter_provider()
    if not _is_real(provider) or type(provider).__name__ == "NoOpMeterProvider":
        return None
    _state.meters = _Meters(provider.get_meter(_NAME))
    return _state.meters  # type: ignore[no-any-return]


def capturing() -> bool:
    """Whether prompts and completions are recorded (the opt-in)."""
    if _state.capture is not None:
        return _state.capture
    return os.environ.get(_CAPTURE_ENV, "").strip().lower() in ("true", "1")


class _Meters:
    """The conventions' client histograms, made once per meter."""

    def __init__(self, meter: Any) -> None:
        self.duration = _histogram(meter, "gen_ai.client.operation.duration", "s", "GenAI operation duration", _SECONDS)
        self.tokens = _histogram(
            meter, "gen_ai.client.token.usage", "{token}", "Number of input and output tokens used", _TOKENS
        )
        self.first_chunk = _histogram(
            meter,
            "gen_ai.client.operation.time_to_first_chunk",
            "s",
            "Time to the first chunk of a streamed answer",
            _SECONDS,
        )


def _histogram(meter: Any, name: str, unit: str, description: str, buckets: list[float]) -> Any:
    """A histogram with the conventions' buckets; opentelemetry-api before 1.30 takes no such advice."""
    try:
        return meter.create_histogram(name, unit, description, explicit_bucket_boundaries_advisory=buckets)
    except TypeError:
        return meter.create_histogram(name, unit, description)


class Call(NamedTuple):
    """What a span says of the call before it is made."""

    operation: str
    model: str
    base_url: str
    #: Request attributes (``gen_ai.request.temperature``...); None values are left out.
    extra: Mapping[str, Any]
    #: The call's record, whose retries become span events (a stream makes its own).
    record: CallRecord | None = None


class Traced:
    """One call's span and what its metrics will say; transports add what the answer tells."""

    def __init__(self, call: Call, parent: Any = None) -> None:
        from opentelemetry.trace import SpanKind

        parts = urlsplit(call.base_url)
        self.common: dict[str, Any] = {
            "gen_ai.operation.name": call.operation,
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": call.model,
            "server.address": parts.hostname or "",
            "server.port": parts.port or (443 if parts.scheme in ("https", "wss") else 80),
        }
        attributes = {**self.common, **{k: v for k, v in call.extra.items() if v is not None}}
        self.span = tracer().start_span(
            f"{call.operation} {call.model}", context=parent, kind=SpanKind.CLIENT, attributes=attributes
        )
        self.started = time.perf_counter()
        self.usage: tuple[int, int] | None = None
        self.first_chunk: float | None = None
        self.retries = 0

    def arrived(self) -> None:
        """The first chunk of the answer is here (later calls change nothing)."""
        if self.first_chunk is None:
            self.first_chunk = time.perf_counter() - self.started
            self.span.set_attribute("gen_ai.response.time_to_first_chunk", self.first_chunk)

    def set(self, name: str, value: Any) -> None:
        if value is not None:
            self.span.set_attribute(name, value)

    def response_model(self, model: str | None) -> None:
        if model:
            self.span.set_attribute("gen_ai.response.model", model)
            self.common["gen_ai.response.model"] = model

    def used(self, input_tokens: int, output_tokens: int | None = None) -> None:
        self.span.set_attribute("gen_ai.usage.input_tokens", input_tokens)
        if output_tokens is not None:
            self.span.set_attribute("gen_ai.usage.output_tokens", output_tokens)
        self.usage = (input_tokens, output_tokens or 0)

    def retried(self, retry: Retry) -> None:
        """A retry as a span event, when it is decided."""
        self.retries += 1
        attributes = {"retry.attempt": retry.attempt, "retry.wait_s": retry.wait, "error.type": retry.error}
        if retry.status is not None:
            attributes["http.response.status_code"] = retry.status
        self.span.add_event("axio_omni.retry", attributes)

    def end(self, error: BaseException | None = None, record: CallRecord | None = None) -> None:
        """Close the span and record the metrics."""
        if record is not None and record.request_id:
            self.span.set_attribute("openai.request.id", record.request_id)
        if self.retries:
            self.span.set_attribute("http.request.resend_count", self.retries)
        measured = dict(self.common)
        if error is not None:
            _failed(self.span, error)
            measured["error.type"] = type(error).__name__
        self.span.end()
        meters = _meters()
        if meters is None:
            return
        meters.duration.record(time.perf_counter() - self.started, measured)
        if self.first_chunk is not None:
            meters.first_chunk.record(self.first_chunk, measured)
        if self.usage is not None and error is None:
            meters.tokens.record(self.usage[0], {**measured, "gen_ai.token.type": "input"})
            if self.usage[1]:
                meters.tokens.record(self.usage[1], {**measured, "gen_ai.token.type": "output"})


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
    events: AsyncIterator[StreamEvent], call: Call, prompt: Callable[[], dict[str, Any]] | None = None
) -> AsyncIterator[StreamEvent]:
    """``events`` inside one client span that records what the stream says of itself; ``prompt``
    gives the input content, asked for only when content is captured."""
    traced = Traced(call)
    if call.record is not None:
        call.record.listeners.append(traced.retried)
    capture = capturing()
    if capture and prompt is not None:
        for name, value in prompt().items():
            traced.set(name, json.dumps(value, ensure_ascii=False))
    said: list[StreamEvent] = []
    error: BaseException | None = None
    try:
        async for event in events:
            if traced.first_chunk is None and isinstance(event, (TextDelta, ReasoningDelta, ToolUseStart)):
                traced.arrived()
            if isinstance(event, IterationStart):
                traced.response_model(event.model)
                traced.set("gen_ai.response.id", event.id)
            elif isinstance(event, IterationEnd):
                traced.used(event.usage.input_tokens, event.usage.output_tokens)
                traced.span.set_attribute("gen_ai.response.finish_reasons", [event.raw or event.stop_reason.value])
            if capture and isinstance(event, (TextDelta, ToolUseStart, ToolInputDelta, IterationEnd)):
                said.append(event)
            yield event
    except GeneratorExit:
        raise
    except BaseException as exc:
        error = exc
        raise
    finally:
        if said:
            traced.set("gen_ai.output.messages", json.dumps(output_messages(said), ensure_ascii=False))
        traced.end(error, call.record)


@contextmanager
def traced_call(call: Call) -> Iterator[Traced]:
    """A client span around a call that is not a stream; every HTTP request inside it is recorded,
    its retries as span events. Yields the :class:`Traced` to add the answer's facts to."""
    traced = Traced(call)
    error: BaseException | None = None
    try:
        with recording(on_retry=traced.retried) as calls:
            yield traced
    except BaseException as exc:
        error = exc
        raise
    finally:
        traced.end(error, calls[-1] if calls else None)


@contextmanager
def span(call: Callable[[], Call]) -> Iterator[Traced | None]:
    """A span around a call when tracing is on (``call`` is asked for only then), else None."""
    if tracer() is None:
        yield None
        return
    with traced_call(call()) as traced:
        yield traced


async def traced_items[T](
    call: Call,
    items: Callable[[Callable[[Retry], None]], AsyncIterator[T]],
    finish: Callable[[Traced], None] | None = None,
) -> AsyncIterator[T]:
    """Streamed items (speech chunks, transcript pieces) in one span, opened at the first read:
    ``items(on_retry)`` makes them. Records the time to the first item; ``finish(traced)`` adds
    what the whole stream told, before the span ends (whether or not it ended well)."""
    traced = Traced(call)
    error: BaseException | None = None
    try:
        async for item in items(traced.retried):
            if traced.first_chunk is None:
                traced.arrived()
            yield item
    except GeneratorExit:
        raise
    except BaseException as exc:
        error = exc
        raise
    finally:
        if finish is not None:
            finish(traced)
        traced.end(error)


def traced_chunks(
    call: Call,
    chunks: Callable[[Callable[[Retry], None]], AsyncIterator[bytes]],
    seconds: Callable[[bytes, int], float | None],
    usage: Callable[[], Mapping[str, int] | None] | None = None,
) -> AsyncIterator[bytes]:
    """Streamed bytes (speech) in one span: :func:`traced_items` that also records the bytes, the
    audio's seconds as ``seconds(first_chunk, total_bytes)`` reckons them, and the ``usage`` the
    stream reported (``input_tokens``/``output_tokens``), if any."""
    first, total = b"", 0

    async def counted(on_retry: Callable[[Retry], None]) -> AsyncIterator[bytes]:
        nonlocal first, total
        async for chunk in chunks(on_retry):
            first = first or chunk
            total += len(chunk)
            yield chunk

    def finish(traced: Traced) -> None:
        traced.set("axio_omni.response.bytes", total)
        if first:
            traced.set("axio_omni.audio.seconds", seconds(first, total))
        said = usage() if usage is not None else None
        if said and "input_tokens" in said:
            traced.used(said["input_tokens"], said.get("output_tokens"))

    return traced_items(call, counted, finish)
