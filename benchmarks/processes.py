"""The servers a benchmark runs in processes of its own, so that they never share its CPU time slice."""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from aiohttp import web

__all__ = ["arguments", "canned_and_emulator", "canned_chat", "serve_app"]


def serve_app(app: web.Application, *, backlog: int = 128) -> None:
    """Run ``app`` on a free loopback port, printing the port first, until the process is ended."""

    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0, backlog=backlog).start()
        print(runner.addresses[0][1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def arguments(parser: argparse.ArgumentParser, serve_canned: Callable[[], None]) -> argparse.Namespace | None:
    """The benchmark's arguments; None when this process was started to serve the canned endpoint."""
    parser.add_argument("--serve-canned", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_canned:
        serve_canned()
        return None
    return args


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def canned_chat() -> Iterator[int]:
    """The port of ``canned_server.py`` (canned chat streams), running in its own process."""
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("canned_server.py"))],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        yield int(server.stdout.readline())
    finally:
        server.terminate()
        server.wait()


@contextmanager
def canned_and_emulator(script: str) -> Iterator[tuple[str, str]]:
    """Base URLs of ``script --serve-canned`` and of ``axio-omni serve``, each in its own process."""
    canned = subprocess.Popen([sys.executable, script, "--serve-canned"], stdout=subprocess.PIPE, text=True)
    port = _free_port()
    emulator = subprocess.Popen(
        [sys.executable, "-m", "axio_omni.cli", "serve", "--port", str(port)], stderr=subprocess.DEVNULL
    )
    try:
        assert canned.stdout is not None
        canned_url = f"http://127.0.0.1:{int(canned.stdout.readline())}/v1"
        time.sleep(1.0)  # the emulator's own start is not what is measured
        yield canned_url, f"http://127.0.0.1:{port}/v1"
    finally:
        for proc in (canned, emulator):
            proc.terminate()
            proc.wait()
