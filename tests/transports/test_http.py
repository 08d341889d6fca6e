"""The HTTP boundary over real sockets: what each repeat value does in each phase, the time limits,
the pool, and connections the server is closing."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from axio.blocks import TextBlock
from axio.events import IterationEnd, TextDelta
from axio.messages import Message

from axio_omni import (
    APIConnectionError,
    APITimeoutError,
    ConnectError,
    InternalServerError,
    OpenAITransport,
    OpenAITTSTransport,
    Phase,
    RateLimitError,
    Repeat,
    RetryPolicy,
    StreamCutError,
    Timeouts,
    TransportPool,
)
from axio_omni.emulator import Emulator
from axio_omni.transports.http import open_response, read_all
from axio_omni.transports.request import Request, endpoint_headers, endpoint_url
from tests.helpers import collect

POLICY = RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.002)
WORDS = [Message("user", [TextBlock(" ".join(f"w{i}" for i in range(18)))])]


def make(base_url: str, method: str, path: str, repeat: Repeat, *, timeouts: Timeouts | None = None) -> Request:
    body = b'{"model":"m","input":["a"]}' if method == "POST" else None
    headers = endpoint_headers(
        key=None, auth_scheme="bearer", headers={}, secret_headers={}, content_type="application/json" if body else None
    )
    return Request(method, endpoint_url(base_url, path, {}), headers, body, repeat, timeouts or Timeouts(), path)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


EACH = [(Repeat.NEVER, 1), (Repeat.UNSTARTED, 3), (Repeat.SAFE, 3)]


@pytest.mark.parametrize(("repeat", "tries"), EACH)
async def test_before_sending_every_repeatable_request_is_retried(
    session: aiohttp.ClientSession, repeat: Repeat, tries: int
) -> None:
    """No connection: nothing reached the server, so only NEVER stops at one try."""
    req = make(f"http://127.0.0.1:{free_port()}/v1", "POST", "/embeddings", repeat)
    with pytest.raises(ConnectError) as info:
        await read_all(session, req, POLICY)
    assert info.value.phase is Phase.BEFORE_SENDING and info.value.attempts == tries


@pytest.mark.parametrize(("repeat", "sent"), [(Repeat.NEVER, 1), (Repeat.UNSTARTED, 1), (Repeat.SAFE, 3)])
@pytest.mark.parametrize("fault", ["disconnect=true", "delay=0.4"])
async def test_sent_without_response_only_safe_requests_go_again(
    emulator: Emulator, session: aiohttp.ClientSession, repeat: Repeat, sent: int, fault: str
) -> None:
    """The server read the whole request, then closed the connection (or kept silent past Timeouts.read)."""
    emulator.fail_next(fault, times=5)
    req = make(emulator.base_url, "POST", "/embeddings", repeat, timeouts=Timeouts(read=0.1))
    with pytest.raises(APIConnectionError) as info:
        await read_all(session, req, POLICY)
    assert info.value.phase is Phase.AWAITING_RESPONSE
    assert len(emulator.requests) == sent == info.value.attempts


@pytest.mark.parametrize(
    ("fault", "error", "sent"),
    [
        ("status=500", InternalServerError, {Repeat.NEVER: 1, Repeat.UNSTARTED: 1, Repeat.SAFE: 3}),
        ("status=503", InternalServerError, {Repeat.NEVER: 1, Repeat.UNSTARTED: 3, Repeat.SAFE: 3}),
        ("status=429;retry_after_ms=1", RateLimitError, {Repeat.NEVER: 1, Repeat.UNSTARTED: 3, Repeat.SAFE: 3}),
        ("drop_after_bytes=20", StreamCutError, {Repeat.NEVER: 1, Repeat.UNSTARTED: 1, Repeat.SAFE: 3}),
    ],
)
@pytest.mark.parametrize("repeat", list(Repeat))
async def test_response_started_follows_the_cost_of_a_repeat(
    emulator: Emulator,
    session: aiohttp.ClientSession,
    repeat: Repeat,
    fault: str,
    error: type[Exception],
    sent: dict[Repeat, int],
) -> None:
    """An error status, or a body cut while read whole: repeated as its cost and the server's word allow."""
    emulator.fail_next(fault, times=5)
    with pytest.raises(error) as info:
        await read_all(session, make(emulator.base_url, "POST", "/embeddings", repeat), POLICY)
    assert info.value.phase is Phase.RESPONSE_STARTED  # type: ignore[attr-defined]
    assert len(emulator.requests) == sent[repeat]


async def test_a_resend_counts_against_the_policy(emulator: Emulator, session: aiohttp.ClientSession) -> None:
    """A server that reads the body and drops the connection gets it 1 + max_retries times, never more."""
    emulator.fail_next("disconnect=true", times=10)
    with pytest.raises(APIConnectionError):
        await read_all(session, make(emulator.base_url, "POST", "/embeddings", Repeat.SAFE), RetryPolicy.none())
    assert len(emulator.requests) == 1
    with pytest.raises(APIConnectionError):
        await read_all(session, make(emulator.base_url, "POST", "/embeddings", Repeat.SAFE), POLICY)
    assert len(emulator.requests) == 1 + 3


# ── time limits ─────────────────────────────────────────────────────────────────────────────────


