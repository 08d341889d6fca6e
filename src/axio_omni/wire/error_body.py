"""What a server's error answer says, read from its body, and the typed error for its status (sans-I/O).

Servers disagree on the shape: OpenAI's ``{"error": {...}}``, a bare ``{"error": "text"}``
(stable-diffusion.cpp, LocalAI), a numeric ``code``, FastAPI's ``{"detail": ...}`` (ElevenLabs and
most Python servers), a top-level ``{"message": ...}``, or no JSON at all. All reach the typed error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ContentPolicyError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    Phase,
    RateLimitError,
    RequestTimeoutError,
    RequestTooLargeError,
    UnprocessableEntityError,
)

__all__ = ["error_for_status", "parse_error_body"]

#: How much of an unreadable body a message quotes; a proxy's HTML page is not worth more.
_BODY_EXCERPT = 500
#: Codes that mean a content-policy refusal, which asking again will not change.
_POLICY_CODES = frozenset({"content_policy_violation", "moderation_blocked", "content_filter"})

_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: RequestTimeoutError,
    409: ConflictError,
    413: RequestTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _text(value: Any) -> str | None:
    """A body field as text: servers send codes as strings, numbers or null."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value)


def parse_error_body(body: bytes | str | None) -> dict[str, str | None]:
    """What an error body says, as ``message``, ``type``, ``code`` and ``param``.

    Reads OpenAI's ``{"error": {"message", "type", "code", "param"}}`` and the variants compatible
    servers send: ``{"error": "text"}``, a numeric ``code``, FastAPI's ``{"detail": ...}`` wrapper
    (around a string, a list of validation errors, or OpenAI's own shape), a top-level
    ``{"message": ...}``, and a body that is not JSON at all (quoted, shortened).
    """
    out: dict[str, str | None] = {"message": None, "type": None, "code": None, "param": None}
    if body is None:
        return out
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data: Any = json.loads(raw)
    except ValueError:
        text = raw.strip()
        out["message"] = text[:_BODY_EXCERPT] or None
        return out
    if isinstance(data, Mapping) and "detail" in data and "error" not in data:
        data = data["detail"]
        if isinstance(data, list):
            # FastAPI's validation errors: [{"loc": [...], "msg": "...", "type": "..."}].
            msgs = [str(d.get("msg", d)) if isinstance(d, Mapping) else str(d) for d in data]
            out["message"] = "; ".join(msgs) or None
            return out
    if isinstance(data, str):
        out["message"] = data
        return out
    if not isinstance(data, Mapping):
        out["message"] = raw.strip()[:_BODY_EXCERPT] or None
        return out
    err = data.get("error", data)
    if isinstance(err, str):
        out["message"] = err
        out["type"] = _text(data.get("type"))
        out["code"] = _text(data.get("code"))
        return out
    if isinstance(err, Mapping):
        out["message"] = _text(err.get("message")) or _text(err.get("msg"))
        out["type"] = _text(err.get("type"))
        out["code"] = _text(err.get("code"))
        out["param"] = _text(err.get("param"))
    return out


def error_for_status(
    status: int,
    body: bytes | str | None,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
    should_retry: bool | None = None,
) -> APIStatusError:
    """The typed error for an HTTP error status and its body."""
    fields = parse_error_body(body)
    message = fields.pop("message") or f"HTTP {status}"
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = InternalServerError if status >= 500 else APIStatusError
    if status == 400 and fields["code"] in _POLICY_CODES:
        cls = ContentPolicyError
    err = cls(
        message,
        status=status,
        request_id=request_id,
        retry_after=retry_after,
        should_retry=should_retry,
        body=body if isinstance(body, str) else (body.decode("utf-8", "replace") if body else None),
        phase=Phase.RESPONSE_STARTED,
        **fields,
    )
    return err
