"""Time limits: what bounds each request, and the opt-in limit on a whole call.

Three limits, each bounding one thing (``docs/failures.md`` puts them side by side):

- ``Timeouts.connect`` bounds making a connection (TCP and TLS), and nothing else: waiting for a
  free connection in the pool is not connecting, and DNS is bounded by the deadline.
- ``Timeouts.read`` bounds each silence while a response is awaited and read: before the first byte,
  and between any two. A stream that keeps sending is never cut by it, however long it runs.
- ``RetryPolicy.deadline`` bounds the time until a request's response starts, waiting for a pooled
  connection, retries and backoff included; each request of a call made of several (a batch, a
  speech piece, a transcription chunk) gets its own.
- ``Timeouts.total`` (None by default) bounds a whole call, every request and all reading included.
  A corpus that takes an hour to embed is never killed by a default.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .fields import check_settings, setting
from .rules import Number
from .serial import Serializable

__all__ = ["Budget", "Timeouts"]


def _seconds() -> Number:
    return Number(above=0, optional=True, unit="seconds")


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeouts(Serializable):
    """Bounds in seconds (None for none) on connecting, on each silence, and on a whole call."""

    type_name = "timeouts"

    #: Making a connection: TCP and TLS. Not the wait for a free pooled connection.
    connect: float | None = setting(10.0, _seconds())
    #: The longest silence while a response is awaited or read, the first byte included.
    read: float | None = setting(120.0, _seconds())
    #: The whole call, every request and all reading included; None (the default) for no bound.
    total: float | None = setting(None, _seconds())

    def __post_init__(self) -> None:
        check_settings(self)


class Budget:
    """The time one call has left under ``Timeouts.total``, shared by all its requests and reads."""

    __slots__ = ("total", "ends", "_clock")

    def __init__(self, total: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self._clock = clock
        self.ends = clock() + total

    @classmethod
    def start(cls, total: float | None, *, clock: Callable[[], float] = time.monotonic) -> Budget | None:
        """A budget for a call bounded by ``total`` seconds, or None for an unbounded one."""
        return None if total is None else cls(total, clock=clock)

    def remaining(self) -> float:
        """Seconds left; zero or less once spent."""
        return self.ends - self._clock()
