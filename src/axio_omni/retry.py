"""Whether a failed request is sent again, how long to wait first, and the one attempt loop.

Whether a request may be repeated is one value, set where the request is built, that says what
repeating it may cost (:class:`Repeat`), and one pure function, :func:`may_repeat`, that weighs it
against the failure and how far the request got (:class:`~axio_omni.errors.Phase`):

============== ================= ====================== ==========================================
``Repeat``     before sending    sent, no response      response started (status, or body cut)
============== ================= ====================== ==========================================
``NEVER``      no                no                     no
``UNSTARTED``  transient: yes    no                     408, 429, 503 only (the server did no work)
``SAFE``       transient: yes    transient: yes         transient status, or a whole body cut
============== ================= ====================== ==========================================

``x-should-retry: false`` vetoes any repeat; ``x-should-retry: true`` lets a ``SAFE`` request repeat
any status. Transient failures are 408, 409, 429, 5xx except 501, connection failures, timeouts and
cut bodies (:func:`~axio_omni.errors.transient`).

:func:`call_with_retry` is the only loop. It asks :func:`may_repeat`, then the :class:`RetryPolicy`
for how many times and how long to wait: ``retry-after-ms``, else ``Retry-After`` (seconds or an
HTTP-date), else exponential backoff with jitter, capped at ``max_delay``. A server wait above
``max_wait`` raises :class:`~axio_omni.errors.RetryWaitTooLongError` instead of sleeping.
``deadline`` bounds the time until the response starts, retries and waits included; when it ends
the request, the loop raises :class:`~axio_omni.errors.APITimeoutError` with the last failure as its
``__cause__``. Nothing a caller has received goes through the loop again: a stream is opened inside
it and read outside it.
"""

from __future__ import annotations

import asyncio
import enum
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
    Phase,
    RetryWaitTooLongError,
    transient,
)
from .fields import check_settings, setting
from .rules import Number
from .serial import Serializable
from .timeouts import Budget

__all__ = [
    "Repeat",
    "RetryPolicy",
    "RetryThrottle",
    "call_with_retry",
    "may_repeat",
    "parse_retry_after",
    "parse_should_retry",
]

log = logging.getLogger("axio_omni.retry")

#: Statuses by which a server says it did not start the work: timed out reading it, rate limited, unavailable.
UNSTARTED_STATUSES = frozenset({408, 429, 503})


class Repeat(enum.Enum):
    """What sending a request again may cost; set where the request is built."""

    #: Never send it twice (the caller's choice, or an action that must not happen twice).
    NEVER = "never"
    #: A second send may bill twice (images, videos, speech, transcriptions): only when the server
    #: cannot have started the first.
    UNSTARTED = "unstarted"
    #: A second send costs nothing that matters (reads, polls, downloads) or what the official SDKs
    #: accept to pay for a working call (chat turns, embeddings): whenever the failure is transient.
    SAFE = "safe"


def may_repeat(repeat: Repeat, failure: OmniError, phase: Phase | None) -> bool:
    """Whether a request of cost ``repeat`` that failed with ``failure`` in ``phase`` may be sent again.

    Pure: the retry loop asks it, and so may a caller. ``phase`` None (a failure that no request
    caused, such as a bad argument) is never repeated.
    """
    if repeat is Repeat.NEVER or phase is None:
        return False
    verdict = failure.should_retry if isinstance(failure, APIStatusError) else None
    if verdict is False:
        return False
    if phase is Phase.BEFORE_SENDING:
        return transient(failure)
    if repeat is Repeat.UNSTARTED:
        return isinstance(failure, APIStatusError) and failure.status in UNSTARTED_STATUSES
    return verdict is True or transient(failure)


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
    """How many times a failed request is sent again and how long to wait. Frozen and serializable.

    The defaults are the official SDK's: two retries, 0.5 s doubling to 8 s with jitter. Whether a
    failure may be repeated at all is :func:`may_repeat`'s decision, not the policy's.
    """

    type_name = "retry-policy"

    #: Attempts after the first one; 0 disables retrying.
    max_retries: int = setting(2, Number(0, integer=True))
    #: The first backoff wait, in seconds, when the server asks for none.
    initial_delay: float = setting(0.5, Number(0, unit="seconds"))
    #: The longest backoff wait.
    max_delay: float = setting(8.0, Number(0, unit="seconds"))
    #: How much each backoff wait grows over the one before.
    multiplier: float = setting(2.0, Number(1))
    #: The fraction of a backoff wait taken off at random, so that clients do not retry in step.
    jitter: float = setting(0.25, Number(0, 1))
    #: The longest wait a server may ask for; a longer ``Retry-After`` raises instead of sleeping.
    max_wait: float = setting(60.0, Number(0, unit="seconds"))
    #: Seconds until a request's response starts, pool wait, retries and waits included; each request
    #: of a call made of several gets its own. None for no bound.
    deadline: float | None = setting(600.0, Number(above=0, optional=True, unit="seconds"))

    def __post_init__(self) -> None:
        check_settings(self)

    @classmethod
    def none(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_retries=0)

    def backoff(self, retry: int, rand: float) -> float:
        """The wait before retry number ``retry`` (from 1) when the server names none; ``rand`` in [0, 1)."""
        base = min(self.max_delay, self.initial_delay * self.multiplier ** (retry - 1))
        return base * (1.0 - self.jitter * rand)

    def delay_for(self, error: OmniError, retry: int, rand: float) -> float | None:
        """Seconds to wait before retry number ``retry``, or None when the policy allows no more.

        The server's ``retry_after`` wins over backoff; above ``max_wait`` it raises
        :class:`RetryWaitTooLongError` rather than sleep.
        """
        if retry > self.max_retries:
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
                phase=error.phase,
            ) from error
        return asked


