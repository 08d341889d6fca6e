"""How a benchmark measures one run: wall time and peak traced memory, after a collection."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Awaitable, Callable

__all__ = ["wall_and_peak"]


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
