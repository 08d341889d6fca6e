"""Opening a WebSocket (realtime sessions) over the ``websockets`` asyncio client, as HTTP requests open.

The handshake is a prepared :class:`~.request.Request` built by the same code as every HTTP request
(URL with ``ws(s)://``, credentials, headers, query), sent through the same retry loop with the same
repeat decision. A handshake the server refuses with an HTTP status becomes the same typed error an
HTTP call gets (401 :class:`~axio_omni.errors.AuthenticationError`, 429 with its wait, 5xx ...), with
the request id and never the key; no connection is :class:`~axio_omni.errors.ConnectError`.
"""

from __future__ import annotations

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus, WebSocketException

from ..errors import APIConnectionError, APITimeoutError, ConnectError, OmniError, Phase
from ..retry import RetryPolicy, call_with_retry
from ..timeouts import Budget
from .http import status_error
from .request import USER_AGENT, Request

__all__ = ["open_websocket"]


def _handshake_error(exc: BaseException) -> OmniError:
    """A failed opening handshake as an axio-omni error."""
    if isinstance(exc, InvalidStatus):
        response = exc.response
        body = bytes(response.body) if isinstance(response.body, (bytes, bytearray, memoryview)) else b""
        return status_error(response.status_code, response.headers, body)
    if isinstance(exc, TimeoutError):
        return APITimeoutError(f"no WebSocket handshake in time: {exc}", phase=Phase.AWAITING_RESPONSE)
    if isinstance(exc, OSError):
        return ConnectError(f"could not connect to the server: {exc}", phase=Phase.BEFORE_SENDING)
    return APIConnectionError(
        f"the WebSocket handshake failed: {type(exc).__name__}: {exc}", phase=Phase.AWAITING_RESPONSE
    )


def _open_timeout(req: Request, left: float | None) -> float | None:
    """The handshake's bound: connecting plus one read silence, and never past the deadline."""
    own = None
    if req.timeouts.connect is not None and req.timeouts.read is not None:
        own = req.timeouts.connect + req.timeouts.read
    return left if own is None else (own if left is None else min(own, left))


async def open_websocket(
    req: Request,
    policy: RetryPolicy,
    *,
    max_size: int,
    ping_interval: float | None,
    ping_timeout: float | None,
    close_timeout: float | None = 10.0,
    max_queue: int = 16,
    budget: Budget | None = None,
) -> ClientConnection:
    """Open the WebSocket ``req`` describes, retrying the handshake as its ``repeat`` and ``policy`` allow.

    ``max_size`` bounds one incoming message in bytes (always a figure: an unbounded message is a
    memory hazard); ``ping_interval`` and ``ping_timeout`` keep the connection checked while idle;
    ``close_timeout`` bounds the wait for the server's answer to our close; ``max_queue`` is how many
    received messages wait for the reader before the socket stops reading (and so stops seeing pongs).
    """

    async def attempt(left: float | None) -> ClientConnection:
        try:
            return await connect(
                req.url,
                additional_headers=dict(req.headers),
                user_agent_header=req.headers.get("User-Agent", USER_AGENT),
                open_timeout=_open_timeout(req, left),
                max_size=max_size,
                ping_interval=ping_interval,
                ping_timeout=ping_timeout,
                close_timeout=close_timeout,
                max_queue=max_queue,
                compression=None,
            )
        except (InvalidHandshake, WebSocketException, OSError, TimeoutError) as exc:
            raise _handshake_error(exc) from exc

    return await call_with_retry(policy, attempt, repeat=req.repeat, what=req.what, budget=budget)
