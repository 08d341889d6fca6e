"""Pacing by the server's own rate-limit headers, against the emulator's quota over real sockets, and
the retry throttle in the retry loop."""

from __future__ import annotations

import asyncio

import pytest

from axio_omni import OpenAIEmbeddingTransport, RateLimitError, RetryPolicy
from axio_omni.emulator import Emulator
from axio_omni.emulator.quota import Quota
from axio_omni.errors import InternalServerError, Phase
from axio_omni.ratelimit import RateLimits, limiter_for
from axio_omni.retry import Repeat, RetryThrottle, call_with_retry

from ..helpers import FakeTime


async def embed_many(t: OpenAIEmbeddingTransport, n: int, concurrency: int) -> list[BaseException | None]:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> BaseException | None:
        async with gate:
            try:
                await t.embed([f"text {i}"])
            except RateLimitError as error:
                return error
        return None

    return await asyncio.gather(*(one(i) for i in range(n)))


async def test_following_the_headers_stays_under_the_quota(emulator: Emulator) -> None:
    emulator.state.quota = Quota(limit=20, window=1.0)
    t = OpenAIEmbeddingTransport(base_url=emulator.base_url, retry=RetryPolicy(max_retries=0), api_key="sk-paced-1")
    outcomes = await embed_many(t, 60, 10)
    assert [o for o in outcomes if o is not None] == [] and emulator.state.quota.refused == 0
    limiter = limiter_for(t.base_url, "sk-paced-1", t.rate_limit)
    assert limiter is not None and limiter.waited > 0  # it did pace, rather than being lucky


@pytest.mark.parametrize(("limit", "window"), [(10, 1.0), (600, 60.0)])
async def test_the_servers_rate_is_known_from_its_first_answer(emulator: Emulator, limit: int, window: float) -> None:
    """One request, then a burst: the refill rate is the server's from the first answer (a short
    window as well as OpenAI's per-minute ones), and the burst runs into no 429."""
    emulator.state.quota = Quota(limit=limit, window=window)
    key = f"sk-first-{limit}"
    t = OpenAIEmbeddingTransport(base_url=emulator.base_url, retry=RetryPolicy(max_retries=0), api_key=key)
    await t.embed(["one"])
    limiter = limiter_for(t.base_url, key, t.rate_limit)
    assert limiter is not None and limiter.pacer.requests is not None
    assert limiter.pacer.requests.rate == pytest.approx(limit / window, rel=0.07)
    outcomes = await embed_many(t, limit + 5, min(limit + 5, 50))
    assert [o for o in outcomes if o is not None] == [] and emulator.state.quota.refused == 0


async def test_without_the_limiter_the_same_job_runs_into_429s(emulator: Emulator) -> None:
    emulator.state.quota = Quota(limit=20, window=1.0)
    t = OpenAIEmbeddingTransport(
        base_url=emulator.base_url,
        retry=RetryPolicy(max_retries=0),
        rate_limit=RateLimits(follow_headers=False),
        api_key="sk-unpaced",
    )
    outcomes = await embed_many(t, 60, 10)
    refused = [o for o in outcomes if o is not None]
    assert len(refused) >= 30 and emulator.state.quota.refused == len(refused)
    first = refused[0]
    assert isinstance(first, RateLimitError) and (first.status, first.code) == (429, "rate_limit_exceeded")


async def test_static_limits_pace_a_server_that_sends_no_headers(emulator: Emulator) -> None:
    t = OpenAIEmbeddingTransport(base_url=emulator.base_url, rate_limit=RateLimits(rpm=600), api_key="sk-static")
    limiter = limiter_for(t.base_url, "sk-static", t.rate_limit)
    assert limiter is not None and limiter.pacer.requests is not None
    limiter.pacer.requests.level = 0.0  # the burst is spent: the next ones go at 10 a second
    started = asyncio.get_running_loop().time()
    await asyncio.gather(*(t.embed([f"x{i}"]) for i in range(3)))
    assert asyncio.get_running_loop().time() - started >= 0.25


def test_one_limiter_per_account_and_never_the_key() -> None:
    limits = RateLimits(rpm=100)
    one = limiter_for("https://api.example.com/v1", "sk-account-a", limits)
    assert one is limiter_for("https://api.example.com/v2", "sk-account-a", limits)  # same server and key
    assert one is not limiter_for("https://api.example.com/v1", "sk-account-b", limits)
    assert limiter_for("https://x/v1", None, RateLimits(follow_headers=False)) is None
    assert "sk-account-a" not in repr(one)


async def test_the_throttle_withholds_retries_from_a_dying_server() -> None:
    fake = FakeTime()
    throttle = RetryThrottle(max_tokens=4, token_ratio=0.5)
    calls = 0

    async def failing(left: float | None) -> None:
        nonlocal calls
        calls += 1
        raise InternalServerError("down", status=503, phase=Phase.RESPONSE_STARTED)

    policy = RetryPolicy(max_retries=3, deadline=None)
    for _ in range(3):
        with pytest.raises(InternalServerError):
            await call_with_retry(
                policy, failing, repeat=Repeat.SAFE, clock=fake.clock, sleep=fake.sleep, throttle=throttle
            )
    # The first call spends its retries until the throttle closes (tokens 4 -> 2); later calls get one try each.
    assert calls == 2 + 1 + 1


def test_the_emulators_quota_speaks_as_openai_does() -> None:
    from axio_omni.wire.rate_limits import read_rate_headers

    quota = Quota(limit=3000, window=60.0)
    assert all(quota.admit(0.0) for _ in range(2000))
    read = read_rate_headers(quota.headers(0.0))
    assert read is not None and (read.requests.limit, read.requests.remaining) == (3000, 1000)
    assert read.requests.reset is not None and abs(read.requests.reset - 40.0) < 1e-3  # 2,000 at 50 a second
    assert all(quota.admit(0.0) for _ in range(1000)) and not quota.admit(0.0) and quota.refused == 1
    assert quota.admit(0.02)  # one back after 20 ms


def test_serve_takes_a_quota() -> None:
    import argparse

    from axio_omni.cli import _quota

    parser = argparse.ArgumentParser()
    quota = _quota(parser, "3000/60")
    assert quota is not None and (quota.limit, quota.window) == (3000, 60.0)
    assert _quota(parser, None) is None
    with pytest.raises(SystemExit):
        _quota(parser, "fast")
    with pytest.raises(SystemExit):
        _quota(parser, "0/60")
