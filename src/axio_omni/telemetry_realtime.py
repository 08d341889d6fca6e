"""A realtime session as one OpenTelemetry span, and each of its turns as a child span (``telemetry.py``
holds the rest: the tracer, the conventions' attributes and metrics)."""

from __future__ import annotations

from axio.events import AudioOutputDelta, ProviderEvent, StreamEvent, TranscriptDelta, TurnComplete

from .telemetry import Call, Traced, tracer

__all__ = ["SessionTrace", "session_trace"]


class SessionTrace:
    """A realtime session as one span, and each of its turns (``response.created`` to ``TurnComplete``)
    as a child span with its usage, stop reason and time to the first audio or text."""

    def __init__(self, call: Call) -> None:
        self.session = Traced(call)
        self.model, self.base_url = call.model, call.base_url
        self.turn: Traced | None = None
        self.turns = 0

    def saw(self, events: list[StreamEvent]) -> None:
        """The events one server message became."""
        for event in events:
            if isinstance(event, ProviderEvent):
                if event.kind == "response.created":
                    self._start_turn()
                elif event.kind == "session.reconnected":
                    self.session.span.add_event("axio_omni.reconnect", {"reason": str(event.data.get("reason", ""))})
            elif self.turn is not None:
                if isinstance(event, TurnComplete):
                    if event.usage is not None:
                        self.turn.used(event.usage.input_tokens, event.usage.output_tokens)
                    self.turn.span.set_attribute("gen_ai.response.finish_reasons", [event.stop_reason.value])
                    self.turn.end()
                    self.turn = None
                elif self.turn.first_chunk is None and isinstance(event, (AudioOutputDelta, TranscriptDelta)):
                    self.turn.arrived()

    def _start_turn(self) -> None:
        from opentelemetry import trace

        if self.turn is not None:
            self.turn.end()
        self.turns += 1
        call = Call("chat", self.model, self.base_url, {})
        self.turn = Traced(call, parent=trace.set_span_in_context(self.session.span))

    def end(self, error: BaseException | None = None) -> None:
        """The session closed (with ``error`` when it failed); an open turn ends with it."""
        if self.turn is not None:
            self.turn.end(error)
            self.turn = None
        self.session.set("axio_omni.turns", self.turns)
        self.session.end(error)


def session_trace(model: str, base_url: str) -> SessionTrace | None:
    """A realtime session's trace when tracing is on, else None."""
    if tracer() is None:
        return None
    return SessionTrace(Call("realtime", model, base_url, {}))
