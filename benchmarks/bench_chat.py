"""Streaming speed of OpenAITransport against plain aiohttp, measured side by side in one run.

    make bench            (or: python benchmarks/bench_chat.py [--rounds N])

The floor is plain aiohttp reading the same stream from the same canned loopback server (its own
process): read, split lines, ``json.loads`` each payload. Each round runs every client once, in
turn, so a noisy machine slows all of them alike; the medians over rounds give the ratios.
Targets: one 20,000-chunk stream within 1.5x the floor, 200 concurrent short streams within 1.3x,
time to first token within 1.2x. ``axio-transport-openai`` (the peer) is measured when installed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from axio.blocks import TextBlock
from axio.events import TextDelta
from axio.messages import Message

from axio_omni import OpenAITransport, TransportPool

BODY = {"model": "bench", "messages": [{"role": "user", "content": "go"}], "stream": True}
MESSAGES = [Message("user", [TextBlock("go")])]

type Client = Callable[[str], Awaitable[float]]


async def floor_stream(session: aiohttp.ClientSession, url: str) -> float:
    """Plain aiohttp: read, split lines, json.loads each payload. Returns seconds to the first payload."""
    started = time.perf_counter()
    first = 0.0
    async with session.post(url + "/chat/completions", json=BODY) as resp:
        buf = b""
        async for chunk in resp.content.iter_any():
            buf += chunk
            lines = buf.split(b"\n")
            buf = lines.pop()
            for line in lines:
                if line.startswith(b"data: ") and line != b"data: [DONE]":
                    payload = json.loads(line[6:])
                    if not first and payload["choices"] and payload["choices"][0]["delta"].get("content"):
                        first = time.perf_counter() - started
    return first


async def transport_stream(transport: Any) -> float:
    """Any axio CompletionTransport (ours or the peer). Returns seconds to the first TextDelta."""
    started = time.perf_counter()
    first = 0.0
    async for event in transport.stream(MESSAGES, [], ""):
        if not first and isinstance(event, TextDelta):
            first = time.perf_counter() - started
    return first


def peer_factory(session: aiohttp.ClientSession) -> Callable[[str], Any] | None:
    try:
        from axio_transport_openai import OpenAITransport as Peer
    except ImportError:
        return None

    def make(url: str) -> Any:
        return Peer(base_url=url, api_key="x", api="chat", session=session, max_retries=1)

    return make


async def timed(coro: Awaitable[Any]) -> float:
    # Every client starts from a collected heap, so none pays for the garbage of the one before.
    gc.collect()
    started = time.perf_counter()
    await coro
    return time.perf_counter() - started


async def run(port: int, rounds: int) -> dict[str, dict[str, float]]:
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, list[float]]] = {}

    def add(scenario: str, client: str, value: float) -> None:
        results.setdefault(scenario, {}).setdefault(client, []).append(value)

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session, TransportPool(limit=0) as pool:
        peer = peer_factory(session)
        # Each transport is built once per endpoint, as an application does, not once per request.
        ours = {
            u: OpenAITransport(base_url=f"{base}/{u}/v1", model="bench", pool=pool) for u in ("big", "short", "ttft")
        }
        peers = {u: peer(f"{base}/{u}/v1") for u in ours} if peer is not None else {}

        def kind(url: str) -> str:
            return url.removeprefix(base + "/").split("/")[0]

        clients: dict[str, Callable[[str], Awaitable[float]]] = {
            "floor": lambda url: floor_stream(session, url),
            "axio-omni": lambda url: transport_stream(ours[kind(url)]),
        }
        if peers:
            clients["peer"] = lambda url: transport_stream(peers[kind(url)])
        for client in clients.values():  # warm-up: connections, imports, caches
            await client(f"{base}/short/v1")
        for _ in range(rounds):
            # Clients alternate within each scenario, several times, so that a slow moment of a
            # shared machine falls on all of them rather than on one.
            for _ in range(3):
                for name, client in clients.items():
                    add("one stream of 20,000 chunks (s)", name, await timed(client(f"{base}/big/v1")))
            for _ in range(3):
                for name, client in clients.items():
                    add(
                        "200 concurrent short streams (s)",
                        name,
                        await timed(asyncio.gather(*(client(f"{base}/short/v1") for _ in range(200)))),
                    )
            for _ in range(10):
                for name, client in clients.items():
                    gc.collect()
                    ttfts = [await client(f"{base}/ttft/v1") for _ in range(5)]
                    add("time to first token (ms)", name, 1000 * statistics.median(ttfts))
    return {s: {c: statistics.median(v) for c, v in by.items()} for s, by in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("canned_server.py"))], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        medians = asyncio.run(run(port, args.rounds))
    finally:
        server.terminate()
        server.wait()
    targets = {
        "one stream of 20,000 chunks (s)": 1.5,
        "200 concurrent short streams (s)": 1.3,
        "time to first token (ms)": 1.2,
    }
    print(
        f"median over {args.rounds} rounds of alternating runs; ratio = client / plain-aiohttp floor (lower: better)\n"
    )
    for scenario, by in medians.items():
        floor = by["floor"]
        print(f"{scenario}: floor {floor:.4g}")
        for client, value in by.items():
            if client != "floor":
                verdict = (
                    ""
                    if client != "axio-omni"
                    else ("  within target" if value / floor <= targets[scenario] else "  OVER target")
                )
                print(
                    f"  {client:10} {value:10.4g}   ratio {value / floor:5.2f}x (target {targets[scenario]}x){verdict}"
                )
        print()


if __name__ == "__main__":
    main()
