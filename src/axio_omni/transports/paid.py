"""Calls made of several paid requests (images, sounds): run a few at a time, keep whatever arrives.

When one request fails, no further request starts (it would be paid for a result the call will not
return), the requests already running finish (their results are paid for either way), and the call
raises :class:`~axio_omni.errors.IncompleteResultError` holding every result that did arrive, in
order, and every failure (``errors``), or returns them when the caller asked for partial results. A
call of one request that made nothing raises that request's own error (``ContentPolicyError``,
``VideoJobTimeoutError`` with its ``video_id`` ...).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ..errors import ConfigurationError, IncompleteResultError, OmniError

__all__ = ["check_count", "check_prompt", "paid_batch"]


def check_prompt(prompt: Any) -> None:
    """A paid call's prompt: a non-empty string, or :class:`ConfigurationError` before anything is sent."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise ConfigurationError(f"prompt must be a non-empty string, got {prompt!r:.60}")


def check_count(n: Any, what: str) -> None:
    """How many results a paid call asks for: a whole number from 1."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ConfigurationError(f"n must be a whole number of {what} >= 1, got {n!r}")


async def paid_batch[T](
    counts: list[int],
    fetch: Callable[[int, int], Awaitable[list[T]]],
    *,
    concurrency: int,
    partial: bool,
    what: str,
) -> tuple[list[T], list[OmniError]]:
    """Run ``fetch(i, counts[i])`` for every request; the results in order, and the failures.

    ``fetch`` raises :class:`IncompleteResultError` (with its ``results``) for a request that made fewer
    than asked. ``what`` names a result in messages ("images"). Without ``partial``, any failure raises.
    """
    results: list[list[T] | None] = [None] * len(counts)
    failures: dict[int, OmniError] = {}
    limit = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with limit:
            if failures:
                return  # a request failed: no further one is paid for
            try:
                results[i] = await fetch(i, counts[i])
            except IncompleteResultError as exc:  # a request that made fewer than asked: keep what it made
                results[i], failures[i] = list(exc.results), exc
            except OmniError as exc:
                failures[i] = exc

    await asyncio.gather(*(one(i) for i in range(len(counts))))
    got = [item for batch in results if batch for item in batch]
    errors = [failures[i] for i in sorted(failures)]
    if errors and not partial:
        first, more = errors[0], len(errors) - 1
        if len(counts) == 1 and not got:
            raise first  # a call of one request that made nothing fails with that request's own error
        lost = sum(counts) - len(got)
        raise IncompleteResultError(
            f"{lost} of {sum(counts)} {what} were not made: {first}" + (f" (and {more} more failures)" if more else ""),
            results=got,
            status=first.status,
            request_id=first.request_id,
            code=first.code,
            errors=errors,
        ) from first
    return got, errors
