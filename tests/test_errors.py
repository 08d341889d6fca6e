"""Errors carry status, request id and the server's words, in one tree under axio's StreamError."""

from __future__ import annotations

import pickle

import pytest
from axio.exceptions import StreamError

from axio_omni import errors as E
from axio_omni.wire.error_body import error_for_status, parse_error_body


@pytest.mark.parametrize(
    ("status", "cls", "retryable"),
    [
        (400, E.BadRequestError, False),
        (401, E.AuthenticationError, False),
        (403, E.PermissionDeniedError, False),
        (404, E.NotFoundError, False),
        (408, E.RequestTimeoutError, True),
        (409, E.ConflictError, True),
        (413, E.RequestTooLargeError, False),
        (422, E.UnprocessableEntityError, False),
        (429, E.RateLimitError, True),
        (500, E.InternalServerError, True),
        (501, E.InternalServerError, False),
        (503, E.InternalServerError, True),
        (418, E.APIStatusError, False),
    ],
)
def test_status_maps_to_class(status: int, cls: type, retryable: bool) -> None:
    err = error_for_status(status, b'{"error": {"message": "m"}}', request_id="req_1")
    assert type(err) is cls and err.retryable is retryable
    assert isinstance(err, StreamError) and err.status == status and err.request_id == "req_1"


@pytest.mark.parametrize(
    ("body", "message", "type_", "code"),
    [
        (
            b'{"error": {"message": "Bad key", "type": "invalid_request_error", "code": "invalid_api_key"}}',
            "Bad key",
            "invalid_request_error",
            "invalid_api_key",
        ),
        (b'{"error": "model not loaded"}', "model not loaded", None, None),
        (
            b'{"error": {"message": "ctx", "code": 400, "type": "invalid_request_error"}}',
            "ctx",
            "invalid_request_error",
            "400",
        ),
        (
            b'{"detail": {"error": {"message": "wrapped", "code": "unsupported_response_format"}}}',
            "wrapped",
            None,
            "unsupported_response_format",
        ),
        (b'{"detail": "Not Found"}', "Not Found", None, None),
        (
            b'{"detail": [{"loc": ["body", "x"], "msg": "field required", "type": "missing"}]}',
            "field required",
            None,
            None,
        ),
        (b"Internal Server Error", "Internal Server Error", None, None),
        (b'{"message": "top-level message"}', "top-level message", None, None),
        (b"", None, None, None),
    ],
)
def test_error_body_variants(body: bytes, message: str | None, type_: str | None, code: str | None) -> None:
    parsed = parse_error_body(body)
    assert (parsed["message"], parsed["type"], parsed["code"]) == (message, type_, code)


def test_message_and_str_name_status_code_and_request_id() -> None:
    err = error_for_status(
        429, b'{"error": {"message": "slow", "code": "rate_limit"}}', request_id="r9", retry_after=2.0
    )
    assert isinstance(err, E.RateLimitError) and err.retry_after == 2.0
    assert str(err) == "slow (status=429, code=rate_limit, request_id=r9)"


def test_os_and_timeout_leaves_keep_existing_except_clauses_working() -> None:
    assert issubclass(E.APIConnectionError, OSError)
    assert issubclass(E.APITimeoutError, TimeoutError) and issubclass(E.APITimeoutError, E.APIConnectionError)
    assert issubclass(E.StreamCutError, OSError)
    assert issubclass(E.ConfigurationError, ValueError)


def test_errors_pickle_with_their_attributes() -> None:
    err = error_for_status(503, b'{"error": {"message": "busy"}}', request_id="r", retry_after=1.5)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is E.InternalServerError and back.status == 503 and back.retry_after == 1.5


@pytest.mark.parametrize("code", ["content_policy_violation", "moderation_blocked"])
def test_a_content_policy_refusal_is_its_own_error(code: str) -> None:
    err = error_for_status(400, f'{{"error": {{"message": "refused", "code": "{code}"}}}}'.encode())
    assert isinstance(err, E.ContentPolicyError) and isinstance(err, E.BadRequestError)
    assert not err.retryable and err.code == code


def test_an_incomplete_result_keeps_what_arrived() -> None:
    err = E.IncompleteResultError("asked for 3 images, 2 arrived", results=[b"a", b"b"])
    assert err.results == [b"a", b"b"] and pickle.loads(pickle.dumps(err)).results == [b"a", b"b"]
