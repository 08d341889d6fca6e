"""``Emulator``: the emulator app on a loopback port, as an async context manager."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from aiohttp import web

from .app import make_app
from .clock import Clock, RealClock
from .faults import Fault, FaultQueue
from .state import EmbeddingLimits, EmulatorState, RecordedRequest

__all__ = ["Emulator"]


class Emulator:
    """Serves the emulator on ``host`` (loopback by default) and a free port until the block ends.

    ::

        async with Emulator() as emu:
            t = OpenAITransport(base_url=emu.base_url, model="emulator-1")
            emu.faults.push("status=503;times=2")

    ``api_key`` makes every request without ``Authorization: Bearer <api_key>`` fail with 401.
    ``requests`` records what was sent; ``max_active`` and ``peers`` count concurrency and connections.
    ``clock`` is what scripted delays and stalls wait on (a ``ManualClock`` for tests that move time
    by hand); ``keepalive_timeout`` is how long the server keeps an idle connection, in seconds.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        clock: Clock | None = None,
        embedding_limits: EmbeddingLimits | None = None,
        keepalive_timeout: float = 75.0,
    ) -> None:
        self.host = host
        self.port = port
        self.state = EmulatorState(api_key=api_key, clock=clock or RealClock())
        self.embedding_limits = embedding_limits or EmbeddingLimits()
        self.keepalive_timeout = keepalive_timeout
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the emulator is not running; use 'async with Emulator() as emu'")
        return f"http://{self.host}:{self.port}/v1"

    @property
    def faults(self) -> FaultQueue:
        return self.state.faults

    @property
    def requests(self) -> list[RecordedRequest]:
        """What the emulator has been sent so far, oldest first."""
        return list(self.state.requests)

    def fail_next(self, fault: Fault | str, *, times: int | None = None) -> None:
        """Queue ``fault`` for the next ``times`` requests."""
        self.state.faults.push(fault, times=times)

    async def start(self) -> None:
        app = make_app(self.state, embedding_limits=self.embedding_limits)
        # A short shutdown: a handler stalled by a scripted fault must not hold the close for a minute.
        runner = web.AppRunner(
            app,
            access_log=None,
            handler_cancellation=True,
            keepalive_timeout=self.keepalive_timeout,
            shutdown_timeout=0.5,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self.port = int(runner.addresses[0][1])
        self._runner = runner

    async def close(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
