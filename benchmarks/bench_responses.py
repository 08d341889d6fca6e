"""Streaming speed of OpenAIResponsesTransport against plain aiohttp, measured side by side in one run.

    make bench            (or: python benchmarks/bench_responses.py [--rounds N])

One ``/v1/responses`` stream of 20,000 ``response.output_text.delta`` events from the canned
loopback server (its own process). The floor is plain aiohttp: read, split lines, ``json.loads``
each ``data:`` payload and keep the text deltas. Clients alternate within each round, so a noisy
machine slows all of them alike; medians over rounds give the ratios. Target: within 1.5x of the
floor (wall time), as for chat completions' streaming. The peer (``axio-transport-openai`` with
``api="responses"``) is measured when installed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from axio.blocks import TextBlock
from axio.events import TextDelta
from axio.messages import Message
from processes import canned_chat

from axio_omni import OpenAIResponsesTransport, TransportPool

BODY = {"model": "bench", "input": "go", "stream": True}
MESSAGES = [Message("user", [TextBlock("go")])]
TARGET = 1.5
EVENTS = 20_000


async def floor_stream(session: aiohttp.ClientSession, url: str) -> int:
    """Plain aiohttp: read, split lines, json.loads each payload, keep the text deltas."""
    texts = []
    async with session.post(url + "/responses", json=BODY) as resp:
        buf = b""
        async for chunk in resp.content.iter_any():
            buf += chunk
            lines = buf.split(b"\n")
            buf = lines.pop()
            for line in lines:
                if line.startswith(b"data: "):
                    payload = json.loads(line[6:])
                    if payload["type"] == "response.output_text.delta":
                        texts.append(payload["delta"])
    return len(texts)


async def transport_stream(transport: Any) -> int:
    return sum([1 async for e in transport.stream(MESSAGES, [], "") if isinstance(e, TextDelta)])


def peer_factory(session: aiohttp.ClientSession) -> Callable[[str], Any] | None:
    try:
        from axio_transport_openai import OpenAITransport as Peer
    except ImportError:
        return None
    return lambda url: Peer(base_url=url, api_key="x", api="responses", session=session, max_retries=1)


async def timed(coro: Awaitable[int]) -> tuple[float, float]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    count = await coro
    assert count == EVENTS, count
    return time.perf_counter() - wall, time.process_time() - cpu


async def run(port: int, rounds: int) -> dict[str, tuple[float, float]]:
    url = f"http://127.0.0.1:{port}/big/v1"
    results: dict[str, list[tuple[float, float]]] = {}
    async with aiohttp.ClientSession() as session, TransportPool() as pool:
        ours = OpenAIResponsesTransport(base_url=url, model="bench", pool=pool)
        clients: dict[str, Callable[[], Awaitable[int]]] = {
            "floor": lambda: floor_stream(session, url),
            "axio-omni": lambda: transport_stream(ours),
        }
        peer = peer_factory(session)
        if peer is not None:
            theirs = peer(url)
            clients["peer"] = lambda: transport_stream(theirs)
        for client in clients.values():  # warm-up
            await client()
        for _ in range(rounds):
            for name, client in clients.items():
                results.setdefault(name, []).append(await timed(client()))
    return {n: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for n, v in results.items()}


def report(medians: dict[str, tuple[float, float]], rounds: int) -> None:
    floor_wall, floor_cpu = medians["floor"]
    print(f"one /v1/responses stream of {EVENTS:,} text events, median of {rounds} alternating rounds")
    print(f"  floor      {floor_wall * 1000:8.1f} ms   (target {TARGET}x)")
    for name, (wall, cpu) in medians.items():
        if name == "floor":
            continue
        verdict = ("  within target" if wall / floor_wall <= TARGET else "  OVER target") if name == "axio-omni" else ""
        print(
            f"  {name:10} {wall * 1000:8.1f} ms   ratio {wall / floor_wall:5.2f}x"
            f"   client CPU {cpu / floor_cpu:5.2f}x{verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with canned_chat() as port:
        medians = asyncio.run(run(port, args.rounds))
    report(medians, args.rounds)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
