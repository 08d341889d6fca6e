"""Sending over aiohttp: the one place aiohttp's and asyncio's exceptions become axio-omni errors.

:func:`open_response` sends a prepared :class:`~.request.Request` through the retry loop and returns
a response whose status is 2xx; whatever is read from it afterwards is outside the loop and never
repeated. :func:`read_all` reads a whole body inside the loop (a ``SAFE`` request whose body is cut
is sent again, since nothing reached the caller). :func:`read_chunk` reads the next piece of a stream.

Time limits (``timeouts.py``): ``Timeouts.connect`` is aiohttp's ``sock_connect`` (the connection
itself, not the wait for a free one in the pool), ``Timeouts.read`` its ``sock_read`` (each silence,
the first byte included); the retry loop's deadline bounds each attempt until its response starts,
pool wait included; a call's :class:`~axio_omni.timeouts.Budget` bounds every await.

A request is never written into a connection the server is closing: idle connections are dropped
before common servers' 5 s idle timeout (``PoolSettings.keepalive_timeout``), ``Connection: close``
is honoured (aiohttp does), and the connection of a streamed response from llama.cpp, whose server
closes it right after every stream while announcing keep-alive, is never returned to the pool.
"""

from __future__ import annotations

import asyncio
import io
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any

import aiohttp

from ..calls import CallRecord, watched_call
from ..errors import (
    APIConnectionError,
    APITimeoutError,
    ConnectError,
    OmniError,
    Phase,
    StreamCutError,
)
from ..retry import RetryPolicy, call_with_retry, parse_retry_after, parse_should_retry
from ..timeouts import Budget, Timeouts
from ..wire.error_body import error_for_status
from ..wire.rate_limits import read_rate_headers
from .request import Request

__all__ = ["Body", "finish", "open_response", "read_all", "read_chunk", "status_error", "translate"]

#: The most of an error body that is read; a proxy's error page can be large.
_MAX_ERROR_BODY = 64 * 1024
#: aiohttp's own threshold for a bytes body that it warns may stall the event loop.
_LARGE_BODY = 2**20
_NETWORK_ERRORS = (aiohttp.ClientError, OSError, TimeoutError, asyncio.TimeoutError)


def translate(exc: BaseException, phase: Phase) -> OmniError:
    """An aiohttp/asyncio/OS failure as an axio-omni error, in ``phase``."""
    what = str(exc) or type(exc).__name__
    if phase is Phase.RESPONSE_STARTED:
        if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
            return APITimeoutError(f"the response stalled longer than Timeouts.read: {what}", phase=phase)
        return StreamCutError(f"the response was cut: {type(exc).__name__}: {what}", phase=phase)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return APITimeoutError(f"no connection within Timeouts.connect: {what}", phase=Phase.BEFORE_SENDING)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ConnectError(f"could not connect to the server: {what}", phase=Phase.BEFORE_SENDING)
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return APITimeoutError(f"no response within Timeouts.read: {what}", phase=phase)
    return APIConnectionError(f"the server did not answer: {type(exc).__name__}: {what}", phase=phase)


@lru_cache(maxsize=64)
def _client_timeout(timeouts: Timeouts, pool_wait: float | None = None) -> aiohttp.ClientTimeout:
    # No ``total``: a streamed body may take as long as it takes. aiohttp's ``connect`` includes the
    # wait for a pooled connection: ``pool_wait`` when the deadline is left to aiohttp's own timers.
    return aiohttp.ClientTimeout(total=None, connect=pool_wait, sock_connect=timeouts.connect, sock_read=timeouts.read)


def _payload(body: bytes | Callable[[], Any] | None) -> Any:
    """``body`` as aiohttp should send it, fresh for each attempt; a large one as a stream."""
    if callable(body):
        return body()
    if isinstance(body, bytes) and len(body) > _LARGE_BODY:
        return io.BytesIO(body)
    return body