def _limit(policy: RetryPolicy, budget: Budget | None, started: float, now: float) -> tuple[float | None, bool]:
    """Seconds left for this request (None for no bound), and whether the call's budget sets them."""
    left = None if policy.deadline is None else policy.deadline - (now - started)
    if budget is not None:
        spent = budget.remaining()
        if left is None or spent < left:
            return spent, True
    return left, False


def _bound(policy: RetryPolicy, budget: Budget | None, by_budget: bool) -> str:
    if by_budget and budget is not None:
        return f"Timeouts.total of {budget.total:g}s"
    return f"RetryPolicy.deadline of {policy.deadline:g}s"


async def call_with_retry[T](
    policy: RetryPolicy,
    attempt: Callable[[float | None], Awaitable[T]],
    *,
    repeat: Repeat,
    what: str = "request",
    budget: Budget | None = None,
    clock: Callable[[], float] = time.monotonic,
    rand: Callable[[], float] = random.random,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    throttle: RetryThrottle | None = None,
    on_retry: Callable[[OmniError, int, float], None] | None = None,
) -> T:
    """Run ``attempt(seconds_left)`` until it returns, repeating as :func:`may_repeat` and ``policy`` allow.

    ``attempt`` gets the seconds left before the deadline or the call's budget (None for neither)
    and must bound its wait for the response by them. Only :class:`OmniError` is caught; anything
    else is a bug and propagates. The error raised carries ``attempts``. A ``throttle`` shared by
    the calls to one account counts their outcomes and withholds retries while most fail.
    ``on_retry(error, attempt, wait)`` is told of each retry before its wait (``calls.CallRecord``).
    """
    started = clock()
    tries = 0
    last: OmniError | None = None
    while True:
        left, by_budget = _limit(policy, budget, started, clock())
        if left is not None and left <= 0:
            raise _out_of_time(what, _bound(policy, budget, by_budget), tries, last)
        tries += 1
        try:
            result = await attempt(left)
        except OmniError as error:
            last = error
            error.attempts = tries
            delay = _retry_delay(policy, repeat, error, tries, rand, throttle, what)
            if delay is None:
                raise
            left, by_budget = _limit(policy, budget, started, clock())
            if left is not None and delay >= left:
                # The time limit, not the error, ends the request: one outcome whatever the timing.
                raise _out_of_time(what, _bound(policy, budget, by_budget), tries, error) from error
            log.warning("%s failed (%s); retry %d/%d in %.2fs", what, error, tries, policy.max_retries, delay)
            if on_retry is not None:
                on_retry(error, tries, delay)
            await sleep(delay)
        else:
            if throttle is not None:
                throttle.succeeded()
            return result


def _retry_delay(
    policy: RetryPolicy,
    repeat: Repeat,
    error: OmniError,
    tries: int,
    rand: Callable[[], float],
    throttle: RetryThrottle | None,
    what: str,
) -> float | None:
    """The wait before sending again after ``error``, or None when it ends the call."""
    if throttle is not None:
        throttle.failed(error)
    if not may_repeat(repeat, error, error.phase):
        return None
    if throttle is not None and not throttle.allows_retry:
        log.warning("%s failed (%s); not retried: most recent calls to this server failed", what, error)
        return None
    return policy.delay_for(error, tries, rand())


def _out_of_time(what: str, bound: str, tries: int, last: OmniError | None) -> APITimeoutError:
    detail = f" ({tries} attempt{'s' if tries != 1 else ''}; last: {last})" if last is not None else ""
    error = APITimeoutError(
        f"{what} got no response within the {bound}{detail}",
        status=last.status if last else None,
        request_id=last.request_id if last else None,
        phase=last.phase if last else Phase.BEFORE_SENDING,
    )
    error.attempts = tries
    if last is not None:
        error.__cause__ = last
    return error


@dataclass(slots=True)
class RetryThrottle:
    """gRPC's retry throttling (a token bucket shared by every call to one server): each failure
    takes a token, each success gives back ``token_ratio``, and retries are allowed only while more
    than half of ``max_tokens`` remain. When most recent calls fail, retries stop, so a dying
    server gets its callers' load, not ``1 + max_retries`` times it.

    ``call_with_retry`` takes one (``throttle=``); ``RateLimits(throttle_retries=True)`` gives each
    account's limiter one.
    """

    max_tokens: float = 10.0
    token_ratio: float = 0.1
    tokens: float = -1.0  # set to max_tokens on creation

    def __post_init__(self) -> None:
        if not self.max_tokens > 0 or not self.token_ratio > 0:
            raise ConfigurationError(
                f"RetryThrottle needs max_tokens and token_ratio above 0, got {self.max_tokens}, {self.token_ratio}"
            )
        if self.tokens < 0:
            self.tokens = self.max_tokens

    def succeeded(self) -> None:
        self.tokens = min(self.max_tokens, self.tokens + self.token_ratio)

    def failed(self, error: OmniError | None = None) -> None:
        """A call failed; only a failure that says the server is in trouble (``transient``) counts,
        not a caller's own mistake (a 400, a refused key)."""
        if error is None or transient(error):
            self.tokens = max(0.0, self.tokens - 1.0)

    @property
    def allows_retry(self) -> bool:
        return self.tokens > self.max_tokens / 2
