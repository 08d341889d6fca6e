"""Pacing requests under a rate limit: token buckets for requests and tokens, kept in step with
what the server says of itself (sans-I/O: time is an argument, nothing sleeps here).

A :class:`Pacer` starts from static limits (requests and tokens per minute) when they are given,
and from the server's own ``x-ratelimit-*`` headers once an answer has carried them
(``wire/rate_limits.py``). ``reserve(tokens, now)`` books a request and says how long to wait
before sending it: bookings are made in order, so concurrent callers queue behind each other
instead of all waking at once and bursting. ``observe(headers, now)`` takes the server's word:
what remains of each window and when it is full again sets the level and the refill rate.

``ratelimit.RateLimiter`` holds one per account and calls ``reserve`` before each send and
``observe`` after each answer.

The refill rate is read from the first answer: ``reset`` is how long the server needs to refill
what is used, ``limit - level``, so ``rate = (limit - level) / reset``. The server shows its level as
a whole number (``remaining``) below the true one, so one answer bounds the rate between
``(limit - remaining - 1) / reset`` and ``(limit - remaining) / reset``; every answer narrows the
bounds. The upper one is exact for an answer from a bucket holding whole units (the first request
of a fresh window, and every answer of a server that counts in whole requests); the pace keeps
:data:`RATE_MARGIN` under it. A window whose bounds stop overlapping has changed, and starts over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .wire.rate_limits import RateHeaders, Window

__all__ = ["Bucket", "Pacer"]

#: The window a limit is stated for when the server does not say (OpenAI's are per minute).
MINUTE = 60.0
#: How far under the fastest refill the answers allow the pace stays: the reset is rounded (to the
#: millisecond, a few percent of a short one) and requests reach the server unevenly.
RATE_MARGIN = 0.05


@dataclass(slots=True)
class Bucket:
    """``capacity`` units that refill at ``rate`` per second; ``level`` (which may go below zero
    while bookings wait) is what was left at time ``at``."""

    capacity: float
    rate: float
    level: float
    at: float = 0.0
    #: What the server's answers say of the refill rate so far: it lies in ``[low, high]``.
    low: float = 0.0
    high: float = math.inf

    @classmethod
    def per_minute(cls, limit: float, now: float = 0.0) -> Bucket:
        return cls(capacity=limit, rate=limit / MINUTE, level=limit, at=now)

    def level_at(self, now: float) -> float:
        return min(self.capacity, self.level + max(0.0, now - self.at) * self.rate)

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds from ``now`` until ``cost`` units are there (inf when they never will be); after
        the bookings already made, which may reach past ``now``."""
        start = max(now, self.at)
        missing = cost - self.level_at(start)
        if missing <= 0:
            return start - now
        return start - now + missing / self.rate if self.rate > 0 else math.inf

    def take(self, cost: float, now: float) -> None:
        self.level, self.at = self.level_at(now) - cost, now

    def observe(self, window: Window, now: float, pending: float) -> None:
        """The server's count wins: ``remaining``, less what is booked or in flight that it has not
        counted yet (``pending``), is the level; the window refills to ``limit`` in ``reset`` seconds."""
        if window.limit is not None and window.limit > 0:
            if float(window.limit) != self.capacity:
                self.low, self.high = 0.0, math.inf  # another limit: what was learned of the old one is void
            self.capacity = float(window.limit)
        if window.remaining is not None:
            self.level, self.at = window.remaining - pending, now
        if window.reset is not None and window.reset > 0 and window.remaining is not None:
            used = self.capacity - window.remaining  # the most it can be: the true level is a fraction above
            if used <= 0:
                return
            low, high = max(0.0, used - 1) / window.reset, used / window.reset
            # A tenth of slack: the reset is rounded (to the millisecond), so bounds of one window
            # can miss each other by a little without the window having changed.
            if low > 1.1 * self.high or high < 0.9 * self.low:
                self.low, self.high = low, high  # the window changed: start over from this answer
            else:
                self.low, self.high = max(self.low, low), min(self.high, high)
            self.rate = self.high * (1 - RATE_MARGIN)


@dataclass(slots=True)
class Pacer:
    """The requests and tokens buckets of one account on one server."""

    requests: Bucket | None = None
    tokens: Bucket | None = None
    #: Requests and tokens booked whose answers have not come back yet.
    pending_requests: int = 0
    pending_tokens: float = 0.0

    @classmethod
    def static(cls, rpm: float | None = None, tpm: float | None = None, now: float = 0.0) -> Pacer:
        """A pacer from static limits (per minute), for servers that send no headers."""
        return cls(
            requests=Bucket.per_minute(rpm, now) if rpm else None,
            tokens=Bucket.per_minute(tpm, now) if tpm else None,
        )

    def reserve(self, tokens: float, now: float) -> float:
        """Book one request of about ``tokens`` tokens; the seconds to wait before sending it."""
        self.pending_requests += 1
        self.pending_tokens += tokens
        if self.requests is None and self.tokens is None:
            return 0.0  # nothing known to pace by (no static limits, no headers yet)
        wait = 0.0
        for bucket, cost in ((self.requests, 1.0), (self.tokens, tokens)):
            if bucket is not None and cost > 0:
                wait = max(wait, bucket.wait_for(min(cost, bucket.capacity), now))
        start = now + wait
        for bucket, cost in ((self.requests, 1.0), (self.tokens, tokens)):
            if bucket is not None:
                bucket.take(min(cost, bucket.capacity), start)
        return wait

    def answered(self, tokens: float) -> None:
        """A booked request got its answer (or failed): it is no longer pending. Called before
        ``observe`` with that answer's headers."""
        self.pending_requests = max(0, self.pending_requests - 1)
        self.pending_tokens = max(0.0, self.pending_tokens - tokens)

    def observe(self, headers: RateHeaders, now: float) -> None:
        """Take the server's word on both windows (from an answer's headers). A window is used only
        when it states its limit and what remains of it: what remains alone (Azure sends only that)
        says nothing of how fast it comes back."""
        for name, window, pending in (
            ("requests", headers.requests, float(self.pending_requests)),
            ("tokens", headers.tokens, self.pending_tokens),
        ):
            if window.limit is None or window.limit <= 0 or window.remaining is None:
                continue
            bucket = getattr(self, name)
            if bucket is None:
                bucket = Bucket.per_minute(float(window.limit), now)
                setattr(self, name, bucket)
            bucket.observe(window, now, pending)
