"""The one exception tree every axio-omni transport raises.

::

    axio.exceptions.StreamError
    └── OmniError                      status, request_id, message, type, code, phase, retryable
        ├── ConfigurationError         (also ValueError) a bad setting or argument; nothing was sent
        ├── PlaceholderUsedError       (also RuntimeError) a Dummy transport was asked to do real work
        ├── APIStatusError             the server answered with an error status
        │   ├── BadRequestError            400
        │   │   ├── UnprocessableEntityError   422
        │   │   └── ContentPolicyError     refused under the content policy
        │   ├── AuthenticationError        401
        │   ├── PermissionDeniedError      403
        │   ├── NotFoundError              404
        │   ├── ConflictError              409
        │   ├── RequestTimeoutError        408
        │   ├── RequestTooLargeError       413
        │   ├── RateLimitError             429, with ``retry_after``
        │   ├── InternalServerError        5xx
        │   └── RetryWaitTooLongError      the server asked us to wait longer than the policy allows
        ├── APIConnectionError         (also OSError) no response: refused, reset, DNS
        │   ├── ConnectError           no connection was made, so nothing was sent
        │   └── APITimeoutError        (also TimeoutError) no response in time
        │       └── VideoJobTimeoutError   a video job outlived its deadline: ``video_id`` to resume
        ├── StreamCutError             (also OSError) a stream that started ended early
        ├── InBandError                the server reported an error inside a stream it had begun
        │   └── RealtimeServerError    an ``error`` event of a realtime session, with its ``event_id``
        ├── SessionClosedError         (also OSError) a realtime session closed for good: ``close_code``
        ├── IncompleteResultError      fewer paid results than asked; ``results`` holds those that came
        ├── VideoJobFailedError        a video job ended ``failed`` (its ``code``, ``message``, ``video_id``)
        └── MalformedResponseError     a response we cannot read: bad JSON, an oversized event

``OmniError`` carries what the server said and never what the caller sent: no header, no body
field and no URL query reaches a message. A server may still echo a key back (into a message, a
code, a param, a body, an in-band error chunk), so every field of every error is redacted as it is
set, here and nowhere else: each key a transport sends is registered with :func:`register_secret`,
and ``str(error)``, ``vars(error)``, pickles, tracebacks and log lines then show ``***`` instead.
Foreign exceptions (aiohttp's, asyncio's, websockets') are translated in the transports' I/O layer.

``phase`` says how far the failed request got (:class:`Phase`), which decides whether it may be sent
again (``retry.may_repeat``) and tells a caller whether the server may have done the work.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from axio.exceptions import StreamError

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "ConnectError",
    "ContentPolicyError",
    "InBandError",
    "IncompleteResultError",
    "InternalServerError",
    "MalformedResponseError",
    "NotFoundError",
    "OmniError",
    "PermissionDeniedError",
    "Phase",
    "PlaceholderUsedError",
    "RateLimitError",
    "RealtimeServerError",
    "RequestTimeoutError",
    "RequestTooLargeError",
    "RetryWaitTooLongError",
    "SessionClosedError",
    "StreamCutError",
    "UnprocessableEntityError",
    "VideoJobFailedError",
    "VideoJobTimeoutError",
    "redact",
    "register_secret",
    "transient",
]

#: Keys shorter than this are not redacted: replacing a short string everywhere would garble messages.
_MIN_SECRET = 8
#: Every key this process has sent. Never pruned: a key forgotten here would leak into later errors.
_SECRETS: set[str] = set()


class Phase(enum.Enum):
    """How far a failed request got; whether it may be repeated depends on it."""

    #: Nothing reached the server: no connection, or none free before the deadline.
    BEFORE_SENDING = "before sending"
    #: The request was (or may have been) sent, and no response began: the server may have read it.
    AWAITING_RESPONSE = "sent, no response"
    #: A response began: an error status, or a body that failed while being read.
    RESPONSE_STARTED = "response started"


def register_secret(secret: str | None) -> None:
    """Redact ``secret`` from every error made from now on (keys of at least 8 characters)."""
    if secret and len(secret) >= _MIN_SECRET:
        _SECRETS.add(secret)


def redact(value: Any) -> Any:
    """``value`` with every registered secret replaced by ``***``, in strings, mappings and lists alike."""
    if isinstance(value, str):
        if _SECRETS:
            for secret in _SECRETS:
                if secret in value:
                    value = value.replace(secret, "***")
        return value
    if isinstance(value, Mapping):
        return {redact(k): redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    return value


class OmniError(StreamError):
    """Base of every axio-omni error.

    ``status`` is the HTTP status where there was one, ``request_id`` the server's ``x-request-id``,
    ``message``/``type``/``code``/``param`` what the error body said, ``phase`` how far the request
    got, ``attempts`` how many times it was sent (set by the retry loop), and ``retryable`` whether
    the same request may yet succeed. ``inputs`` names the inputs of a batched call (embeddings)
    that the failed request held. Every field is redacted of registered secrets when it is set.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        body: Any = None,
        phase: Phase | None = None,
    ) -> None:
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.type = type
        self.code = code
        self.param = param
        self.body = body
        self.phase = phase
        self.attempts: int | None = None
        self.inputs: tuple[int, ...] | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        # The one place every field passes through, whoever sets it and whenever.
        super().__setattr__(name, redact(value))
        if name == "message":
            self.args = (self.message,)

    @property
    def retryable(self) -> bool:
        """Whether the same request may yet succeed: the server's ``x-should-retry``, else :func:`transient`."""
        verdict = getattr(self, "should_retry", None)
        return verdict if isinstance(verdict, bool) else transient(self)

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.code:
            parts.append(f"code={self.code}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        if self.attempts is not None and self.attempts > 1:
            parts.append(f"attempts={self.attempts}")
        return parts[0] if len(parts) == 1 else f"{parts[0]} ({', '.join(parts[1:])})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only attributes survive pickling (multiprocessing, task queues).
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[OmniError], message: str, state: dict[str, Any]) -> OmniError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class ConfigurationError(OmniError, ValueError):
    """A setting or argument is invalid; raised before anything is sent."""