def status_error(status: int, headers: Mapping[str, str], body: bytes) -> OmniError:
    """The typed error for an error status, its headers (any case) and body."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return error_for_status(
        status,
        body,
        request_id=lowered.get("x-request-id"),
        retry_after=parse_retry_after(lowered),
        should_retry=parse_should_retry(lowered),
    )


async def _send_once(session: aiohttp.ClientSession, req: Request, left: float | None) -> aiohttp.ClientResponse:
    if req.pace is None:
        return await _send(session, req, left)
    limiter, tokens = req.pace
    wait = limiter.book(tokens) if limiter.shared is None else await limiter.shared.reserve(tokens)
    if wait > 0:
        await limiter.sleep(wait)
    try:
        resp = await _send(session, req, left)
    except OmniError as error:
        limiter.settle(tokens, getattr(error, "rate_headers", None))
        raise
    limiter.settle(tokens, read_rate_headers(resp.headers) if limiter.follow_headers else None)
    return resp


async def _send(session: aiohttp.ClientSession, req: Request, left: float | None) -> aiohttp.ClientResponse:
    read = req.timeouts.read
    if left is not None and read is not None and left > read + 1.0:
        # The deadline is far: aiohttp's own timers keep the attempt within it (the wait for the
        # answer by ``sock_read``, and where the pool can make a request wait for a connection, that
        # wait by ``connect``), so it needs no timer of its own: a scheduled callback per request.
        connector = session.connector
        limited = connector is None or connector.limit or connector.limit_per_host
        timeout = _client_timeout(req.timeouts, float(math.floor(left - read)) if limited else None)
        left = None
    else:
        timeout = _client_timeout(req.timeouts)
    # raise_for_status=False: a caller's own session may raise on errors, which would hide the body.
    sending = session.request(
        req.method, req.url, data=_payload(req.body), headers=req.headers, timeout=timeout, raise_for_status=False
    )
    try:
        if left is None:
            resp = await sending
        else:
            async with asyncio.timeout(left) as limit:
                resp = await sending
    except _NETWORK_ERRORS as exc:
        if left is not None and limit.expired():
            # Waiting for a pooled connection, connecting or awaiting the server: which, aiohttp does
            # not say, so the request counts as possibly sent. The deadline is spent either way.
            raise APITimeoutError(
                f"{req.what}: no response within {left:.3g}s (a free connection, the connection, then the server)",
                phase=Phase.AWAITING_RESPONSE,
            ) from exc
        raise translate(exc, Phase.AWAITING_RESPONSE) from exc
    if resp.status < 400:
        return resp
    try:
        body = await resp.content.read(_MAX_ERROR_BODY)
    except _NETWORK_ERRORS:
        body = b""
    finally:
        resp.release()
    error = status_error(resp.status, resp.headers, body)
    if req.pace is not None:
        # A refusal (a 429 above all) carries the server's count too.
        error.rate_headers = read_rate_headers(resp.headers)
    raise error


async def open_response(
    session: aiohttp.ClientSession,
    req: Request,
    policy: RetryPolicy,
    *,
    budget: Budget | None = None,
    record: CallRecord | None = None,
) -> aiohttp.ClientResponse:
    """Send ``req`` until a 2xx response starts, as its ``repeat`` and ``policy`` allow; the caller reads it
    (with :func:`read_chunk`) and hands it back with :func:`finish`, with the same ``record``."""

    # A partial, not a closure: calling it makes the send's own coroutine, one frame less per request.
    attempt = partial(_send if req.pace is None else _send_once, session, req)
    try:
        resp = await _attempts(req, policy, attempt, budget, record)
    except OmniError as error:
        if record is not None:
            record.finished(error)
        raise
    if record is not None:
        record.responded(resp.status, resp.headers.get("x-request-id"), len(record.retries) + 1)
    if resp.headers.get("Server", "").startswith("llama.cpp"):
        # llama.cpp's server closes the connection right after every streamed response while
        # announcing ``Keep-Alive: timeout=5``; pooled, it would take the next request into the void.
        # aiohttp returns a connection to the pool as soon as the body ends, so it is marked now.
        connection = resp.connection
        if connection is not None and connection.protocol is not None:
            connection.protocol.force_close()
    return resp


def _attempts[T](
    req: Request,
    policy: RetryPolicy,
    attempt: Callable[[float | None], Awaitable[T]],
    budget: Budget | None,
    record: CallRecord | None,
) -> Awaitable[T]:
    """The retry loop for ``req`` (its own coroutine, no frame around it), with the account's retry
    throttle, noting retries on ``record``; the caller notes a failure that ends the call."""
    throttle = req.pace[0].throttle if req.pace is not None else None
    on_retry = record.retried if record is not None else None
    return call_with_retry(
        policy, attempt, repeat=req.repeat, what=req.what, budget=budget, throttle=throttle, on_retry=on_retry
    )


def finish(resp: aiohttp.ClientResponse, complete: bool, record: CallRecord | None = None) -> None:
    """Hand a streamed response back: its connection to the pool when read to the end, else closed.

    A response left half-read cannot carry another request. ``record``, if any, ends here.
    """
    if record is not None and record.duration_s is None:
        record.finished()
    if complete:
        resp.release()
    else:
        resp.close()


async def read_chunk(resp: aiohttp.ClientResponse, budget: Budget | None = None) -> bytes:
    """The next bytes of ``resp`` (empty at the end); a failure is a cut stream, a stall, or the budget spent."""
    if budget is not None:
        return await _read(resp, resp.content.readany, budget)
    try:  # the common, unbounded call reads directly: this runs for every chunk of every stream
        return await resp.content.readany()
    except _NETWORK_ERRORS as exc:
        raise _cut(resp, exc, None) from exc


async def read_rest(resp: aiohttp.ClientResponse, budget: Budget | None = None) -> bytes:
    """The rest of ``resp``'s body, whole; a failure is a cut stream, a stall, or the budget spent."""
    return await _read(resp, resp.read, budget)


