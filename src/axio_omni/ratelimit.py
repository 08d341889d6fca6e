"""Client-side rate limiting shared by every transport that speaks to one account on one server.

:class:`RateLimits` are a transport's settings: static limits (``rpm``, ``tpm``) for servers that
send no headers, and whether to follow the ``x-ratelimit-*`` headers the server sends (on by
default). :func:`limiter_for` gives the one :class:`RateLimiter` of an account (the server's
address and a digest of the key, never the key), shared by every transport in the process, so
that ten transports against one account draw from one budget instead of each from its own.

The sending layer (``transports/http.py``) books each request before it is sent (``book``: the wait
the pacer computes, so a bulk job runs just under the limit instead of into 429s) and reports the
answer's headers after (``settle``); the :class:`~axio_omni.retry.RetryThrottle` beside it withholds retries while most
recent calls fail.

Past one process, :func:`share_budget` puts a :class:`SharedBudget` (``axio_omni.ray``'s actor, or
any store) behind an account's limiter: every process books with it, so N workers draw from one
budget instead of N.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from .fields import check_settings, setting
from .pacing import Pacer
from .retry import RetryThrottle
from .rules import Flag, Number
from .serial import Serializable
from .wire.rate_limits import RateHeaders

__all__ = ["RateLimiter", "RateLimits", "SharedBudget", "limiter_for", "share_budget"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimits(Serializable):
    """How a transport paces its requests. Unset static limits and ``follow_headers`` off: no pacing."""

    type_name = "rate-limits"

    #: Requests per minute, for a server that sends no ``x-ratelimit-*`` headers.
    rpm: float | None = setting(None, Number(above=0, optional=True))
    #: Tokens per minute (estimated from the request), likewise.
    tpm: float | None = setting(None, Number(above=0, optional=True))
    #: Pace by the server's own ``x-ratelimit-*`` headers once it sends them.
    follow_headers: bool = setting(True, Flag())
    #: Withhold retries while most recent calls to this account fail (gRPC's retry throttling).
    #: Off by default for now: on, it changes what ``RetryPolicy.max_retries`` promises a caller.
    throttle_retries: bool = setting(False, Flag())

    def __post_init__(self) -> None:
        check_settings(self)


class SharedBudget(Protocol):
    """An account's budget kept outside this process (a Ray actor): one pacer for every worker."""

    async def reserve(self, tokens: float) -> float:
        """Book one request of about ``tokens`` tokens; the seconds to wait before sending it."""
        ...

    def settle(self, tokens: float, headers: RateHeaders | None) -> None:
        """A booked request was answered, with what its headers said (sent without waiting)."""
        ...


@dataclass(slots=True, eq=False)
class RateLimiter:
    """One account's pacer and retry throttle; ``clock`` and ``sleep`` are injectable for tests."""

    pacer: Pacer
    follow_headers: bool = True
    throttle: RetryThrottle | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    #: Seconds spent waiting for the pacer, all callers together (for benchmarks and logs).
    waited: float = 0.0
    #: The budget shared with other processes, which then books instead of ``pacer``.
    shared: SharedBudget | None = None

    def book(self, tokens: float) -> float:
        """Book one request of about ``tokens`` tokens: the seconds to wait before sending it
        (synchronous: most bookings wait for nothing, and a coroutine per request would cost more)."""
        wait = self.pacer.reserve(tokens, self.clock())
        self.waited += wait
        return wait

    def settle(self, tokens: float, headers: RateHeaders | None) -> None:
        """A booked request was answered, with what its headers said of the limits (None: nothing,
        or no answer at all)."""
        if self.shared is not None:
            self.shared.settle(tokens, headers if self.follow_headers else None)
            return
        self.pacer.answered(tokens)
        if headers is not None and self.follow_headers:
            self.pacer.observe(headers, self.clock())


_LIMITERS: dict[tuple[str, str, RateLimits], RateLimiter] = {}
_LOCK = threading.Lock()


def _account(base_url: str, key: str | None, limits: RateLimits) -> tuple[str, str, RateLimits]:
    """What names an account's limiter: the server's address and a digest of the key, never the key."""
    return urlsplit(base_url).netloc, hashlib.sha256((key or "").encode()).hexdigest()[:16], limits


def _new_limiter(limits: RateLimits, shared: SharedBudget | None = None) -> RateLimiter:
    pacer = Pacer.static(limits.rpm, limits.tpm, time.monotonic()) if shared is None else Pacer()
    throttle = RetryThrottle() if limits.throttle_retries else None
    return RateLimiter(pacer, limits.follow_headers, throttle, shared=shared)


def limiter_for(base_url: str, key: str | None, limits: RateLimits) -> RateLimiter | None:
    """The shared limiter of the account ``key`` at ``base_url``'s server (None when ``limits`` ask for
    no pacing at all and no budget is shared)."""
    name = _account(base_url, key, limits)
    limiter = _LIMITERS.get(name)
    if limiter is None and limits.rpm is None and limits.tpm is None and not limits.follow_headers:
        return None
    if limiter is None:
        with _LOCK:
            limiter = _LIMITERS.get(name)
            if limiter is None:
                limiter = _LIMITERS[name] = _new_limiter(limits)
    return limiter


def share_budget(base_url: str, key: str | None, limits: RateLimits, shared: SharedBudget) -> RateLimiter:
    """Make ``shared`` the budget of the account ``key`` at ``base_url`` in this process: every transport
    with these ``limits`` books with it from now on (``RateLimiter.book`` is then not used)."""
    limiter = _new_limiter(limits, shared)
    with _LOCK:
        _LIMITERS[_account(base_url, key, limits)] = limiter
    return limiter
