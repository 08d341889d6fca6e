"""Scriptable faults for the emulator: per request (a header) and per server (a queue).

A fault is written as ``key=value`` pairs separated by ``;``, in the ``X-Emulator-Fault`` header or
as :meth:`Fault.parse` input. Each key belongs to one of four parts, read the same way by every
endpoint:

Transport faults (:class:`TransportFault`), before any answer::

    status=429;retry_after=2            a 429 with Retry-After: 2
    status=503;retry_after_ms=150       a 503 with retry-after-ms: 150
    status=502;should_retry=false       with x-should-retry: false
    status=400;body=detail              the error body in FastAPI's {"detail": ...} wrapper
    delay=1.5                           wait before answering (on the emulator's clock)
    disconnect=true                     read the whole request, then close the connection unanswered

Stream faults (:class:`StreamFault`), while answering (events are SSE events or body chunks)::

    pace=0.1                            wait 0.1 s before each event after the first (a slow, healthy stream)
    drop_after=3                        close the connection after 3 events
    drop_after_bytes=100                close the connection after 100 bytes of the body
    malformed_after=2                   send an event that is not JSON after 2 events (SSE only)
    error_after=2                       an in-band error event after 2 (error_event=true: as event: error)
    stall_after=2;stall=5               pause 5 s after 2 events (on the emulator's clock)
    no_done=true                        end the stream with neither a finish reason nor [DONE]
    close_after=true                    answer in full, then close the keep-alive connection silently
    connection_close=true               answer with ``Connection: close``, then close the connection

Socket faults (:class:`SocketFault`), in WebSocket sessions::

    ws_close_after=3;ws_close_code=1011 close the socket with that code after 3 server events
    ws_error_after=1                    send an ``error`` event after 1 server event
    ws_expire_after=5                   after 5 server events: ``session_expired``, then close (1000)
    ws_pace=0.05                        wait 0.05 s before each event of a response (a slow server)

Job faults (:class:`JobFault`), for the long job a request creates (a video)::

    job_fail=true                       the job ends ``failed``
    job_stall=true                      the job never finishes

And for the fault itself: ``times=2`` (the next two requests), ``path=/v1/models`` (only that path;
``path=/v1/videos/*`` for every path under it).
``body`` is one of ``openai`` (default), ``string`` (``{"error": "text"}``), ``detail`` (FastAPI) or
``text`` (a plain-text body).
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass, field, fields
from typing import Any, Literal

__all__ = ["FAULT_HEADER", "Fault", "FaultQueue", "JobFault", "SocketFault", "StreamFault", "TransportFault"]

FAULT_HEADER = "X-Emulator-Fault"
_BODIES = ("openai", "string", "detail", "text")


@dataclass(frozen=True, slots=True, kw_only=True)
class TransportFault:
    """What happens instead of, or before, the answer."""

    status: int | None = None
    retry_after: str | None = None
    retry_after_ms: int | None = None
    should_retry: bool | None = None
    body: Literal["openai", "string", "detail", "text"] = "openai"
    message: str = "scripted failure"
    delay: float = 0.0
    disconnect: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamFault:
    """What happens while the answer is written; events are SSE events or body chunks."""

    pace: float = 0.0
    drop_after: int | None = None
    drop_after_bytes: int | None = None
    malformed_after: int | None = None
    error_after: int | None = None
    error_event: bool = False
    stall_after: int | None = None
    stall: float = 0.0
    no_done: bool = False
    close_after: bool = False
    connection_close: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SocketFault:
    """What happens in a WebSocket session; counts are server events sent."""

    ws_close_after: int | None = None
    ws_close_code: int = 1011
    ws_error_after: int | None = None
    ws_expire_after: int | None = None
    ws_pace: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class JobFault:
    """What happens to a long job (a video) the request creates."""

    job_fail: bool = False
    job_stall: bool = False


_PARTS: dict[str, type[Any]] = {
    "transport": TransportFault,
    "stream": StreamFault,
    "socket": SocketFault,
    "job": JobFault,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    """One scripted misbehaviour: a transport part, a stream part and a socket part, any of them empty."""

    transport: TransportFault = field(default_factory=TransportFault)
    stream: StreamFault = field(default_factory=StreamFault)
    socket: SocketFault = field(default_factory=SocketFault)
    job: JobFault = field(default_factory=JobFault)
    #: How many requests (in a queue) or same-header requests take it.
    times: int = 1
    #: Only requests to this path take the fault from the queue (None: any path).
    path: str | None = None

    @classmethod
    def of(cls, **settings: Any) -> Fault:
        """A fault from flat settings, each sent to the part that owns it: ``Fault.of(status=503, times=2)``."""
        parts: dict[str, dict[str, Any]] = {name: {} for name in _PARTS}
        own: dict[str, Any] = {}
        for key, value in settings.items():
            owner = _OWNER.get(key)
            if owner is None:
                raise ValueError(f"unknown fault setting {key!r} (known: {', '.join(sorted(_TYPES))})")
            if owner == "fault":
                own[key] = value
            else:
                parts[owner][key] = value
        return cls(**{name: _PARTS[name](**values) for name, values in parts.items()}, **own)

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """A fault from ``key=value;...``; raises ValueError naming the bad key or value."""
        values: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in spec.split(";"))):
            key, sep, raw = part.partition("=")
            key = key.strip()
            if not sep or key not in _TYPES:
                raise ValueError(f"unknown fault setting {part!r} (known: {', '.join(sorted(_TYPES))})")
            values[key] = _read(key, _TYPES[key], raw.strip())
        if values.get("body", "openai") not in _BODIES:
            raise ValueError(f"fault setting body: expected one of {', '.join(_BODIES)}, got {values['body']!r}")
        return cls.of(**values)


def _read(key: str, kind: str, raw: str) -> Any:
    try:
        if "bool" in kind:
            if raw.lower() not in ("true", "false", "1", "0"):
                raise ValueError(raw)
            return raw.lower() in ("true", "1")
        if "int" in kind:
            return int(raw)
        if "float" in kind:
            return float(raw)
    except ValueError:
        raise ValueError(f"fault setting {key}: cannot read {raw!r}") from None
    return raw


def _types() -> tuple[dict[str, str], dict[str, str]]:
    kinds: dict[str, str] = {}
    owners: dict[str, str] = {}
    for name, part in _PARTS.items():
        for f in fields(part):
            kinds[f.name], owners[f.name] = str(f.type), name
    for f in fields(Fault):
        if f.name not in _PARTS:
            kinds[f.name], owners[f.name] = str(f.type), "fault"
    return kinds, owners


_TYPES, _OWNER = _types()


class FaultQueue:
    """Server-wide faults, each taken by the next matching request; thread-safe for the CLI server."""

    def __init__(self) -> None:
        self._queue: collections.deque[Fault] = collections.deque()
        self._lock = threading.Lock()
        self._header_counts: dict[str, int] = {}

    def push(self, fault: Fault | str, *, times: int | None = None) -> None:
        """Queue ``fault`` (or its spec) for the next ``times`` requests (default: its own ``times``)."""
        if isinstance(fault, str):
            fault = Fault.parse(fault)
        with self._lock:
            self._queue.extend([fault] * (fault.times if times is None else times))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._header_counts.clear()

    def __len__(self) -> int:
        return len(self._queue)

    def take(self, path: str, header: str | None) -> Fault | None:
        """The fault for a request to ``path`` carrying ``header`` (the fault header's value, if any)."""
        if header:
            fault = Fault.parse(header)
            with self._lock:
                seen = self._header_counts.get(header, 0)
                self._header_counts[header] = seen + 1
            # ``times`` counts requests carrying the same header; later ones succeed.
            return fault if seen < fault.times else None
        with self._lock:
            for i, fault in enumerate(self._queue):
                if (
                    fault.path is None
                    or fault.path == path
                    or (fault.path.endswith("*") and path.startswith(fault.path[:-1]))
                ):
                    del self._queue[i]
                    return fault
        return None
