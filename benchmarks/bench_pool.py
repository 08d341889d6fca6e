"""Waiting for a pooled connection is not connecting: 1,000 one-second streams through 16 connections.

    python benchmarks/bench_pool.py [--streams N] [--connections N]

A canned loopback server (its own process) sends 20 chunks 50 ms apart per stream. All streams
start at once through a pool of 16 connections, so most wait tens of seconds for their turn.
Side by side:

- plain aiohttp with ``ClientTimeout(connect=10)``, what the previous release passed: aiohttp's
  ``connect`` includes the wait for a free connection, so streams fail with a connection timeout
  although the server never saw them;
- OpenAITransport with ``Timeouts(connect=10)``: the wait is bounded by ``RetryPolicy.deadline``
  (600 s), never by the connect timeout, and is never retried. Target: 0 errors and 0 retries.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

import aiohttp
from axio.blocks import TextBlock
from axio.messages import Message
from processes import canned_chat

from axio_omni import OpenAITransport, Timeouts, TransportPool

MESSAGES = [Message("user", [TextBlock("go")])]
BODY = {"model": "bench", "messages": [{"role": "user", "content": "go"}], "stream": True}


class Retries(logging.Handler):
    """Counts the retry warnings the transport logs."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def plain(url: str, streams: int, connections: int) -> tuple[int, float]:
    timeout = aiohttp.ClientTimeout(total=None, connect=10.0, sock_read=120.0)
    errors = 0

    async def one(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        try:
            async with session.post(url + "/chat/completions", json=BODY, timeout=timeout) as resp:
                await resp.read()
        except (aiohttp.ClientError, TimeoutError):
            errors += 1

    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as session:
        await asyncio.gather(*(one(session) for _ in range(streams)))
    return errors, time.perf_counter() - started


async def ours(url: str, streams: int, connections: int) -> tuple[int, int, float]:
    retries = Retries()
    logging.getLogger("axio_omni.retry").addHandler(retries)
    errors = 0
    async with TransportPool(limit=connections) as pool:
        t = OpenAITransport(base_url=url, model="bench", pool=pool, timeouts=Timeouts(connect=10.0))

        async def one() -> None:
            nonlocal errors
            try:
                async for _ in t.stream(MESSAGES, [], ""):
                    pass
            except Exception:
                errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(streams)))
    return errors, retries.count, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    with canned_chat() as port:
        url = f"http://127.0.0.1:{port}/paced/v1"
        n, c = args.streams, args.connections
        print(f"{n} streams of about 1 s each through {c} connections, connect timeout 10 s:")
        errors, elapsed = asyncio.run(plain(url, n, c))
        label = "plain aiohttp, ClientTimeout(connect=10):"
        print(f"  {label:40} {errors:4d} errors ({errors / n:.0%}) in {elapsed:.0f} s")
        errors, retries, elapsed = asyncio.run(ours(url, n, c))
        verdict = "within target" if errors == 0 and retries == 0 else "OVER target"
        label = "axio-omni, Timeouts(connect=10):"
        print(f"  {label:40} {errors:4d} errors, {retries} retries in {elapsed:.0f} s  {verdict}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
