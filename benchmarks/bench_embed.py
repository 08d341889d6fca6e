"""Embedding speed and memory, measured side by side in one run.

    python benchmarks/bench_embed.py [--rounds N] [--texts N]

1. 2,048 inputs x 1,536 dimensions from a canned loopback server (its own process). Base64: the
   floor is plain aiohttp (read, ``json.loads``, base64 + numpy decode into one array);
   ``embed_array`` targets 1.3x of it and ``embed`` (lists of Python floats) 2.0x. Floats, from a
   server that ignores ``encoding_format=base64``: the floor is read, ``json.loads``,
   ``np.asarray``; ``embed_array`` targets 1.1x. The peer (``axio-transport-openai``), which
   cannot ask for base64, is measured on the float answer it gets, with the bytes it reads.
2. 100,000 short texts through the emulator (``axio-omni serve``, its own process) with batching
   and 4 concurrent requests, against the same batches sent one at a time; then the client's
   peak traced memory for that job, beside the size of the array it returns.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
from aiohttp import web
from processes import arguments, canned_and_emulator, serve_app

from axio_omni import OpenAIEmbeddingTransport, TransportPool

N, DIMS = 2048, 1536
TEXTS = [f"text number {i}" for i in range(N)]


def canned_bodies() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((N, DIMS)).astype("<f4")
    usage = {"prompt_tokens": 3 * N, "total_tokens": 3 * N}

    def body(values: list[Any]) -> bytes:
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(values)]
        return json.dumps({"object": "list", "data": data, "model": "m", "usage": usage}).encode()

    return {
        "base64": body([base64.b64encode(v.tobytes()).decode() for v in vectors]),
        "float": body(vectors.tolist()),
    }


def serve_canned() -> None:
    bodies = canned_bodies()

    async def handle(request: web.Request) -> web.Response:
        fmt = (await request.json()).get("encoding_format", "float")
        return web.Response(body=bodies[fmt], content_type="application/json")

    async def floats(request: web.Request) -> web.Response:
        await request.read()  # a server that ignores encoding_format
        return web.Response(body=bodies["float"], content_type="application/json")

    app = web.Application(client_max_size=2**26)
    app.router.add_post("/v1/embeddings", handle)
    app.router.add_post("/floats/v1/embeddings", floats)
    serve_app(app)


async def floor_floats(session: aiohttp.ClientSession, url: str) -> None:
    """Plain aiohttp on the float answer: read, parse, one array."""
    body = json.dumps({"model": "m", "input": TEXTS}).encode()
    async with session.post(url + "/embeddings", data=body, headers={"Content-Type": "application/json"}) as resp:
        raw = await resp.read()
    data = json.loads(raw)["data"]
    np.asarray([item["embedding"] for item in data], dtype=np.float32)


async def floor(session: aiohttp.ClientSession, url: str) -> int:
    """Plain aiohttp: read, parse, decode every base64 vector into one array. Returns bytes read."""
    body = json.dumps({"model": "m", "input": TEXTS, "encoding_format": "base64"}).encode()
    async with session.post(url + "/embeddings", data=body, headers={"Content-Type": "application/json"}) as resp:
        raw = await resp.read()
    data = json.loads(raw)["data"]
    out = np.empty((len(data), DIMS), dtype=np.float32)
    for item in data:
        out[item["index"]] = np.frombuffer(base64.b64decode(item["embedding"]), dtype="<f4")
    return len(raw)


async def side_by_side(url: str, rounds: int) -> None:
    times: dict[str, list[float]] = {}
    floats_url = url.replace("/v1", "/floats/v1")
    async with aiohttp.ClientSession() as session, TransportPool() as pool:
        ours = OpenAIEmbeddingTransport(base_url=url, model="m", pool=pool)
        ignored = OpenAIEmbeddingTransport(base_url=floats_url, model="m", pool=pool)
        clients: dict[str, Any] = {
            "floor": lambda: floor(session, url),
            "embed_array": lambda: ours.embed_array(TEXTS),
            "embed": lambda: ours.embed(TEXTS),
            "floor (floats)": lambda: floor_floats(session, floats_url),
            "embed_array (floats)": lambda: ignored.embed_array(TEXTS),
        }
        try:
            from axio_transport_openai import OpenAITransport as Peer

            peer = Peer(base_url=url, api_key="x", api="chat", session=session, max_retries=1)
            clients["peer (floats)"] = lambda: peer.embed(TEXTS)
        except ImportError:
            pass
        for run in clients.values():
            await run()
        for _ in range(rounds):
            for name, run in clients.items():
                gc.collect()
                started = time.perf_counter()
                await run()
                times.setdefault(name, []).append(time.perf_counter() - started)
        base64_bytes = await floor(session, url)
    medians = {k: statistics.median(v) for k, v in times.items()}
    print(f"{N} inputs x {DIMS} dims (median of {rounds}); ratio to its floor, targets in brackets")
    targets = {"embed_array": 1.3, "embed": 2.0, "embed_array (floats)": 1.1}
    for name, value in medians.items():
        base = medians["floor (floats)"] if "floats" in name else medians["floor"]
        target = f" [{targets[name]}x]" if name in targets else ""
        print(f"  {name:22} {value * 1000:8.1f} ms  {value / base:5.2f}x{target}")
    print(
        f"  the base64 answer is {base64_bytes / 2**20:.1f} MiB; the float answer is "
        f"{len(canned_bodies()['float']) / base64_bytes:.1f}x larger\n"
    )


async def corpus(url: str, texts: int) -> None:
    corpus = [f"passage {i} about topic {i % 97} and item {i % 13}" for i in range(texts)]
    async with TransportPool() as pool:
        rates = {}
        for label, concurrency in (("4 concurrent", 4), ("one at a time", 1)):
            t = OpenAIEmbeddingTransport(base_url=url, dimensions=256, max_concurrency=concurrency, pool=pool)
            started = time.perf_counter()
            result = await t.embed_batch(corpus)
            rates[label] = texts / (time.perf_counter() - started)
            print(f"  {label:14} {rates[label]:10,.0f} texts/s  ({result.requests} requests)")
        print(f"  speed-up {rates['4 concurrent'] / rates['one at a time']:.2f}x")
        t = OpenAIEmbeddingTransport(base_url=url, dimensions=256, pool=pool)
        gc.collect()
        tracemalloc.start()
        result = await t.embed_batch(corpus)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(
        f"  peak traced memory {peak / 2**20:.0f} MiB for a result of {result.vectors.nbytes / 2**20:.0f} MiB "
        f"({peak / result.vectors.nbytes:.2f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--texts", type=int, default=100_000)
    args = arguments(parser, serve_canned)
    if args is None:
        return
    with canned_and_emulator(__file__) as (canned, emulator):
        asyncio.run(side_by_side(canned, args.rounds))
        print(f"{args.texts:,} short texts through the emulator (256 dims, batches of 2048):")
        asyncio.run(corpus(emulator, args.texts))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
