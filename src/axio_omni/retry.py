"""When an HTTP call is repeated, how long it waits, and the one attempt loop every transport uses.

The decisions are pure functions of a frozen :class:`RetryPolicy`, the error and the headers, so they
are tested without sockets or clocks. :func:`call_with_retry` is the only loop: a transport hands it
an ``attempt`` coroutine that either returns an open, successful response or raises an
:class:`~axio_omni.errors.OmniError`. Nothing that reaches the caller goes through the loop again:
a stream is opened inside it and read outside it, so an event is never replayed and a call that the
server may have billed is never sent twice.

What is retried (as the official SDK does): 408, 409, 429 and 5xx except 501; a connection refused,
reset or timed out before the response started. ``x-should-retry: true|false`` overrides the status.
The wait is ``retry-after-ms``, else ``Retry-After`` (seconds or an HTTP-date), else exponential
backoff with jitter, capped at ``max_delay``. A server wait above ``max_wait`` raises
:class:`~axio_omni.errors.RetryWaitTooLongError` instead of sleeping, and ``deadline`` bounds the
whole call, retries and waits included: when it is what ends the call, the call raises
:class:`~axio_omni.errors.APITimeoutError` with the last failure as its ``__cause__``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from .errors import (
    APIStatusError,
    APITimeoutError,
    ConfigurationError,
    OmniError,
    RetryWaitTooLongError,
)
from .serial import Serializable

__all__ = ["RetryPolicy", "call_with_retry", "parse_retry_after", "parse_should_retry"]

log = logging.getLogger("axio_omni.retry")


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds the server asks us to wait, or None where it asks nothing readable.

    ``retry-after-ms`` (OpenAI's) wins over ``Retry-After``, which RFC 9110 allows as seconds or an
    HTTP-date. Negative, NaN, infinite and past values say nothing and give None. ``now`` is the wall
    clock in epoch seconds, for tests.
    """
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            ms = float(raw_ms)
        except ValueError:
            ms = math.nan
        if math.isfinite(ms) and ms >= 0:
            return ms / 1000.0
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    wait = when.timestamp() - (time.time() if now is None else now)
    return wait if wait > 0 else None


def parse_should_retry(headers: Mapping[str, str]) -> bool | None:
    """The server's ``x-should-retry`` verdict: True, False, or None where absent or unreadable."""
    value = headers.get("x-should-retry", "").strip().lower()
    return {"true": True, "false": False}.get(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy(Serializable):
    """How a transport repeats a failed call. Frozen and serializable; vary with ``dataclasses.replace``.

    The defaults are the official SDK's: two retries, 0.5 s doubling to 8 s with jitter.
    """

    type_name = "retry-policy"

    #: Attempts after the first one; 0 disables retrying.
    max_retries: int = 2
    #: The first backoff wait, in seconds, when the server asks for none.
    initial_delay: float = 0.5
    #: The longest backoff wait.
    max_delay: float = 8.0
    #: How much each backoff wait grows over the one before.
    multiplier: float = 2.0
    #: The fraction of a backoff wait taken off at random, so that clients do not retry in step.
    jitter: float = 0.25
    #: The longest wait a server may ask for; a longer ``Retry-After`` raises instead of sleeping.
    max_wait: float = 60.0
    #: Seconds the whole call may take, retries, waits and the response included; None for no bound.
    deadline: float | None = 600.0

    def __post_init__(self) -> None:
        for name in ("initial_delay", "max_delay", "max_wait"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ConfigurationError(f"RetryPolicy.{name} must be a finite number >= 0, got {value!r}")
        if self.max_retries < 0:
            raise ConfigurationError(f"RetryPolicy.max_retries must be >= 0, got {self.max_retries!r}")
        if not math.isfinite(self.multiplier) or self.multiplier < 1:
            raise ConfigurationError(f"RetryPolicy.multiplier must be >= 1, got {self.multiplier!r}")
        if not 0 <= self.jitter <= 1:
            raise ConfigurationError(f"RetryPolicy.jitter must be between 0 and 1, got {self.jitter!r}")
        if self.deadline is not None and (not math.isfinite(self.deadline) or self.deadline <= 0):
            raise ConfigurationError(f"RetryPolicy.deadline must be a positive number or None, got {self.deadline!r}")

    @classmethod
    def none(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_retries=0)

    def backoff(self, retry: int, rand: float) -> float:
        """The wait before retry number ``retry`` (from 1) when the server names none; ``rand`` in [0, 1)."""
        base = min(self.max_delay, self.initial_delay * self.multiplier ** (retry - 1))
        return base * (1.0 - self.jitter * rand)

    def is_retryable(self, error: OmniError) -> bool:
        """Whether ``error`` may succeed when sent again; ``x-should-retry`` overrides the status."""
        if isinstance(error, APIStatusError) and error.should_retry is not None:
            return error.should_retry
        return error.retryable

    def delay_for(self, error: OmniError, retry: int, rand: float) -> float | None:
        """Seconds to wait before retry number ``retry``, or None when the error is final.

        Raises :class:`RetryWaitTooLongError` when the server asks for more than ``max_wait``.
        """
        if retry > self.max_retries or not self.is_retryable(error):
            return None
        asked = error.retry_after if isinstance(error, APIStatusError) else None
        if asked is None:
            return self.backoff(retry, rand)
        if asked > self.max_wait:
            raise RetryWaitTooLongError(
                f"the server asked to wait {asked:.1f}s before retrying, more than max_wait={self.max_wait:.1f}s",
                wait=asked,
                status=error.status,
                request_id=error.request_id,
            ) from error
        return asked


async def call_with_retry[T](
    policy: RetryPolicy,
    attempt: Callable[[float | None], Awaitable[T]],
    *,
    what: str = "request",
    only: Callable[[OmniError], bool] | None = None,
    clock: Callable[[], float] = time.monotonic,
    rand: Callable[[], float] = random.random,
) -> T:
    """Run ``attempt(remaining_seconds)`` until it returns, retrying as ``policy`` allows.

    ``attempt`` gets the seconds left before the deadline (None for no deadline) and must bound its
    own I/O by them. ``only``, when given, must also approve an error for it to be retried. Only
    :class:`OmniError` is caught; anything else is a bug and propagates.
    """
    start = clock()
    retry = 0
    last: OmniError | None = None
    while True:
        remaining = None if policy.deadline is None else policy.deadline - (clock() - start)
        if remaining is not None and remaining <= 0:
            raise APITimeoutError(
                f"{what} did not finish within the deadline of {policy.deadline}s",
                status=last.status if last else None,
                request_id=last.request_id if last else None,
            ) from last
        try:
            return await attempt(remaining)
        except OmniError as error:
            last = error
            retry += 1
            if only is not None and not only(error):
                raise
            delay = policy.delay_for(error, retry, rand())
            if delay is None:
                raise
            if policy.deadline is not None and clock() - start + delay >= policy.deadline:
                # The deadline, not the error, ends the call: one outcome whatever the timing,
                # with the last failure kept as the cause.
                raise APITimeoutError(
                    f"{what} did not succeed within the deadline of {policy.deadline}s "
                    f"({retry} attempt{'s' if retry > 1 else ''}; last: {error})",
                    status=error.status,
                    request_id=error.request_id,
                ) from error
            log.warning("%s failed (%s); retry %d/%d in %.2fs", what, error, retry, policy.max_retries, delay)
            await asyncio.sleep(delay)
