"""Rate limits read from the server, pacing under them, and the retry throttle (sans-I/O: time is an
argument, so schedules of thousands of requests are checked exactly)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from axio_omni.emulator.quota import Quota
from axio_omni.errors import ConfigurationError
from axio_omni.pacing import RATE_MARGIN, Bucket, Pacer
from axio_omni.retry import RetryThrottle
from axio_omni.wire.rate_limits import RateHeaders, Window, parse_duration, read_rate_headers

# ── durations and headers ──────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("6m0s", 360.0),
        ("1.5s", 1.5),
        ("120ms", 0.12),
        ("20ms", 0.02),
        ("1h2m3.5s", 3723.5),
        ("0s", 0.0),
        ("59.999s", 59.999),
        ("7m12s", 432.0),
        ("250us", 0.00025),
        ("20", 20.0),
        ("0.5", 0.5),
        (" 2s ", 2.0),
    ],
)
def test_durations_as_servers_write_them(text: str, seconds: float) -> None:
    got = parse_duration(text)
    assert got is not None and math.isclose(got, seconds, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("text", ["", "soon", "5x", "-1", "1s2", "s", "m5", "nan", "inf", "1.2.3s", "5 s"])
def test_what_is_not_a_duration(text: str) -> None:
    assert parse_duration(text) is None


@given(
    st.integers(0, 99),
    st.integers(0, 59),
    st.decimals(min_value=0, max_value=59, places=3, allow_nan=False),
    st.integers(0, 999),
)
def test_any_go_duration_reads_as_its_seconds(hours: int, minutes: int, seconds: object, millis: int) -> None:
    parts = [(hours, "h"), (minutes, "m"), (seconds, "s"), (millis, "ms")]
    text = "".join(f"{value}{unit}" for value, unit in parts if value)
    expected = hours * 3600 + minutes * 60 + float(str(seconds)) + millis / 1000
    got = parse_duration(text or "0s")
    assert got is not None and math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)


@given(st.text(max_size=12))
def test_any_text_reads_or_refuses_cleanly(text: str) -> None:
    got = parse_duration(text)
    assert got is None or (math.isfinite(got) and got >= 0)


def test_both_windows_are_read_case_insensitively() -> None:
    headers = CIMultiDict(
        {
            "X-RateLimit-Limit-Requests": "3000",
            "X-RateLimit-Remaining-Requests": "2999",
            "X-RateLimit-Reset-Requests": "20ms",
            "x-ratelimit-limit-tokens": "1000000",
            "x-ratelimit-remaining-tokens": "999877",
            "x-ratelimit-reset-tokens": "7ms",
        }
    )
    assert read_rate_headers(headers) == RateHeaders(Window(3000, 2999, 0.02), Window(1_000_000, 999_877, 0.007))


def test_partial_and_broken_headers() -> None:
    only = read_rate_headers({"x-ratelimit-remaining-requests": "5", "x-ratelimit-reset-tokens": "later"})
    assert only == RateHeaders(Window(None, 5, None), Window())
    assert read_rate_headers({"content-type": "application/json"}) is None
    assert read_rate_headers({"x-ratelimit-limit-requests": "-3"}) is None


# ── pacing ─────────────────────────────────────────────────────────────────────────────────────


def schedule(pacer: Pacer, n: int, tokens: float = 0.0, now: float = 0.0) -> list[float]:
    """When each of ``n`` requests booked at once may start."""
    return [now + pacer.reserve(tokens, now) for _ in range(n)]


def most_in_any_window(starts: list[float], width: float) -> int:
    starts = sorted(starts)
    best, first = 0, 0
    for last, t in enumerate(starts):
        while t - starts[first] >= width:
            first += 1
        best = max(best, last - first + 1)
    return best


def test_a_static_limit_is_a_burst_then_an_even_pace() -> None:
    starts = schedule(Pacer.static(rpm=600), 1200)
    assert starts[599] == 0.0 and math.isclose(starts[600], 0.1) and math.isclose(starts[-1], 60.0)
    assert most_in_any_window(starts[600:], 60.0) <= 600


@given(
    st.floats(10, 5000),
    st.floats(1000, 2_000_000),
    st.lists(st.floats(0, 4000), min_size=1, max_size=300),
)
def test_no_window_ever_holds_more_than_the_limit_allows(rpm: float, tpm: float, costs: list[float]) -> None:
    """A token bucket's bound: over any span of W seconds, at most capacity + rate * W start."""
    pacer = Pacer.static(rpm=rpm, tpm=tpm)
    starts, spent = [], []
    for cost in costs:
        starts.append(pacer.reserve(cost, 0.0))
        spent.append(min(cost, tpm))
    assert starts == sorted(starts)  # booked in order, started in order
    width = 60.0
    assert most_in_any_window(starts, width) <= rpm + rpm / 60 * width + 1
    for i, t in enumerate(starts):
        window = [s for j, (s, c) in enumerate(zip(starts, spent, strict=True)) if t <= s < t + width and j >= i]
        assert sum(spent[i : i + len(window)]) <= tpm + tpm / 60 * width + 1e-6 * tpm


def test_the_servers_word_sets_the_level_and_the_refill() -> None:
    pacer = Pacer.static(rpm=3000)
    assert pacer.reserve(0, 0.0) == 0.0
    pacer.answered(0)
    # The server has only 2 left (another process spends from the same account), full again in 1 s.
    pacer.observe(RateHeaders(Window(3000, 2, 1.0), Window()), 0.1)
    assert pacer.reserve(0, 0.1) == 0.0 and pacer.reserve(0, 0.1) == 0.0
    wait = pacer.reserve(0, 0.1)
    # 2,998 used refill in the 1 s the server names: the pace is the fastest its whole numbers allow.
    assert math.isclose(wait, 1 / (2998 * (1 - RATE_MARGIN)), rel_tol=1e-6)


