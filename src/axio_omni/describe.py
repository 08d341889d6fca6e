"""One human line for any error a transport raises: what went wrong, the server's words, its status
and request id (what a provider's support asks for). For the status lines of axio-tui and axio-repl,
which show ``format_error(error)`` where they would otherwise show ``str(error)``."""

from __future__ import annotations

import re

import aiohttp

from . import errors as E

__all__ = ["format_error"]

#: The most specific class first: the first match names the failure.
_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (E.ConfigurationError, "Invalid setting"),
    (E.PlaceholderUsedError, "No transport configured"),
    (E.AuthenticationError, "API key refused"),
    (E.PermissionDeniedError, "Not permitted"),
    (E.NotFoundError, "Not found"),
    (E.ContentPolicyError, "Refused by the content policy"),
    (E.RateLimitError, "Rate limited"),
    (E.RetryWaitTooLongError, "Rate limited"),
    (E.RequestTooLargeError, "Request too large"),
    (E.BadRequestError, "Request refused"),
    (E.InternalServerError, "Server error"),
    (E.APIStatusError, "Server refused"),
    (E.VideoJobTimeoutError, "Video job timed out"),
    (E.ConnectError, "Cannot reach the server"),
    (E.APITimeoutError, "Timed out"),
    (E.APIConnectionError, "Connection failed"),
    (E.StreamCutError, "Stream cut short"),
    (E.RealtimeServerError, "Realtime session error"),
    (E.InBandError, "Server error in the stream"),
    (E.SessionClosedError, "Session closed"),
    (E.IncompleteResultError, "Incomplete result"),
    (E.VideoJobFailedError, "Video job failed"),
    (E.MalformedResponseError, "Unreadable answer"),
    (E.OmniError, "Error"),
    (TimeoutError, "Timed out"),
    (ConnectionError, "Connection failed"),
    (aiohttp.ClientConnectionError, "Connection failed"),
)
_MAX_MESSAGE = 300


def _one_line(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def format_error(error: BaseException) -> str:
    """``error`` as one line: ``Rate limited: <message> (HTTP 429, code rate_limit_exceeded, retry in
    2s, request req_123)``. Registered secrets are never shown; foreign errors are named by type."""
    kind = next((label for cls, label in _KINDS if isinstance(error, cls)), None)
    if not isinstance(error, E.OmniError):
        message = _one_line(E.redact(str(error)))
        return f"{kind or type(error).__name__}: {message}" if message else (kind or type(error).__name__)
    facts = []
    if error.status is not None:
        facts.append(f"HTTP {error.status}")
    if error.code:
        facts.append(f"code {error.code}")
    retry_after = getattr(error, "retry_after", None)
    if isinstance(retry_after, (int, float)) and retry_after > 0:
        facts.append(f"retry in {retry_after:g}s")
    if error.attempts is not None and error.attempts > 1:
        facts.append(f"{error.attempts} attempts")
    if error.request_id:
        facts.append(f"request {error.request_id}")
    line = f"{kind}: {_one_line(error.message)}" if error.message else str(kind)
    return f"{line} ({', '.join(facts)})" if facts else line