class PlaceholderUsedError(OmniError, RuntimeError):
    """A Dummy placeholder transport was used; configure a real one."""


class APIStatusError(OmniError):
    """The server answered with an error status.

    ``retry_after`` is the wait the server asked for in seconds (``retry-after-ms`` or
    ``Retry-After``), ``should_retry`` its ``x-should-retry`` verdict, each None where it gave none.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, should_retry: bool | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.should_retry = should_retry


class BadRequestError(APIStatusError):
    """400: the request is malformed or refers to something invalid."""


class UnprocessableEntityError(BadRequestError):
    """422: the request was well formed but its content was refused."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, wrong or revoked."""


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but not allowed to do this."""


class NotFoundError(APIStatusError):
    """404: no such model, route or object."""


class ConflictError(APIStatusError):
    """409: the resource changed under the request; transient."""


class RequestTimeoutError(APIStatusError):
    """408: the server gave up waiting for the request, so it did not process it; transient."""


class RequestTooLargeError(APIStatusError):
    """413: the request body is larger than the server accepts."""


class RateLimitError(APIStatusError):
    """429: too many requests or tokens; ``retry_after`` is the server's wait in seconds, if any."""


class InternalServerError(APIStatusError):
    """5xx: the server failed; transient except 501 Not Implemented."""


class RetryWaitTooLongError(APIStatusError):
    """The server asked for a wait longer than the retry policy's ``max_wait``; raised instead of sleeping.

    ``wait`` is what the server asked for; ``__cause__`` is the status error that carried it.
    """

    def __init__(self, message: str, *, wait: float, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.wait = wait


class APIConnectionError(OmniError, OSError):
    """No response: the connection was refused, reset or could not be resolved; transient."""


class ConnectError(APIConnectionError):
    """No connection could be made (refused, unreachable, DNS): the request was certainly not processed."""


class APITimeoutError(APIConnectionError, TimeoutError):
    """No response in time: connecting, a silence longer than ``Timeouts.read``, the retry deadline, or
    the call's ``Timeouts.total``."""


class StreamCutError(OmniError, OSError):
    """A response that had started ended early: closed mid-stream, or without its end marker.

    The server may have done (and billed) the work, so it is sent again only where repeating is safe
    and nothing of it reached the caller (a whole body read for a ``GET``); never for a stream.
    """


class InBandError(OmniError):
    """The server reported an error inside a stream it had begun (an error chunk or ``event: error``)."""


class RealtimeServerError(InBandError):
    """An ``error`` event in a realtime session; ``event_id`` names the client event it answers."""

    def __init__(self, message: str, *, event_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.event_id = event_id


class SessionClosedError(OmniError, OSError):
    """A realtime session's WebSocket closed and will not be reopened: ``close_code`` and ``reason`` say why."""

    def __init__(self, message: str, *, close_code: int | None = None, reason: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.close_code, self.reason = close_code, reason


class ContentPolicyError(BadRequestError):
    """The server refused the prompt or an input image under its content policy (``moderation_blocked``,
    ``content_policy_violation``): the same request will be refused again."""


class IncompleteResultError(OmniError):
    """A call of several paid requests got fewer results than asked: ``results`` holds what did arrive
    (in order, already paid for), ``errors`` every failure, and ``__cause__`` the first."""

    def __init__(
        self, message: str, *, results: list[Any] | None = None, errors: list[OmniError] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.results = results or []
        self.errors = errors or []


class VideoJobFailedError(OmniError):
    """A video job ended ``failed``: ``code`` and ``message`` are the job's own error, ``video_id`` the job."""

    def __init__(self, message: str, *, video_id: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.video_id = video_id


class VideoJobTimeoutError(APITimeoutError):
    """A video job outlived ``PollPolicy.deadline``; it may still finish: ``resume(video_id)`` waits for it
    and downloads it without paying for a second one."""

    def __init__(self, message: str, *, video_id: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.video_id = video_id


class MalformedResponseError(OmniError):
    """A response that cannot be read: invalid JSON, an unexpected shape, an event over the size bound."""


def transient(error: OmniError) -> bool:
    """Whether ``error`` is the kind of failure that asking again may cure.

    408, 409, 429 and 5xx except 501 (Not Implemented stays so); connection failures, timeouts and
    cut responses. Whether a request *may* be asked again is ``retry.may_repeat``'s decision, which
    also weighs what repeating it would cost and how far it got.
    """
    if isinstance(error, APIStatusError):
        status = error.status or 0
        return status in (408, 409, 429) or (status >= 500 and status != 501)
    return isinstance(error, (APIConnectionError, StreamCutError))
