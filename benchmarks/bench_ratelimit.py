"""Pacing by the server's rate-limit headers against running into 429s, side by side in one run.

    make bench            (or: python benchmarks/bench_ratelimit.py [--requests N] [--quota N/SECONDS])

The emulator runs in its own process with a quota (default 500 requests a second, a token bucket
with OpenAI's ``x-ratelimit-*`` headers and 429s). 20 tasks send 5,000 embedding requests between
them, each retrying a refused request itself (``max_retries=0``, so every 429 is counted), first
with the limiter following the headers, then with it off. Targets: no 429 after the first window,
and throughput within 10% of the quota.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

from axio_omni import OpenAIEmbeddingTransport, RateLimitError, RetryPolicy, TransportPool
from axio_omni.ratelimit import RateLimits

TASKS = 20


async def job(url: str, total: int, limits: RateLimits) -> tuple[float, int, int]:
    """Seconds for ``total`` requests, 429s in all, and 429s after the first second."""
    async with TransportPool() as pool:
        t = OpenAIEmbeddingTransport(
            base_url=url,
            api_key=f"sk-bench-{limits.follow_headers}",
            retry=RetryPolicy(max_retries=0),
            rate_limit=limits,
            pool=pool,
        )
        left = total
        refused = late = 0
        started = time.perf_counter()

        async def worker() -> None:
            nonlocal left, refused, late
            while left > 0:
                left -= 1
                while True:
                    try:
                        await t.embed(["a short text to embed"])
                        break
                    except RateLimitError:
                        refused += 1
                        late += time.perf_counter() - started > 1.0
                        await asyncio.sleep(0.05)

        await asyncio.gather(*(worker() for _ in range(TASKS)))
        return time.perf_counter() - started, refused, late


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--quota", default="500/1")
    args = parser.parse_args()
    limit, _, seconds = args.quota.partition("/")
    rate = int(limit) / float(seconds)
    port = 18000 + (int(time.time()) % 1000)
    server = subprocess.Popen(
        [sys.executable, "-m", "axio_omni.cli", "serve", "--port", str(port), "--quota", args.quota],
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.5)
        url = f"http://127.0.0.1:{port}/v1"
        print(
            f"{args.requests:,} embedding requests from {TASKS} tasks; the emulator's quota: {args.quota} ({rate:g}/s)"
        )
        for name, limits in (("limiter on", RateLimits()), ("limiter off", RateLimits(follow_headers=False))):
            time.sleep(float(seconds) + 0.5)  # the quota whole again
            wall, refused, late = asyncio.run(job(url, args.requests, limits))
            # The first window's burst is free; what follows is paced at the quota's rate.
            steady = (args.requests - int(limit)) / max(wall - 0.0, 1e-9)
            print(
                f"  {name:12} {wall:6.2f} s   {args.requests / wall:7.1f} requests/s overall,"
                f" {steady / rate:5.2f}x of the quota after its burst   429s: {refused} ({late} after the first second)"
            )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
