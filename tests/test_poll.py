"""Long jobs: a pure poll schedule, tested over a whole job's life with a fake clock in milliseconds."""

from __future__ import annotations

import pytest

from axio_omni import APITimeoutError, ConfigurationError, PollPolicy
from axio_omni.poll import next_wait, parse_poll_after, poll_until
from tests.helpers import FakeTime


def test_unhinted_waits_grow_to_the_ceiling() -> None:
    policy = PollPolicy(interval=2.0, multiplier=2.0, max_interval=10.0, deadline=None)
    assert [next_wait(policy, n, None, 0.0) for n in range(1, 6)] == [2.0, 4.0, 8.0, 10.0, 10.0]


def test_a_server_hint_is_honoured_between_the_floor_and_the_ceiling() -> None:
    policy = PollPolicy(min_interval=1.0, max_interval=20.0, deadline=None)
    assert next_wait(policy, 1, 3.5, 0.0) == 3.5
    assert next_wait(policy, 1, 0.0, 0.0) == 1.0  # a server asking for 0 ms is not polled in a busy loop
    assert next_wait(policy, 1, 600.0, 0.0) == 20.0
    assert next_wait(policy, 1, float("nan"), 0.0) == policy.interval


def test_the_last_wait_ends_at_the_deadline_and_none_follows() -> None:
    policy = PollPolicy(interval=5.0, multiplier=1.0, deadline=12.0)
    assert next_wait(policy, 2, None, 10.0) == 2.0
    assert next_wait(policy, 3, None, 12.0) is None


def test_the_poll_after_header() -> None:
    assert parse_poll_after({"openai-poll-after-ms": "2500"}) == 2.5
    assert parse_poll_after({"openai-poll-after-ms": "soon"}) is None
    assert parse_poll_after({"openai-poll-after-ms": "-1"}) is None
    assert parse_poll_after({}) is None


async def test_a_job_is_polled_until_done_honouring_hints() -> None:
    """A render that reports progress with hints, then completes: the whole life in microseconds."""
    t = FakeTime()
    answers = iter([(None, 1.0), (None, None), (None, 0.2), ("video.mp4", None)])

    async def probe() -> tuple[str | None, float | None]:
        return next(answers)

    policy = PollPolicy(interval=2.0, multiplier=1.5, min_interval=0.5, max_interval=30.0, deadline=600.0)
    assert await poll_until(policy, probe, clock=t.clock, sleep=t.sleep) == "video.mp4"
    assert t.slept == [1.0, 3.0, 0.5]


async def test_a_job_that_never_finishes_ends_at_the_deadline() -> None:
    t = FakeTime()
    polls = 0

    async def probe() -> tuple[str | None, float | None]:
        nonlocal polls
        polls += 1
        return None, None

    policy = PollPolicy(interval=10.0, multiplier=1.0, deadline=35.0)
    with pytest.raises(APITimeoutError, match="PollPolicy.deadline of 35s") as info:
        await poll_until(policy, probe, what="video render", clock=t.clock, sleep=t.sleep)
    assert polls == 5 and t.now == 35.0 and "5 polls" in str(info.value)


def test_policy_checks_and_round_trip() -> None:
    with pytest.raises(ConfigurationError, match="PollPolicy.interval"):
        PollPolicy(interval=0)
    with pytest.raises(ConfigurationError, match="min_interval"):
        PollPolicy(min_interval=60.0, max_interval=30.0)
    policy = PollPolicy(deadline=None, interval=1.0)
    assert PollPolicy.from_dict(policy.to_dict()) == policy
