"""The retry policy: pure decisions, and one loop that never waits longer than asked or allowed."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from axio_omni import errors as E
from axio_omni.retry import RetryPolicy, call_with_retry, parse_retry_after, parse_should_retry

FAST = RetryPolicy(initial_delay=0.001, max_delay=0.004, max_retries=3)


def test_defaults_are_the_official_sdks() -> None:
    p = RetryPolicy()
    assert (p.max_retries, p.initial_delay, p.max_delay) == (2, 0.5, 8.0)


def test_retry_after_ms_wins_then_seconds_then_date() -> None:
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    now = time.time()
    date = format_datetime(datetime.fromtimestamp(now, UTC) + timedelta(seconds=30), usegmt=True)
    wait = parse_retry_after({"retry-after": date}, now=now)
    assert wait is not None and 29 <= wait <= 31


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "soon", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_unreadable_or_past_retry_after_says_nothing(value: str) -> None:
    assert parse_retry_after({"retry-after": value}) is None


def test_should_retry_header() -> None:
    assert parse_should_retry({"x-should-retry": "true"}) is True
    assert parse_should_retry({"x-should-retry": "FALSE"}) is False
    assert parse_should_retry({}) is None


def test_backoff_doubles_caps_and_jitters_down() -> None:
    p = RetryPolicy()
    assert [p.backoff(n, 0.0) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert p.backoff(1, 0.999) == pytest.approx(0.5 * (1 - 0.25 * 0.999))


def status(code: int, **kw: object) -> E.APIStatusError:
    return E.error_for_status(code, None, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("code", [408, 409, 429, 500, 502, 503, 504])
def test_retryable_statuses(code: int) -> None:
    assert RetryPolicy().delay_for(status(code), 1, 0.0) == 0.5


@pytest.mark.parametrize("code", [400, 401, 403, 404, 422, 501])
def test_final_statuses(code: int) -> None:
    assert RetryPolicy().delay_for(status(code), 1, 0.0) is None


def test_x_should_retry_overrides_status() -> None:
    assert RetryPolicy().delay_for(status(400, should_retry=True), 1, 0.0) == 0.5
    assert RetryPolicy().delay_for(status(503, should_retry=False), 1, 0.0) is None


def test_server_wait_is_honoured_and_too_long_a_wait_raises() -> None:
    assert RetryPolicy().delay_for(status(429, retry_after=3.0), 1, 0.0) == 3.0
    with pytest.raises(E.RetryWaitTooLongError) as info:
        RetryPolicy(max_wait=5).delay_for(status(429, retry_after=3600.0), 1, 0.0)
    assert info.value.wait == 3600.0 and isinstance(info.value.__cause__, E.RateLimitError)


def test_no_retry_after_max_retries() -> None:
    assert RetryPolicy(max_retries=1).delay_for(status(503), 2, 0.0) is None


@pytest.mark.parametrize(
    "bad", [{"max_retries": -1}, {"initial_delay": -1.0}, {"jitter": 2.0}, {"multiplier": 0.5}, {"deadline": 0.0}]
)
def test_invalid_policy_names_the_field(bad: dict[str, float]) -> None:
    with pytest.raises(E.ConfigurationError, match=next(iter(bad))):
        RetryPolicy(**bad)  # type: ignore[arg-type]


def test_policy_is_frozen_and_round_trips() -> None:
    p = RetryPolicy(max_retries=5, deadline=None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.max_retries = 1  # type: ignore[misc]
    assert RetryPolicy.from_dict(p.to_dict()) == p


async def test_loop_retries_until_success() -> None:
    seen: list[float | None] = []

    async def attempt(remaining: float | None) -> str:
        seen.append(remaining)
        if len(seen) < 3:
            raise status(503)
        return "ok"

    assert await call_with_retry(FAST, attempt) == "ok"
    assert len(seen) == 3 and all(r is not None and r > 0 for r in seen)


async def test_loop_gives_up_after_max_retries_with_the_last_error() -> None:
    calls = 0

    async def attempt(remaining: float | None) -> str:
        nonlocal calls
        calls += 1
        raise E.APIConnectionError("refused")

    with pytest.raises(E.APIConnectionError):
        await call_with_retry(FAST, attempt)
    assert calls == 4


async def test_loop_does_not_retry_a_final_error() -> None:
    calls = 0

    async def attempt(remaining: float | None) -> str:
        nonlocal calls
        calls += 1
        raise status(401)

    with pytest.raises(E.AuthenticationError):
        await call_with_retry(FAST, attempt)
    assert calls == 1


async def test_deadline_bounds_the_whole_call() -> None:
    """The deadline, not max_retries, ends a call that keeps failing; no wait is started past it."""
    policy = RetryPolicy(initial_delay=0.05, max_delay=0.05, max_retries=1000, deadline=0.2, jitter=0)
    calls = 0

    async def attempt(remaining: float | None) -> str:
        nonlocal calls
        calls += 1
        raise status(503)

    with pytest.raises(E.APITimeoutError) as info:
        await call_with_retry(policy, attempt)
    assert 1 <= calls <= 5
    assert isinstance(info.value.__cause__, E.InternalServerError) and info.value.status == 503


async def test_foreign_exceptions_are_not_swallowed() -> None:
    async def attempt(remaining: float | None) -> str:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        await call_with_retry(FAST, attempt)


async def test_deadline_reached_during_a_wait_keeps_the_last_failure() -> None:
    """A clock that jumps past the deadline while waiting: the timeout names the 503 as its cause."""
    times = iter([0.0, 0.0, 0.0, 100.0])

    async def attempt(remaining: float | None) -> str:
        raise status(503, request_id="req_7")

    policy = RetryPolicy(initial_delay=0.001, max_retries=5, deadline=10.0)
    with pytest.raises(E.APITimeoutError) as info:
        await call_with_retry(policy, attempt, clock=lambda: next(times))
    assert isinstance(info.value.__cause__, E.InternalServerError)
    assert (info.value.status, info.value.request_id) == (503, "req_7")
