"""How a benchmark measures one run: wall time and peak traced memory, after a collection."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable

__all__ = ["alternating", "wall_and_peak"]


async def wall_and_peak[T](run: Callable[[], Awaitable[T]]) -> tuple[float, float, T]:
    """Seconds ``run()`` took, the peak bytes Python allocated meanwhile, and what it returned."""
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = await run()
        return time.perf_counter() - start, tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


async def alternating[T](
    runs: dict[str, Callable[[], Awaitable[T]]], rounds: int, check: Callable[[T], None] = lambda _: None
) -> dict[str, tuple[float, float]]:
    """The median wall time and peak memory of each run, over ``rounds`` in which they take turns
    (so that a slow moment of a shared machine falls on all of them); ``check`` sees each result."""
    measured: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            wall, peak, result = await wall_and_peak(run)
            check(result)
            measured[name].append((wall, peak))
    return {
        name: (statistics.median(w for w, _ in values), statistics.median(p for _, p in values))
        for name, values in measured.items()
    }
