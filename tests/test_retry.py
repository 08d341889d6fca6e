"""The repeat decision (one pure function over cost, failure and phase), the policy, and the one loop."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from axio_omni import Timeouts
from axio_omni import errors as E
from axio_omni.errors import Phase
from axio_omni.retry import Repeat, RetryPolicy, call_with_retry, may_repeat, parse_retry_after, parse_should_retry
from axio_omni.timeouts import Budget
from axio_omni.wire.error_body import error_for_status
from tests.helpers import FakeTime

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
    return error_for_status(code, None, **kw)  # type: ignore[arg-type]


def failure(kind: type[E.OmniError], phase: Phase) -> E.OmniError:
    return kind("boom", phase=phase)


BEFORE, SENT, STARTED = Phase.BEFORE_SENDING, Phase.AWAITING_RESPONSE, Phase.RESPONSE_STARTED


@pytest.mark.parametrize(
    ("make", "phase", "never", "unstarted", "safe"),
    [
        # Nothing reached the server: any transient failure may be repeated, whatever it costs.
        (lambda: failure(E.ConnectError, BEFORE), BEFORE, False, True, True),
        (lambda: failure(E.APITimeoutError, BEFORE), BEFORE, False, True, True),
        # The server may have read it: only a request that is safe to repeat goes again.
        (lambda: failure(E.APIConnectionError, SENT), SENT, False, False, True),
        (lambda: failure(E.APITimeoutError, SENT), SENT, False, False, True),
        # A status: the server's own word that it did no work (408, 429, 503), or a transient one.
        (lambda: status(429), STARTED, False, True, True),
        (lambda: status(503), STARTED, False, True, True),
        (lambda: status(408), STARTED, False, True, True),
        (lambda: status(500), STARTED, False, False, True),
        (lambda: status(502), STARTED, False, False, True),
        (lambda: status(409), STARTED, False, False, True),
        (lambda: status(400), STARTED, False, False, False),
        (lambda: status(401), STARTED, False, False, False),
        (lambda: status(404), STARTED, False, False, False),
        (lambda: status(422), STARTED, False, False, False),
        (lambda: status(501), STARTED, False, False, False),
        # A body cut while read whole: nothing reached the caller, but the server did the work.
        (lambda: failure(E.StreamCutError, STARTED), STARTED, False, False, True),
        (lambda: failure(E.MalformedResponseError, STARTED), STARTED, False, False, False),
        (lambda: failure(E.InBandError, STARTED), STARTED, False, False, False),
    ],
)
def test_may_repeat_table(
    make: Callable[[], E.OmniError], phase: Phase, never: bool, unstarted: bool, safe: bool
) -> None:
    error = make()
    got = [may_repeat(r, error, phase) for r in (Repeat.NEVER, Repeat.UNSTARTED, Repeat.SAFE)]
    assert got == [never, unstarted, safe]


def test_x_should_retry_vetoes_always_and_grants_only_safe_requests() -> None:
    assert not may_repeat(Repeat.SAFE, status(503, should_retry=False), STARTED)
    assert not may_repeat(Repeat.UNSTARTED, status(429, should_retry=False), STARTED)
    assert may_repeat(Repeat.SAFE, status(400, should_retry=True), STARTED)
    assert not may_repeat(Repeat.UNSTARTED, status(500, should_retry=True), STARTED)


def test_a_failure_no_request_caused_is_never_repeated() -> None:
    assert not may_repeat(Repeat.SAFE, E.ConfigurationError("bad"), None)


def test_errors_report_whether_asking_again_may_help() -> None:
    assert status(503).retryable and not status(501).retryable and not status(400).retryable
    assert status(400, should_retry=True).retryable and not status(503, should_retry=False).retryable


def test_server_wait_is_honoured_and_too_long_a_wait_raises() -> None:
    assert RetryPolicy().delay_for(status(429, retry_after=3.0), 1, 0.0) == 3.0
    with pytest.raises(E.RetryWaitTooLongError) as info:
        RetryPolicy(max_wait=5).delay_for(status(429, retry_after=3600.0), 1, 0.0)
    assert info.value.wait == 3600.0 and isinstance(info.value.__cause__, E.RateLimitError)


def test_no_retry_after_max_retries() -> None:
    assert RetryPolicy(max_retries=1).delay_for(status(503), 2, 0.0) is None


@pytest.mark.parametrize(
    ("bad", "shown"),
    [
        ({"max_retries": -1}, "-1"),
        ({"max_retries": "two"}, "'two'"),
        ({"max_retries": 2.5}, "2.5"),
        ({"initial_delay": -1.0}, "-1.0"),
        ({"jitter": 2.0}, "2.0"),
        ({"multiplier": 0.5}, "0.5"),
        ({"deadline": 0.0}, "0.0"),
        ({"deadline": "0"}, "'0'"),
        ({"max_wait": float("nan")}, "nan"),
    ],
)
def test_invalid_policy_names_the_field_and_the_value(bad: dict[str, object], shown: str) -> None:
    with pytest.raises(E.ConfigurationError) as info:
        RetryPolicy(**bad)  # type: ignore[arg-type]
    assert f"RetryPolicy.{next(iter(bad))} must be" in str(info.value) and str(info.value).endswith(f"got {shown}")


def test_policy_is_frozen_and_round_trips() -> None:
    p = RetryPolicy(max_retries=5, deadline=None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.max_retries = 1  # type: ignore[misc]
    assert RetryPolicy.from_dict(p.to_dict()) == p


def test_policies_written_before_the_reshape_still_read() -> None:
    """A dict saved by the previous release (no new fields) reads back with the same meaning."""
    old = {"max_retries": 4, "initial_delay": 0.25, "max_delay": 4.0, "multiplier": 2.0, "jitter": 0.1}
    assert RetryPolicy.from_dict({**old, "max_wait": 30.0, "deadline": 120.0}).deadline == 120.0
    assert Timeouts.from_dict({"connect": 5.0, "read": 60.0}) == Timeouts(connect=5.0, read=60.0, total=None)


async def test_loop_retries_until_success_and_counts_attempts() -> None:
    t = FakeTime()
    seen: list[float | None] = []

    async def attempt(left: float | None) -> str:
        seen.append(left)
        t.now += 1.0
        if len(seen) < 3:
            raise status(503)
        return "ok"

    policy = RetryPolicy(deadline=100.0, jitter=0.0)
    assert await call_with_retry(policy, attempt, repeat=Repeat.SAFE, clock=t.clock, sleep=t.sleep) == "ok"
    assert t.slept == [0.5, 1.0]
    # Each attempt gets what is left of the one deadline, waits included.
    assert seen == [100.0, 98.5, 96.5]


async def test_loop_gives_up_after_max_retries_with_the_last_error_and_its_attempts() -> None:
    t = FakeTime()

    async def attempt(left: float | None) -> str:
        raise E.ConnectError("refused", phase=BEFORE)

    with pytest.raises(E.ConnectError) as info:
        await call_with_retry(RetryPolicy(max_retries=3), attempt, repeat=Repeat.SAFE, clock=t.clock, sleep=t.sleep)
    assert info.value.attempts == 4 and "attempts=4" in str(info.value)


@pytest.mark.parametrize("repeat", list(Repeat))
async def test_loop_follows_may_repeat(repeat: Repeat) -> None:
    t = FakeTime()
    calls = 0

    async def attempt(left: float | None) -> str:
        nonlocal calls
        calls += 1
        raise status(500)

    with pytest.raises(E.InternalServerError):
        await call_with_retry(RetryPolicy(max_retries=2), attempt, repeat=repeat, clock=t.clock, sleep=t.sleep)
    assert calls == (3 if repeat is Repeat.SAFE else 1)


async def test_deadline_ends_a_request_that_keeps_failing_with_the_last_failure_as_cause() -> None:
    t = FakeTime()
    calls = 0

    async def attempt(left: float | None) -> str:
        nonlocal calls
        calls += 1
        t.now += 0.1
        raise status(503, request_id="req_7")

    policy = RetryPolicy(initial_delay=1.0, max_delay=1.0, jitter=0.0, max_retries=1000, deadline=5.0)
    with pytest.raises(E.APITimeoutError) as info:
        await call_with_retry(policy, attempt, repeat=Repeat.SAFE, clock=t.clock, sleep=t.sleep)
    assert calls == 5 and t.now < 5.0
    assert isinstance(info.value.__cause__, E.InternalServerError)
    assert (info.value.status, info.value.request_id) == (503, "req_7") and "RetryPolicy.deadline" in str(info.value)


async def test_the_calls_budget_bounds_every_request_when_it_is_shorter() -> None:
    t = FakeTime()
    budget = Budget(3.0, clock=t.clock)
    seen: list[float | None] = []

    async def attempt(left: float | None) -> str:
        seen.append(left)
        t.now += 0.5
        raise status(503)

    policy = RetryPolicy(initial_delay=1.0, jitter=0.0, max_retries=10, deadline=600.0)
    with pytest.raises(E.APITimeoutError, match="Timeouts.total of 3s"):
        await call_with_retry(policy, attempt, repeat=Repeat.SAFE, budget=budget, clock=t.clock, sleep=t.sleep)
    assert seen[0] == 3.0 and len(seen) == 2


async def test_foreign_exceptions_are_not_swallowed() -> None:
    async def attempt(left: float | None) -> str:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        await call_with_retry(FAST, attempt, repeat=Repeat.SAFE)


async def test_no_deadline_means_no_bound_and_no_timer() -> None:
    t = FakeTime()
    seen: list[float | None] = []

    async def attempt(left: float | None) -> str:
        seen.append(left)
        if len(seen) < 3:
            raise status(503)
        return "ok"

    policy = RetryPolicy(deadline=None, initial_delay=0.001)
    assert await call_with_retry(policy, attempt, repeat=Repeat.SAFE, clock=t.clock, sleep=t.sleep) == "ok"
    assert seen == [None, None, None]
