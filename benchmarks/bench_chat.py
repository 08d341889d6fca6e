"""Streaming speed of OpenAITransport against plain aiohttp, measured side by side in one run.

    make bench            (or: python benchmarks/bench_chat.py [--rounds N])

The floor is plain aiohttp reading the same stream from the same canned loopback server (its own
process): read, split lines, ``json.loads`` each payload (and, for tool calls, join the argument
fragments). Both keep idle connections 15 s (aiohttp's default), so both measure reused
connections. Each round runs every client in turn, several times, so a noisy machine slows all of
them alike; the medians over rounds give the ratios. Wall time is what the targets are set on; the
client process's CPU time is printed beside it, as it does not depend on the server's or the
machine's other load.

Targets: one 20,000-chunk stream within 0.55x of the floor (it beats it), short streams within 1.2x,
5,000 tool-argument fragments within 1.2x, time to first token within 1.1x. Short streams are
measured in a steady state: 25 rounds of 200 concurrent 20-chunk streams (5,000 requests) per
measurement, over warm connections, so the per-request cost shows rather than one burst's noise.
``axio-transport-openai`` (the peer) is measured when installed.
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
from axio.events import TextDelta, ToolInputDelta
from axio.messages import Message
from processes import canned_chat

from axio_omni import OpenAITransport, TransportPool

BODY = {"model": "bench", "messages": [{"role": "user", "content": "go"}], "stream": True}
MESSAGES = [Message("user", [TextBlock("go")])]
KEEPALIVE = 15.0
SHORT = "5,000 short streams, 200 at a time"
TARGETS = {
    "one stream of 20,000 chunks": 0.55,
    SHORT: 1.2,
    "5,000 tool-argument fragments": 1.2,
}
TTFT = "time to first token"


async def floor_stream(session: aiohttp.ClientSession, url: str) -> float:
    """Plain aiohttp: read, split lines, json.loads each payload. Returns seconds to the first payload."""
    started = time.perf_counter()
    first = 0.0
    arguments = []
    async with session.post(url + "/chat/completions", json=BODY) as resp:
        buf = b""
        async for chunk in resp.content.iter_any():
            buf += chunk
            lines = buf.split(b"\n")
            buf = lines.pop()
            for line in lines:
                if line.startswith(b"data: ") and line != b"data: [DONE]":
                    payload = json.loads(line[6:])
                    choices = payload["choices"]
                    if choices:
                        delta = choices[0]["delta"]
                        if not first and delta.get("content"):
                            first = time.perf_counter() - started
                        if "tool_calls" in delta:
                            arguments.append(delta["tool_calls"][0]["function"]["arguments"])
    "".join(arguments)
    return first


async def transport_stream(transport: Any) -> float:
    """Any axio CompletionTransport (ours or the peer). Returns seconds to the first TextDelta."""
    started = time.perf_counter()
    first = 0.0
    arguments = []
    async for event in transport.stream(MESSAGES, [], ""):
        if not first and isinstance(event, TextDelta):
            first = time.perf_counter() - started
        elif isinstance(event, ToolInputDelta):
            arguments.append(event.partial_json)
    "".join(arguments)
    return first


def peer_factory(session: aiohttp.ClientSession) -> Callable[[str], Any] | None:
    try:
        from axio_transport_openai import OpenAITransport as Peer
    except ImportError:
        return None

    def make(url: str) -> Any:
        return Peer(base_url=url, api_key="x", api="chat", session=session, max_retries=1)

    return make


async def steady(client: Callable[[str], Awaitable[float]], url: str, rounds: int = 25, width: int = 200) -> None:
    """``rounds`` waves of ``width`` concurrent streams, one wave after another."""
    for _ in range(rounds):
        await asyncio.gather(*(client(url) for _ in range(width)))


async def timed(coro: Awaitable[Any]) -> tuple[float, float]:
    """Wall and client CPU seconds of ``coro``, from a collected heap so none pays for another's garbage."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    await coro
    return time.perf_counter() - wall, time.process_time() - cpu


async def run(port: int, rounds: int) -> dict[str, dict[str, tuple[float, float]]]:
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, list[tuple[float, float]]]] = {}

    def add(scenario: str, client: str, value: tuple[float, float]) -> None:
        results.setdefault(scenario, {}).setdefault(client, []).append(value)

    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        TransportPool(limit=0, keepalive_timeout=KEEPALIVE) as pool,
    ):
        peer = peer_factory(session)
        # Each transport is built once per endpoint, as an application does, not once per request.
        kinds = ("big", "short", "ttft", "tools")
        ours = {k: OpenAITransport(base_url=f"{base}/{k}/v1", model="bench", pool=pool) for k in kinds}
        peers = {k: peer(f"{base}/{k}/v1") for k in kinds} if peer is not None else {}

        def kind(url: str) -> str:
            return url.removeprefix(base + "/").split("/")[0]

        clients: dict[str, Callable[[str], Awaitable[float]]] = {
            "floor": lambda url: floor_stream(session, url),
            "axio-omni": lambda url: transport_stream(ours[kind(url)]),
        }
        if peers:
            clients["peer"] = lambda url: transport_stream(peers[kind(url)])
        for client in clients.values():  # warm-up: connections, imports, caches
            await asyncio.gather(*(client(f"{base}/short/v1") for _ in range(200)))
            await client(f"{base}/tools/v1")
        for _ in range(rounds):
            # Clients alternate within each scenario, several times, so that a slow moment of a
            # shared machine falls on all of them rather than on one.
            for _ in range(3):
                for name, client in clients.items():
                    add("one stream of 20,000 chunks", name, await timed(client(f"{base}/big/v1")))
                    add("5,000 tool-argument fragments", name, await timed(client(f"{base}/tools/v1")))
            for name, client in clients.items():
                add(SHORT, name, await timed(steady(client, f"{base}/short/v1")))
            for _ in range(10):
                for name, client in clients.items():
                    gc.collect()
                    ttfts = [await client(f"{base}/ttft/v1") for _ in range(5)]
                    add(TTFT, name, (statistics.median(ttfts), 0.0))
    return {
        s: {c: (statistics.median(w for w, _ in v), statistics.median(u for _, u in v)) for c, v in by.items()}
        for s, by in results.items()
    }


def report(medians: dict[str, dict[str, tuple[float, float]]], rounds: int) -> None:
    print(f"median over {rounds} rounds of alternating runs; ratio = client / plain-aiohttp floor (lower: better)\n")
    for scenario, by in medians.items():
        floor_wall, floor_cpu = by["floor"]
        target = TARGETS.get(scenario, 1.1)
        unit, scale = ("ms", 1000) if scenario == TTFT else ("s", 1)
        print(f"{scenario}: floor {floor_wall * scale:.4g} {unit} (target {target}x)")
        for client, (wall, cpu) in by.items():
            if client == "floor":
                continue
            verdict = ""
            if client == "axio-omni":
                verdict = "  within target" if wall / floor_wall <= target else "  OVER target"
            cpu_ratio = f"   client CPU {cpu / floor_cpu:5.2f}x" if floor_cpu > 0 else ""
            print(f"  {client:10} {wall * scale:9.4g} {unit}   ratio {wall / floor_wall:5.2f}x{cpu_ratio}{verdict}")
        print()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with canned_chat() as port:
        medians = asyncio.run(run(port, args.rounds))
    report(medians, args.rounds)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
