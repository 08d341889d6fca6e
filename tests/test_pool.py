"""TransportPool: one session per loop, survives consecutive loops, honours its connection limit."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest
from axio.blocks import TextBlock
from axio.messages import Message

from axio_omni import ConfigurationError, OpenAITransport, PoolSettings, TransportPool
from axio_omni.emulator import Emulator
from axio_omni.pool import default_pool
from tests.helpers import collect

HI = [Message("user", [TextBlock("hi")])]


async def one_turn(base_url: str, **kw: object) -> str:
    t = OpenAITransport(base_url=base_url, model="emulator-1", **kw)  # type: ignore[arg-type]
    events = await collect(t.stream(HI, [], ""))
    return type(events[-1]).__name__


def test_default_pool_across_consecutive_event_loops() -> None:
    """asyncio.run five times: each loop gets its own session, none leaks or complains."""

    async def main() -> tuple[str, int]:
        async with Emulator() as emu:
            result = await one_turn(emu.base_url)
            return result, id(default_pool().session())

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = [asyncio.run(main()) for _ in range(5)]
        gc.collect()
    assert all(r == "IterationEnd" for r, _ in results)


@pytest.mark.parametrize("round_", range(3))
async def test_default_pool_across_pytest_asyncio_loops(round_: int, emulator: Emulator) -> None:
    """pytest-asyncio gives each test a new loop; the shared default pool follows."""
    assert await one_turn(emulator.base_url) == "IterationEnd"


async def test_pool_limit_caps_connections_at_the_server(emulator: Emulator) -> None:
    async with TransportPool(limit=3) as pool:
        results = await asyncio.gather(*(one_turn(emulator.base_url, pool=pool) for _ in range(24)))
    assert results == ["IterationEnd"] * 24
    assert emulator.state.max_active <= 3
    assert len(emulator.state.peers) <= 3


async def test_unlimited_pool_opens_more_connections(emulator: Emulator) -> None:
    """The limit above is what capped the connections: without it, concurrency goes higher."""
    emulator.fail_next("delay=0.05", times=12)
    async with TransportPool(limit=0) as pool:
        await asyncio.gather(*(one_turn(emulator.base_url, pool=pool) for _ in range(12)))
    assert emulator.state.max_active > 3


async def test_pool_closes_its_sessions_and_refuses_use_after_close() -> None:
    pool = TransportPool()
    session = pool.session()
    assert pool.session() is session
    await pool.close()
    assert session.closed
    with pytest.raises(RuntimeError, match="closed"):
        pool.session()
    await pool.close()


async def test_caller_session_is_never_closed(emulator: Emulator) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        assert await one_turn(emulator.base_url, session=session) == "IterationEnd"
        assert not session.closed


def test_unclosed_pool_warns_and_its_session_still_closes() -> None:
    seen: list[object] = []

    async def main() -> None:
        pool = TransportPool()
        seen.append(pool.session())
        del pool
        gc.collect()

    loop = asyncio.new_event_loop()
    try:
        with pytest.warns(ResourceWarning, match="unclosed TransportPool"):
            loop.run_until_complete(main())
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
    assert seen[0].closed  # type: ignore[attr-defined]


def test_settings_are_validated_and_serializable() -> None:
    with pytest.raises(ConfigurationError, match="limit"):
        PoolSettings(limit=-1)
    s = PoolSettings(limit=8, limit_per_host=2, keepalive_timeout=5.0, dns_cache_ttl=None)
    assert PoolSettings.from_dict(s.to_dict()) == s
    with pytest.raises(ConfigurationError, match="both"):
        TransportPool(s, limit=3)


def test_loop_closed_without_shutdown_leaves_nothing_behind() -> None:
    """A loop closed abruptly (no shutdown_asyncgens) has its session released on the next use."""
    pool = TransportPool()

    async def use(base_url: str) -> str:
        return await one_turn(base_url, pool=pool)

    async def serve_and_use() -> None:
        async with Emulator() as emu:
            first = asyncio.new_event_loop()
            # The transport runs on a second loop in this thread's gaps: simplest is a thread.
            import threading

            result: list[str] = []
            thread = threading.Thread(target=lambda: result.append(first.run_until_complete(use(emu.base_url))))
            thread.start()
            await asyncio.to_thread(thread.join)
            first.close()  # abruptly: the session on it is never closed by its loop
            assert result == ["IterationEnd"]
            assert await use(emu.base_url) == "IterationEnd"
            await pool.close()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        asyncio.run(serve_and_use())
        gc.collect()
