"""What telemetry costs a stream, measured side by side in one run against the same canned server.

    python benchmarks/bench_telemetry.py [--rounds N]

Four clients take turns on each scenario of ``bench_chat.py`` (one stream of 20,000 chunks, 200
concurrent short streams): plain aiohttp (the floor), axio-omni with telemetry turned off
(``uninstrument()``: the check returns at once, as when OpenTelemetry was never imported),
axio-omni with OpenTelemetry imported and no provider set (the default for an application that
imports it but exports nothing), and axio-omni tracing into the SDK with an exporter that drops
spans. Target: with no provider, the ratio to the floor moves by no more than the run-to-run noise
(the first two axio-omni rows agree).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).parent))

from bench_chat import KEEPALIVE, floor_stream, timed, transport_stream  # noqa: E402
from processes import canned_chat  # noqa: E402

from axio_omni import OpenAITransport, TransportPool, telemetry  # noqa: E402

SCENARIOS = {"one stream of 20,000 chunks": ("big", 1), "200 concurrent short streams": ("short", 200)}


def _sdk_provider() -> Any:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    class Drop(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(Drop()))
    return provider


async def run(port: int, rounds: int) -> dict[str, dict[str, float]]:
    import opentelemetry.trace  # noqa: F401  (imported, and no provider set)

    base = f"http://127.0.0.1:{port}"
    provider = _sdk_provider()
    modes: dict[str, Callable[[], None]] = {
        "telemetry off": telemetry.uninstrument,
        "no provider set": lambda: setattr(telemetry, "_state", telemetry._State()),
        "tracing (SDK)": lambda: telemetry.instrument(provider),
    }
    wall: dict[str, dict[str, list[float]]] = {s: {} for s in SCENARIOS}
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        TransportPool(limit=0, keepalive_timeout=KEEPALIVE) as pool,
    ):
        ours = {k: OpenAITransport(base_url=f"{base}/{k}/v1", model="bench", pool=pool) for k in ("big", "short")}

        def many(client: Callable[[], Awaitable[float]], n: int) -> Awaitable[Any]:
            return asyncio.gather(*(client() for _ in range(n)))

        for kind in ("short", "big"):  # warm-up
            await many(lambda k=kind: floor_stream(session, f"{base}/{k}/v1"), 50)  # type: ignore[misc]
            await many(lambda k=kind: transport_stream(ours[k]), 50)  # type: ignore[misc]
        for _ in range(rounds):
            for scenario, (kind, n) in SCENARIOS.items():
                for _ in range(3):
                    seconds, _cpu = await timed(many(lambda k=kind: floor_stream(session, f"{base}/{k}/v1"), n))  # type: ignore[misc]
                    wall[scenario].setdefault("floor", []).append(seconds)
                    for mode, switch in modes.items():
                        switch()
                        seconds, _cpu = await timed(many(lambda k=kind: transport_stream(ours[k]), n))  # type: ignore[misc]
                        wall[scenario].setdefault(mode, []).append(seconds)
    telemetry.uninstrument()
    return {s: {c: statistics.median(v) for c, v in by.items()} for s, by in wall.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with canned_chat() as port:
        medians = asyncio.run(run(port, args.rounds))
    print(f"median over {args.rounds} rounds of alternating runs; ratio = client / plain-aiohttp floor\n")
    for scenario, by in medians.items():
        floor = by.pop("floor")
        print(f"{scenario}: floor {floor:.4g} s")
        for mode, seconds in by.items():
            print(f"  axio-omni, {mode:16} {seconds:9.4g} s   ratio {seconds / floor:5.2f}x")
        off, unset = by["telemetry off"], by["no provider set"]
        print(f"  no provider set / telemetry off: {unset / off:5.3f}x\n")


if __name__ == "__main__":
    main()
