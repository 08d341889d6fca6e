"""What each HTTP call did, without OpenTelemetry: its request id, its attempts, each retry's cause and
wait, and when its answer started and ended.

A streamed turn reports its record as its last event, ``ProviderEvent("axio-omni", "call", data)``
(axio's agent ignores provider events it does not know). Any call, streamed or not, is recorded
inside :func:`recording`::

    with recording() as calls:
        await embedder.embed(texts)
    print(calls[-1].request_id, calls[-1].attempts, calls[-1].retries)

A failed call's error carries the same facts (``status``, ``request_id``, ``attempts``).
Nothing is recorded, and nothing costs, outside :func:`recording` unless a transport asks for a
record itself (a stream does, to report it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CallRecord", "Retry", "recording", "start_call", "watched_call"]


@dataclass(frozen=True, slots=True)
class Retry:
    """One failed attempt that was sent again."""

    #: Which attempt failed, from 1.
    attempt: int
    #: The error's type name (``RateLimitError``) and its message, which never holds a key.
    error: str
    message: str
    status: int | None
    #: Seconds waited before the next attempt.
    wait: float


@dataclass(slots=True, eq=False)
class CallRecord:
    """One call's facts; times are seconds from the call's start (``time.monotonic``)."""

    #: How errors and logs name the call: ``chat completion (gpt-4.1-mini)``.
    what: str
    started: float = field(default_factory=time.monotonic)
    attempts: int = 0
    retries: list[Retry] = field(default_factory=list)
    status: int | None = None
    request_id: str | None = None
    #: Until the answer's status line and headers arrived, retries and waits included.
    response_s: float | None = None
    #: Until the call ended, its body read to the end or its failure raised.
    duration_s: float | None = None
    #: The error type that ended the call, if one did.
    error: str | None = None
    #: Tokens the answer reported where the call has no event of its own to carry them (speech as
    #: SSE: ``input_tokens``, ``output_tokens``, ``total_tokens``).
    usage: dict[str, int] | None = None
    #: Told of each retry as it is decided (a span's event; a caller's log).
    listeners: list[Callable[[Retry], None]] = field(default_factory=list, repr=False)

    def retried(self, error: Any, attempt: int, wait: float) -> None:
        """Attempt ``attempt`` failed with ``error``, and is sent again after ``wait`` seconds."""
        retry = Retry(attempt, type(error).__name__, str(error), getattr(error, "status", None), wait)
        self.retries.append(retry)
        for listener in self.listeners:
            listener(retry)

    def responded(self, status: int, request_id: str | None, attempts: int) -> None:
        """The answer started: its status and the server's ``x-request-id``."""
        self.status, self.request_id, self.attempts = status, request_id, attempts
        self.response_s = time.monotonic() - self.started

    def finished(self, error: BaseException | None = None) -> None:
        """The call ended, with ``error`` if it failed (whose status, request id and attempts are kept)."""
        self.duration_s = time.monotonic() - self.started
        if error is not None:
            self.error = type(error).__name__
            self.status = getattr(error, "status", None) or self.status
            self.request_id = getattr(error, "request_id", None) or self.request_id
            self.attempts = getattr(error, "attempts", None) or self.attempts

    def as_dict(self) -> dict[str, Any]:
        """The record as plain JSON values, as the ``call`` provider event carries it."""
        return {
            "what": self.what,
            "request_id": self.request_id,
            "status": self.status,
            "attempts": self.attempts,
            "retries": [
                {"attempt": r.attempt, "error": r.error, "message": r.message, "status": r.status, "wait": r.wait}
                for r in self.retries
            ],
            "response_s": self.response_s,
            "duration_s": self.duration_s,
            "error": self.error,
            "usage": self.usage,
        }


@dataclass(slots=True)
class _Recording:
    calls: list[CallRecord]
    listener: Callable[[Retry], None] | None
    outer: _Recording | None


_current: ContextVar[_Recording | None] = ContextVar("axio_omni_recording", default=None)


@contextmanager
def recording(on_retry: Callable[[Retry], None] | None = None) -> Iterator[list[CallRecord]]:
    """Record every call started inside the block (tasks it starts included) into the list it yields.

    ``on_retry`` is told of each retry as it is decided. Recordings nest; each sees its calls.
    """
    calls: list[CallRecord] = []
    token = _current.set(_Recording(calls, on_retry, _current.get()))
    try:
        yield calls
    finally:
        _current.reset(token)


def start_call(what: str) -> CallRecord:
    """A new record, joined to every recording around this point."""
    record = CallRecord(what)
    active = _current.get()
    while active is not None:
        active.calls.append(record)
        if active.listener is not None:
            record.listeners.append(active.listener)
        active = active.outer
    return record


def watched_call(what: str, on_retry: Callable[[Retry], None] | None = None) -> CallRecord | None:
    """A record when a recording is open or ``on_retry`` wants to hear of retries, else None (the
    free, common case)."""
    if on_retry is None:
        return None if _current.get() is None else start_call(what)
    record = start_call(what)
    record.listeners.append(on_retry)
    return record
