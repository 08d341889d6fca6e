"""The emulator's clock: real time by default, or a clock the tests move by hand.

Scripted delays and stalls wait on it, and so will job lifecycles (a video that renders for
minutes): with a :class:`ManualClock` a test advances time instead of sleeping through it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol

__all__ = ["Clock", "ManualClock", "RealClock"]


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on this clock (only differences mean anything)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return once ``seconds`` have passed on this clock."""
        ...


class RealClock:
    """The event loop's own time."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """Time that moves only when :meth:`advance` is called; sleepers wake as it passes their time."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._asleep: asyncio.Event | None = None

    def now(self) -> float:
        return self._now

    @property
    def sleeping(self) -> int:
        """How many sleepers wait for time to pass."""
        return sum(1 for _, _, f in self._sleepers if not f.done())

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._order), future))
        if self._asleep is not None:
            self._asleep.set()
        await future

    async def until_sleeping(self, count: int = 1) -> None:
        """Return once at least ``count`` sleepers wait for time to pass (a scripted stall has begun)."""
        while self.sleeping < count:
            self._asleep = asyncio.Event()
            await self._asleep.wait()

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, waking (in order) every sleeper whose time has come."""
        target = self._now + seconds
        while self._sleepers and self._sleepers[0][0] <= target:
            when, _, future = heapq.heappop(self._sleepers)
            self._now = max(self._now, when)
            if not future.done():
                future.set_result(None)
            # Let the woken task run before the next one wakes, as real time would.
            await asyncio.sleep(0)
        self._now = target
