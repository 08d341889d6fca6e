"""What a server says of its rate limits, read from its response headers (sans-I/O).

OpenAI and most compatible servers (Azure, Groq, OpenRouter's upstreams, vLLM behind a gateway) send
two windows on every answer::

    x-ratelimit-limit-requests: 3000        x-ratelimit-limit-tokens: 1000000
    x-ratelimit-remaining-requests: 2999    x-ratelimit-remaining-tokens: 999877
    x-ratelimit-reset-requests: 20ms        x-ratelimit-reset-tokens: 7ms

``reset`` is how long until the window is full again, written as Go writes durations (``6m0s``,
``1.5s``, ``120ms``, ``1h2m3s``); some servers send plain seconds (``20``) or an ``s``-suffixed
number. :func:`read_rate_headers` reads both windows, each field independently: a field missing or
unreadable is None, never a guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["RateHeaders", "Window", "parse_duration", "read_rate_headers"]

#: The headers without one of which an answer states no window.
_ANY = tuple(
    f"x-ratelimit-{part}-{kind}" for part in ("limit", "remaining", "reset") for kind in ("requests", "tokens")
)
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(h|ms|us|µs|ns|m|s)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def parse_duration(text: str) -> float | None:
    """Seconds in ``text``: a Go duration (``6m0s``, ``1.5s``, ``120ms``, ``1h2m3.5s``) or a plain
    number of seconds; None when it is neither, negative, or not finite."""
    text = text.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    total, at = 0.0, 0
    for match in _PART.finditer(text):
        if match.start() != at:
            return None
        total += float(match.group(1)) * _UNIT[match.group(2)]
        at = match.end()
    return total if at == len(text) and at > 0 and math.isfinite(total) else None


@dataclass(frozen=True, slots=True)
class Window:
    """One limit as the server states it: the limit, what remains of it, and seconds until it is full."""

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None

    @property
    def known(self) -> bool:
        return self.limit is not None or self.remaining is not None or self.reset is not None


@dataclass(frozen=True, slots=True)
class RateHeaders:
    """Both windows of an answer: requests and tokens."""

    requests: Window
    tokens: Window


def _count(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number >= 0 else None


def _window(headers: Mapping[str, str], kind: str) -> Window:
    def get(name: str) -> str | None:
        return headers.get(f"x-ratelimit-{name}-{kind}")

    reset = get("reset")
    return Window(_count(get("limit")), _count(get("remaining")), parse_duration(reset) if reset else None)


def read_rate_headers(headers: Mapping[str, str]) -> RateHeaders | None:
    """The rate-limit windows of an answer's ``headers``; None when it states neither.

    ``headers`` is read case-insensitively when it is aiohttp's multidict; a plain mapping is
    expected in lower case (as HTTP/2 sends them).
    """
    if not any(name in headers for name in _ANY):
        return None  # most answers of most servers: nothing to read
    found = RateHeaders(_window(headers, "requests"), _window(headers, "tokens"))
    return found if found.requests.known or found.tokens.known else None
