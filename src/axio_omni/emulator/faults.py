"""Scriptable faults for the emulator: per request (a header) and per server (a queue).

A fault is written as ``key=value`` pairs separated by ``;``, in the ``X-Emulator-Fault`` header
or as :meth:`Fault.parse` input::

    status=429;retry_after=2            a 429 with Retry-After: 2
    status=503;retry_after_ms=150       a 503 with retry-after-ms: 150
    status=500;times=2                  fail the first two requests carrying this header, then succeed
    status=400;body=detail              the error body in FastAPI's {"detail": ...} wrapper
    status=502;should_retry=false       with x-should-retry: false
    delay=1.5                           wait before the first byte
    drop_after=3                        close the connection after 3 stream chunks
    malformed_after=2                   send a chunk that is not JSON after 2 chunks
    error_after=2                       an in-band error chunk after 2 chunks (error_event=true: as event: error)
    stall_after=2;stall=5               pause 5 s after 2 chunks
    no_done=true                        end the stream with neither a finish reason nor [DONE]
    close_after=true                    answer in full, then close the keep-alive connection silently

``body`` is one of ``openai`` (default), ``string`` (``{"error": "text"}``), ``detail`` (FastAPI) or
``text`` (a plain-text body).
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass, fields
from typing import Literal

__all__ = ["FAULT_HEADER", "Fault", "FaultQueue"]

FAULT_HEADER = "X-Emulator-Fault"


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    """One scripted misbehaviour. Every field is optional; several may combine."""

    status: int | None = None
    retry_after: str | None = None
    retry_after_ms: int | None = None
    should_retry: bool | None = None
    body: Literal["openai", "string", "detail", "text"] = "openai"
    message: str = "scripted failure"
    times: int = 1
    delay: float = 0.0
    drop_after: int | None = None
    malformed_after: int | None = None
    error_after: int | None = None
    error_event: bool = False
    stall_after: int | None = None
    stall: float = 0.0
    no_done: bool = False
    close_after: bool = False
    #: Only requests to this path take the fault from the queue (None: any path).
    path: str | None = None

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """A fault from ``key=value;...``; raises ValueError naming the bad key or value."""
        types = {f.name: f.type for f in fields(cls)}
        values: dict[str, object] = {}
        for part in filter(None, (p.strip() for p in spec.split(";"))):
            key, sep, raw = part.partition("=")
            key = key.strip()
            if not sep or key not in types:
                raise ValueError(f"unknown fault setting {part!r} (known: {', '.join(sorted(types))})")
            kind = str(types[key])
            raw = raw.strip()
            try:
                if "bool" in kind:
                    if raw.lower() not in ("true", "false", "1", "0"):
                        raise ValueError(raw)
                    values[key] = raw.lower() in ("true", "1")
                elif "int" in kind:
                    values[key] = int(raw)
                elif "float" in kind:
                    values[key] = float(raw)
                else:
                    values[key] = raw
            except ValueError:
                raise ValueError(f"fault setting {key}: cannot read {raw!r}") from None
        fault = cls(**values)  # type: ignore[arg-type]
        if fault.body not in ("openai", "string", "detail", "text"):
            raise ValueError(f"fault setting body: expected openai, string, detail or text, got {fault.body!r}")
        return fault


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
                if fault.path is None or fault.path == path:
                    del self._queue[i]
                    return fault
        return None