async def _read(resp: aiohttp.ClientResponse, read: Callable[[], Awaitable[bytes]], budget: Budget | None) -> bytes:
    """``read()`` from ``resp``'s body, within the call's budget; failures as axio-omni errors."""
    try:
        if budget is None:
            return await read()
        async with asyncio.timeout(budget.remaining()):
            return await read()
    except _NETWORK_ERRORS as exc:
        raise _cut(resp, exc, budget) from exc


def _cut(resp: aiohttp.ClientResponse, exc: BaseException, budget: Budget | None) -> OmniError:
    """The error for a read of ``resp`` that failed with ``exc``: the budget spent, a stall, or a cut."""
    if budget is not None and budget.remaining() <= 0:
        error: OmniError = APITimeoutError(
            f"the call did not finish within the Timeouts.total of {budget.total:g}s", phase=Phase.RESPONSE_STARTED
        )
    else:
        error = translate(exc, Phase.RESPONSE_STARTED)
    error.status = resp.status
    error.request_id = resp.headers.get("x-request-id")
    return error


@dataclass(frozen=True, slots=True)
class Body:
    """A whole response body, its media type, and the response's headers."""

    data: bytes
    content_type: str
    headers: Mapping[str, str] = field(default_factory=dict)
    status: int = 200


async def read_all(
    session: aiohttp.ClientSession, req: Request, policy: RetryPolicy, *, budget: Budget | None = None
) -> Body:
    """A whole response body; the read is part of the attempt, so a ``SAFE`` request whose body is cut
    is sent again (nothing of it reached the caller). Recorded when a ``calls.recording`` is open."""

    async def attempt(left: float | None) -> Body:
        resp = await _send_once(session, req, left)
        try:
            data = await read_rest(resp, budget)
            return Body(data, resp.headers.get("Content-Type", ""), resp.headers, resp.status)
        finally:
            resp.release()

    record = watched_call(req.what)
    try:
        body = await _attempts(req, policy, attempt, budget, record)
    except OmniError as error:
        if record is not None:
            record.finished(error)
        raise
    if record is not None:
        record.responded(body.status, body.headers.get("x-request-id"), len(record.retries) + 1)
        record.finished()
    return body
