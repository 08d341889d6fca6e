"""Running a call's requests together, all or nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable

__all__ = ["all_or_nothing"]


async def all_or_nothing(awaitables: Iterable[Awaitable[object]]) -> None:
    """Run ``awaitables`` together; on the first failure cancel the rest, wait for them, and raise it."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
