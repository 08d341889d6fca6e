"""Corpus embedding on Ray Data against the local path, side by side in one run.

    python benchmarks/bench_ray.py [--texts N] [--workers 1,2,4,8] [--servers N]

200,000 short texts are embedded (64 dimensions, batches of 2,048, 4 requests at once per
transport) against the emulator (``axio-omni serve``, in their own processes; ``--servers`` of
them behind the one address the transport is given, as a load balancer would be: the kernel
spreads connections over them with ``SO_REUSEPORT``). First by one process (``embed_array``), then
on one local Ray instance with 1, 2, 4 and 8 workers. Each Ray run includes starting its workers,
as a job does. Printed: seconds, texts per second, and speed-up over the local path and over one
worker; every run's vectors are checked equal to the local path's.

On a machine of two cores, the emulators, Ray's own processes and the workers share those two
cores: the figures say how far the overhead of Ray lets one machine go, not how a cluster scales.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from axio_omni import OpenAIEmbeddingTransport, TransportPool


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def emulators(count: int) -> Iterator[str]:
    """The base URL of ``count`` emulator processes sharing one port."""
    port = _free_port()
    command = [sys.executable, "-m", "axio_omni.cli", "serve", "--port", str(port)]
    if count > 1:
        command.append("--reuse-port")
    procs = [subprocess.Popen(command, stderr=subprocess.DEVNULL) for _ in range(count)]
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()


def transport(base_url: str, **kw: object) -> OpenAIEmbeddingTransport:
    return OpenAIEmbeddingTransport(
        base_url=base_url,
        api_key="sk-bench",
        model="text-embedding-3-small",
        dimensions=64,
        max_inputs=2048,
        max_concurrency=4,
        **kw,  # type: ignore[arg-type]
    )


async def local(base_url: str, texts: list[str]) -> tuple[float, np.ndarray]:
    async with TransportPool() as pool:
        t = transport(base_url, pool=pool)
        started = time.perf_counter()
        vectors = await t.embed_array(texts)
        return time.perf_counter() - started, vectors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=200_000)
    parser.add_argument("--workers", default="1,2,4,8")
    parser.add_argument("--servers", type=int, default=2)
    args = parser.parse_args()
    import ray

    from axio_omni.ray import embed_texts

    texts = [f"short text number {i}" for i in range(args.texts)]
    counts = [int(n) for n in args.workers.split(",")]
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    with emulators(args.servers) as base_url:
        seconds, expected = asyncio.run(local(base_url, texts))
        rows = [("local path (one process)", seconds)]
        ray.init(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
        try:
            ray.data.DataContext.get_current().enable_progress_bars = False
            for n in counts:
                started = time.perf_counter()
                got = embed_texts(texts, transport(base_url), workers=n)
                rows.append((f"Ray, {n} worker{'s' if n > 1 else ''}", time.perf_counter() - started))
                assert got is not None and np.array_equal(got, expected), f"{n} workers: vectors differ"
        finally:
            ray.shutdown()
    print(f"{args.texts:,} texts, 64 dimensions, {args.servers} emulator processes, {os.cpu_count()} cores\n")
    one = rows[1][1] if len(rows) > 1 else rows[0][1]
    for name, took in rows:
        print(
            f"  {name:26} {took:7.2f} s  {args.texts / took:9,.0f} texts/s   "
            f"{rows[0][1] / took:5.2f}x the local path   {one / took:5.2f}x one worker"
        )
    print("\nevery run's vectors equal the local path's")


if __name__ == "__main__":
    main()