def test_the_real_rate_comes_from_the_first_answer_and_bounds_narrow() -> None:
    """A 10-a-second window: after one request, 9 remain and it is full again in 100 ms, so it
    refills 10 a second; a later answer from a level between whole numbers narrows, never widens."""
    bucket = Bucket.per_minute(10)
    bucket.observe(Window(10, 9, 0.1), 0.0, 0.0)
    assert math.isclose(bucket.rate, 10.0 * (1 - RATE_MARGIN)) and (bucket.low, bucket.high) == (0.0, 10.0)
    bucket.observe(Window(10, 8, 0.163), 0.5, 0.0)  # a true level of 8.37: 1.63 used
    assert math.isclose(bucket.high, 10.0) and math.isclose(bucket.low, 1 / 0.163)
    bucket.observe(Window(10, 0, 60.0), 1.0, 0.0)  # the window is now a minute long: start over
    assert math.isclose(bucket.high, 10 / 60) and math.isclose(bucket.low, 9 / 60)
    per_minute = Bucket.per_minute(3000)
    per_minute.observe(Window(3000, 2999, 0.02), 0.0, 0.0)  # OpenAI's: 3,000 a minute, 20 ms a request
    assert math.isclose(per_minute.high, 50.0)


@pytest.mark.parametrize(("limit", "window"), [(10, 1.0), (3000, 60.0), (5, 0.25)])
def test_paced_by_the_headers_a_burst_stays_under_the_servers_bucket(limit: int, window: float) -> None:
    """One request, then many at once, against the emulator's token bucket on a fake clock: none is
    refused, and the burst takes about as long as the server's rate allows."""
    server = Quota(limit=limit, window=window)
    pacer = Pacer()
    now = 0.0
    assert pacer.reserve(0, now) == 0.0 and server.admit(now)
    pacer.answered(0)
    headers = read_rate_headers(server.headers(now))
    assert headers is not None
    pacer.observe(headers, now)
    burst = 4 * limit
    starts = [now + pacer.reserve(0, now) for _ in range(burst)]
    for at in starts:
        assert server.admit(at + 0.001), f"refused at {at}"  # each reaches the server a moment after it is sent
    ideal = (burst - (limit - 1)) * window / limit
    assert starts[-1] <= 1.1 * ideal + 0.01


def test_headers_alone_make_a_pacer_and_pending_requests_count() -> None:
    pacer = Pacer()
    assert pacer.reserve(100, 0.0) == 0.0  # nothing known yet: no wait
    for _ in range(3):
        pacer.reserve(100, 0.0)
    pacer.answered(100)
    pacer.observe(RateHeaders(Window(60, 3, 60.0), Window(10_000, 1_000, 60.0)), 0.0)
    assert pacer.requests is not None and pacer.requests.level == 0.0  # 3 remain, 3 still in flight
    assert pacer.tokens is not None and pacer.tokens.level == 700.0
    assert pacer.reserve(100, 0.0) > 0


def test_a_bucket_that_never_refills_says_so() -> None:
    bucket = Bucket(capacity=5, rate=0.0, level=0.0)
    assert bucket.wait_for(1, 10.0) == math.inf
    assert Bucket.per_minute(60).wait_for(1, 0.0) == 0.0


# ── retry throttle ─────────────────────────────────────────────────────────────────────────────


def test_the_retry_throttle_stops_retries_when_most_calls_fail_and_recovers() -> None:
    throttle = RetryThrottle(max_tokens=10, token_ratio=0.5)
    seen = [throttle.allows_retry]
    for _ in range(5):
        throttle.failed()
    seen.append(throttle.allows_retry)  # 5 of 10 left: not more than half
    throttle.succeeded()
    seen.append(throttle.allows_retry)
    assert seen == [True, False, True]
    for _ in range(100):
        throttle.succeeded()
    assert throttle.tokens == 10
    with pytest.raises(ConfigurationError, match="RetryThrottle needs max_tokens and token_ratio above 0"):
        RetryThrottle(max_tokens=0)


@given(st.lists(st.booleans(), max_size=200))
def test_retries_are_withheld_while_failures_outnumber_successes(outcomes: list[bool]) -> None:
    throttle = RetryThrottle(max_tokens=10, token_ratio=0.1)
    for ok in outcomes:
        throttle.succeeded() if ok else throttle.failed()
        assert 0 <= throttle.tokens <= 10
    recent = outcomes[-20:]
    if len(recent) == 20 and recent.count(False) >= 15:
        assert not throttle.allows_retry


def test_what_remains_alone_does_not_pace() -> None:
    """Azure sends x-ratelimit-remaining-* without a limit or a reset: nothing to pace by."""
    pacer = Pacer()
    pacer.observe(RateHeaders(Window(None, 119, None), Window(None, 119_000, None)), 0.0)
    assert pacer.requests is None and pacer.tokens is None
    assert all(pacer.reserve(100, 0.0) == 0.0 for _ in range(500))


def test_only_failures_of_the_server_take_a_retry_token() -> None:
    from axio_omni.errors import BadRequestError, InternalServerError, Phase

    throttle = RetryThrottle(max_tokens=10)
    throttle.failed(BadRequestError("bad field", status=400, phase=Phase.RESPONSE_STARTED))
    assert throttle.tokens == 10  # the caller's mistake says nothing of the server
    throttle.failed(InternalServerError("down", status=503, phase=Phase.RESPONSE_STARTED))
    assert throttle.tokens == 9