async def test_a_healthy_stream_outlives_the_deadline(emulator: Emulator) -> None:
    """The deadline bounds the wait for the response, not its reading: 20 deltas 100 ms apart, deadline 1 s."""
    emulator.fail_next("pace=0.1")
    t = OpenAITransport(base_url=emulator.base_url, model="m", retry=RetryPolicy(deadline=1.0))
    events = await collect(t.stream(WORDS, [], ""))
    assert isinstance(events[-1], IterationEnd) and sum(isinstance(e, TextDelta) for e in events) == 20


async def test_timeouts_total_bounds_the_whole_call_and_is_never_retried(emulator: Emulator) -> None:
    emulator.fail_next("pace=0.1")
    t = OpenAITransport(base_url=emulator.base_url, model="m", timeouts=Timeouts(total=1.0), retry=POLICY)
    seen: list[Any] = []
    with pytest.raises(APITimeoutError, match="Timeouts.total of 1s") as info:
        async for event in t.stream(WORDS, [], ""):
            seen.append(event)
    assert seen and info.value.phase is Phase.RESPONSE_STARTED and len(emulator.requests) == 1


async def test_every_piece_of_a_long_speech_has_the_callers_deadline(emulator: Emulator) -> None:
    """The second piece answers after 3 s; the caller's 1 s deadline holds for it too."""
    emulator.fail_next("times=1")  # the first piece answers at once
    emulator.fail_next("delay=3")
    t = OpenAITTSTransport(
        base_url=emulator.base_url, response_format="pcm", max_chars=60, retry=RetryPolicy(deadline=1.0)
    )
    text = "First part of the speech is here. Second part follows right after it."
    chunks: list[bytes] = []
    with pytest.raises(APITimeoutError, match="RetryPolicy.deadline|within 1s") as info:
        async for chunk in t.synthesize(text):
            chunks.append(chunk)
    assert chunks and info.value.attempts == 1


async def test_waiting_for_a_pooled_connection_is_not_connecting(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """20 streams of about 0.2 s through 2 connections (waits up to 2 s), connect timeout 0.1 s: no error, no retry."""
    emulator.fail_next("pace=0.01", times=20)
    caplog.set_level(logging.WARNING, "axio_omni.retry")
    async with TransportPool(limit=2) as pool:
        t = OpenAITransport(base_url=emulator.base_url, model="m", pool=pool, timeouts=Timeouts(connect=0.1))
        ends = await asyncio.gather(*(collect(t.stream(WORDS, [], "")) for _ in range(20)))
    assert all(isinstance(e[-1], IterationEnd) for e in ends)
    assert len(emulator.requests) == 20 and not caplog.records and emulator.state.max_active <= 2


async def test_the_pool_wait_is_bounded_by_the_deadline_and_never_retried(emulator: Emulator) -> None:
    emulator.fail_next("pace=0.1")  # holds the only connection for about 2 s
    async with TransportPool(limit=1) as pool:
        slow = OpenAITransport(base_url=emulator.base_url, model="m", pool=pool)
        hurried = OpenAITransport(base_url=emulator.base_url, model="m", pool=pool, retry=RetryPolicy(deadline=0.2))
        stream = slow.stream(WORDS, [], "")
        await anext(stream)  # the first event: the only connection is now taken
        holder = asyncio.ensure_future(collect(stream))
        with pytest.raises(APITimeoutError) as info:
            await collect(hurried.stream(WORDS, [], ""))
        assert info.value.attempts == 1 and len(emulator.requests) == 1
        holder.cancel()
        with pytest.raises(asyncio.CancelledError):
            await holder


# ── connections the server closes ───────────────────────────────────────────────────────────────


async def test_connection_close_is_honoured(emulator: Emulator) -> None:
    emulator.fail_next("connection_close=true", times=5)
    async with TransportPool(limit=1) as pool:
        t = OpenAITransport(base_url=emulator.base_url, model="m", pool=pool, retry=RetryPolicy.none())
        for _ in range(5):
            assert isinstance((await collect(t.stream(WORDS, [], "")))[-1], IterationEnd)
    assert len(emulator.state.peers) == 5


async def test_an_idle_connection_is_dropped_before_the_server_drops_it() -> None:
    """Server keep-alive 3 s, pool 1 s: after 0.05 s idle the connection is reused, after 2 s not."""
    async with Emulator(keepalive_timeout=3.0) as emu, TransportPool(keepalive_timeout=1.0) as pool:
        t = OpenAITransport(base_url=emu.base_url, model="m", pool=pool, retry=RetryPolicy.none())
        await collect(t.stream(WORDS, [], ""))
        await asyncio.sleep(0.05)
        await collect(t.stream(WORDS, [], ""))
        assert len(emu.state.peers) == 1
        await asyncio.sleep(2.0)
        assert isinstance((await collect(t.stream(WORDS, [], "")))[-1], IterationEnd)
        assert len(emu.state.peers) == 2


async def test_open_response_hands_back_a_2xx_response(emulator: Emulator, session: aiohttp.ClientSession) -> None:
    resp = await open_response(session, make(emulator.base_url, "GET", "/models", Repeat.SAFE), POLICY)
    try:
        assert resp.status == 200 and "emulator-1" in (await resp.text())
    finally:
        resp.release()
