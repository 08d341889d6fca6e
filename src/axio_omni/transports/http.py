"""The HTTP boundary: the only place aiohttp's and asyncio's exceptions become axio-omni errors.

:func:`open_response` sends one request through the retry loop and returns a response whose status
is 2xx; everything read from it afterwards is outside the loop and never retried.
:func:`read_chunk` reads the next piece of a body and translates a failure there.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace

import aiohttp
from multidict import CIMultiDictProxy

from ..errors import (
    APIConnectionError,
    APITimeoutError,
    ConnectError,
    OmniError,
    StreamCutError,
    error_for_status,
)
from ..pool import REUSED
from ..retry import RetryPolicy, call_with_retry, parse_retry_after, parse_should_retry

__all__ = ["Body", "Request", "finish", "open_response", "read_all", "read_chunk", "redact"]

#: The most of an error body that is read; a proxy's error page can be large.
_MAX_ERROR_BODY = 64 * 1024


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request, prepared once and sent as often as the retry policy allows."""

    method: str
    url: str
    headers: Mapping[str, str]
    #: Bytes, or a factory for a body aiohttp can send only once (multipart forms), called per attempt.
    body: bytes | Callable[[], aiohttp.FormData] | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    #: The key to scrub from anything the server echoes back into an error.
    secret: str | None = None
    #: Whether a body read that fails may be retried (only for requests that change nothing).
    idempotent: bool = False


def redact(text: str | None, secret: str | None) -> str | None:
    """``text`` with every occurrence of ``secret`` replaced, so an echoed key never reaches an error."""
    if text is None or not secret:
        return text
    return text.replace(secret, "***")


def _scrub(error: OmniError, secret: str | None) -> OmniError:
    if secret:
        error.message = redact(error.message, secret) or ""
        error.args = (error.message,)
        if isinstance(error.body, str):
            error.body = redact(error.body, secret)
    return error


def translate(exc: BaseException, *, started: bool, secret: str | None = None) -> OmniError:
    """An aiohttp/asyncio/OS failure as an axio-omni error; ``started`` says a response had begun."""
    what = redact(str(exc), secret) or type(exc).__name__
    if started:
        if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
            return APITimeoutError(f"the response stalled: {what}")
        return StreamCutError(f"the response was cut: {type(exc).__name__}: {what}")
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return APITimeoutError(f"no response in time: {what}")
    if isinstance(exc, aiohttp.ClientConnectorError) and not isinstance(exc, aiohttp.ClientSSLError):
        return ConnectError(f"could not connect to the server: {what}")
    return APIConnectionError(f"could not reach the server: {type(exc).__name__}: {what}")


_NETWORK_ERRORS = (aiohttp.ClientError, OSError, TimeoutError, asyncio.TimeoutError)


async def _send_once(session: aiohttp.ClientSession, req: Request, remaining: float | None) -> aiohttp.ClientResponse:
    timeout = aiohttp.ClientTimeout(total=remaining, connect=req.connect_timeout, sock_read=req.read_timeout)
    for fresh in (False, True):
        mark = SimpleNamespace(reused=False)
        token = REUSED.set(mark)
        try:
            # raise_for_status=False: a caller's own session may raise on errors, which would hide the body.
            resp = await session.request(
                req.method,
                req.url,
                data=_payload(req.body),
                headers=req.headers,
                timeout=timeout,
                raise_for_status=False,
            )
            break
        except aiohttp.ServerDisconnectedError as exc:
            # A pooled connection the server had closed (llama.cpp closes some after a stream,
            # uvicorn after 5 s idle) fails like this before the request is read: sent again on a
            # new connection it is not a second paid call. A TransportPool's connector says reuse.
            if mark.reused and not fresh:
                continue
            raise translate(exc, started=False, secret=req.secret) from exc
        except _NETWORK_ERRORS as exc:
            raise translate(exc, started=False, secret=req.secret) from exc
        finally:
            REUSED.reset(token)
    if resp.status < 400:
        return resp
    try:
        body = await resp.content.read(_MAX_ERROR_BODY)
    except _NETWORK_ERRORS:
        body = b""
    finally:
        resp.release()
    raise _scrub(_status_error(resp.status, resp.headers, body), req.secret)


#: aiohttp's own threshold for a bytes body that it warns may stall the event loop.
_LARGE_BODY = 2**20


def _payload(body: bytes | Callable[[], aiohttp.FormData] | None) -> bytes | io.BytesIO | aiohttp.FormData | None:
    """``body`` as aiohttp should send it, fresh for each attempt; a large one as a stream."""
    if callable(body):
        return body()
    if isinstance(body, bytes) and len(body) > _LARGE_BODY:
        return io.BytesIO(body)
    return body


def _status_error(status: int, headers: CIMultiDictProxy[str], body: bytes) -> OmniError:
    lowered = {k.lower(): v for k, v in headers.items()}
    return error_for_status(
        status,
        body,
        request_id=lowered.get("x-request-id"),
        retry_after=parse_retry_after(lowered),
        should_retry=parse_should_retry(lowered),
    )


async def open_response(
    session: aiohttp.ClientSession,
    req: Request,
    policy: RetryPolicy,
    *,
    what: str,
    only: Callable[[OmniError], bool] | None = None,
) -> aiohttp.ClientResponse:
    """Send ``req`` until a 2xx response starts, as ``policy`` allows; the caller reads and releases it.

    ``only`` narrows what is retried (speech retries only failures that prove nothing was processed).
    """

    async def attempt(remaining: float | None) -> aiohttp.ClientResponse:
        return await _send_once(session, req, remaining)

    return await call_with_retry(policy, attempt, what=what, only=only)


def finish(resp: aiohttp.ClientResponse, complete: bool) -> None:
    """Hand a streamed response back: to the pool when read to the end, else closed.

    A response left half-read cannot carry another request, so its connection is dropped.
    """
    if complete:
        resp.release()
    else:
        resp.close()


async def read_chunk(resp: aiohttp.ClientResponse, secret: str | None = None) -> bytes:
    """The next bytes of ``resp`` (empty at the end); a failure is a cut stream or a stall."""
    try:
        return await resp.content.readany()
    except _NETWORK_ERRORS as exc:
        raise _with_id(translate(exc, started=True, secret=secret), resp) from exc


@dataclass(frozen=True, slots=True)
class Body:
    """A whole response body and what the headers said of it."""

    data: bytes
    content_type: str
    request_id: str | None


async def read_all(session: aiohttp.ClientSession, req: Request, policy: RetryPolicy, *, what: str) -> Body:
    """A whole response body. An idempotent request whose body read fails is retried."""

    async def attempt(remaining: float | None) -> Body:
        resp = await _send_once(session, req, remaining)
        try:
            return Body(await resp.read(), resp.headers.get("Content-Type", ""), resp.headers.get("x-request-id"))
        except _NETWORK_ERRORS as exc:
            error = _with_id(translate(exc, started=True, secret=req.secret), resp)
            if req.idempotent:
                error.retryable = True
            raise error from exc
        finally:
            resp.release()

    return await call_with_retry(policy, attempt, what=what)


def _with_id(error: OmniError, resp: aiohttp.ClientResponse) -> OmniError:
    error.status = resp.status
    error.request_id = resp.headers.get("x-request-id")
    return error
