"""Requests built apart from sending: URL, headers and what a repeat may cost, for HTTP and WebSocket alike.

Nothing here does I/O. :func:`endpoint_url` and :func:`endpoint_headers` are what an HTTP request
and a WebSocket handshake (realtime) share, so both carry the same credentials, headers and query;
a :class:`Request` is one prepared HTTP request that the sending layer (``http.py``) may send more
than once, as its ``repeat`` allows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, NamedTuple
from urllib.parse import urlencode

from ..ratelimit import RateLimiter
from ..retry import Repeat
from ..timeouts import Timeouts

__all__ = ["USER_AGENT", "Request", "endpoint_headers", "endpoint_url"]

USER_AGENT = "axio-omni/0.1"


def endpoint_url(base_url: str, path: str, query: Mapping[str, str], *, websocket: bool = False) -> str:
    """``base_url + path`` with ``query``; for a WebSocket, ``http(s)`` becomes ``ws(s)``."""
    url = base_url + path
    if query:
        url += "?" + urlencode(dict(query))
    if websocket:
        if url.startswith("https://"):
            url = "wss://" + url[8:]
        elif url.startswith("http://"):
            url = "ws://" + url[7:]
    return url


def endpoint_headers(
    *,
    key: str | None,
    auth_scheme: Literal["bearer", "api-key"],
    headers: Mapping[str, str],
    secret_headers: Mapping[str, str],
    accept: str | None = "application/json",
    content_type: str | None = None,
) -> dict[str, str]:
    """The headers of one request: credentials, the transport's own headers, and the content types."""
    out = {"User-Agent": USER_AGENT}
    if accept is not None:
        out["Accept"] = accept
    out.update(headers)
    out.update(secret_headers)
    if key is not None:
        if auth_scheme == "bearer":
            out["Authorization"] = f"Bearer {key}"
        else:
            out["api-key"] = key
    if content_type is not None:
        out["Content-Type"] = content_type
    return out


class Request(NamedTuple):
    """One HTTP request, prepared once and sent as often as ``repeat`` and the retry policy allow.

    A named tuple: one is made per call, and it is the cheapest immutable value Python builds.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    #: Bytes, or a factory for a body aiohttp can send only once (multipart forms), called per attempt.
    body: bytes | Callable[[], Any] | None
    #: What sending it again may cost (``retry.Repeat``).
    repeat: Repeat
    timeouts: Timeouts
    #: How errors and log lines name it: ``chat completion (gpt-4.1-mini)``.
    what: str
    #: The account's shared rate limiter (``ratelimit.py``) and the tokens this request is estimated
    #: to cost, when requests are paced.
    pace: tuple[RateLimiter, float] | None = None
