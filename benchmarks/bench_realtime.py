"""Realtime session speed and memory, measured side by side in one run.

    python benchmarks/bench_realtime.py [--rounds N] [--minutes M] [--sessions S]

The server is a canned WebSocket endpoint in its own process (so its CPU time is not counted): it
answers ``session.update`` and, on ``response.create``, sends M minutes of 24 kHz audio as
``response.output_audio.delta`` events of 100 ms, then ``response.done``.

1. Receiving: the client's CPU time for the whole reply. The floor is a plain ``websockets`` client
   doing the minimum per event (``json.loads``, base64 decode of the audio). Targets: within 1.5x
   of the floor at 24 kHz out, within 3x with 24 -> 16 kHz resampling.
2. Sending 20 ms frames of 16 kHz audio: CPU per second of audio (resample, base64, ``json.dumps``,
   send), beside a floor that was handed the same audio already at 24 kHz and base64-encodes, dumps
   and sends it (a pre-resampled ``websockets`` client). Target: within 3x of the floor.
3. S concurrent sessions against the emulator (``axio-omni serve``, its own process): client memory
   per open session (traced Python allocations, and resident size).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable

import numpy as np
from aiohttp import WSMsgType, web
from axio.blocks import TextBlock
from axio.events import AudioOutputDelta, TurnComplete
from processes import arguments, canned_and_emulator, serve_app
from websockets.asyncio.client import connect

from axio_omni import OpenAIRealtimeTransport
from axio_omni.audio import pcm_block

DELTA_SAMPLES = 2400  # 100 ms at 24 kHz
MINUTES = 10


def serve_canned() -> None:
    pcm = (np.sin(np.arange(DELTA_SAMPLES) * 0.05) * 8000).astype("<i2").tobytes()
    delta = base64.b64encode(pcm).decode()

    def event(kind: str, n: int, **fields: object) -> str:
        return json.dumps({"type": kind, "event_id": f"event_{n}", **fields})

    async def handle(request: web.Request) -> web.StreamResponse:
        minutes = float(request.query.get("minutes", MINUTES))
        ws = web.WebSocketResponse(max_msg_size=16 * 2**20)
        await ws.prepare(request)
        session = {"type": "realtime", "object": "realtime.session", "id": "sess_1"}
        await ws.send_str(event("session.created", 0, session=session))
        count = int(minutes * 60 * 10)
        deltas = [
            json.dumps(
                {
                    "type": "response.output_audio.delta",
                    "event_id": f"event_d{i}",
                    "response_id": "resp_1",
                    "item_id": "item_1",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": delta,
                }
            )
            for i in range(count)
        ]
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            kind = json.loads(message.data)["type"]
            if kind == "session.update":
                await ws.send_str(event("session.updated", 1, session=session))
            elif kind == "response.create":
                await ws.send_str(event("response.created", 2, response={"id": "resp_1", "status": "in_progress"}))
                for text in deltas:
                    await ws.send_str(text)
                await ws.send_str(
                    event("response.done", 3, response={"id": "resp_1", "status": "completed", "output": []})
                )
        return ws

    app = web.Application()
    app.router.add_get("/v1/realtime", handle)
    serve_app(app)


async def cpu(run: Callable[[], Awaitable[int]]) -> tuple[float, int]:
    gc.collect()
    start = time.process_time()
    n = await run()
    return time.process_time() - start, n


async def receiving(url: str, rounds: int, minutes: float) -> None:
    ws_url = url.replace("http", "ws") + f"/realtime?minutes={minutes}"

    async def floor() -> int:
        got = 0
        async with connect(ws_url, max_size=16 * 2**20, compression=None) as ws:
            await ws.recv()
            await ws.send(json.dumps({"type": "session.update", "session": {"type": "realtime"}}))
            await ws.recv()
            await ws.send(json.dumps({"type": "response.create"}))
            while True:
                event = json.loads(await ws.recv())
                if event["type"] == "response.output_audio.delta":
                    got += len(base64.b64decode(event["delta"]))
                elif event["type"] == "response.done":
                    return got

    def ours(rate: int) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            t = OpenAIRealtimeTransport(base_url=url, api_key="sk-bench", query={"minutes": str(minutes)})
            session = await t.connect(system="", tools=[], output_audio_format=f"audio/pcm;rate={rate}")
            got = 0
            try:
                await session.send(TextBlock(text="go"))
                await session.commit()
                async for event in session.events():
                    if isinstance(event, AudioOutputDelta):
                        got += len(event.data)
                    elif isinstance(event, TurnComplete):
                        return got
            finally:
                await session.close()
            return got

        return run

    results: dict[str, list[float]] = {"floor": [], "24k": [], "16k": []}
    for _ in range(rounds):
        for name, run in (("floor", floor), ("24k", ours(24000)), ("16k", ours(16000))):
            seconds, _n = await cpu(run)
            results[name].append(seconds)
    f, a, b = (statistics.median(results[k]) for k in ("floor", "24k", "16k"))
    print(f"1. receiving {minutes:g} min of 24 kHz audio deltas (100 ms each), client CPU, median of {rounds}:")
    print(f"   floor (websockets + json.loads + b64decode)  {f:6.3f} s")
    print(f"   OpenAIRealtimeSession, 24 kHz out            {a:6.3f} s   {a / f:.2f}x the floor (target 1.5x)")
    print(f"   OpenAIRealtimeSession, 16 kHz out            {b:6.3f} s   {b / f:.2f}x the floor (target 3x)")


async def sending(url: str, rounds: int, seconds: int = 120) -> None:
    ws_url = url.replace("http", "ws") + "/realtime"
    t16 = np.arange(320) / 16000  # 20 ms at 16 kHz
    frame = (np.sin(2 * np.pi * 440 * t16) * 8000).astype("<i2").tobytes()
    t24 = np.arange(480) / 24000  # the same 20 ms, resampled beforehand
    wire = (np.sin(2 * np.pi * 440 * t24) * 8000).astype("<i2").tobytes()
    frames = seconds * 50

    async def floor() -> int:
        async with connect(ws_url, compression=None) as ws:
            await ws.recv()
            for _ in range(frames):
                await ws.send(
                    json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(wire).decode()})
                )
        return frames

    async def ours() -> int:
        t = OpenAIRealtimeTransport(base_url=url, api_key="sk-bench")
        session = await t.connect(system="", tools=[], input_audio_format="audio/pcm;rate=16000")
        try:
            block = pcm_block(frame, 16000)
            for _ in range(frames):
                await session.send(block)
        finally:
            await session.close()
        return frames

    floors, mine = [], []
    for _ in range(rounds):
        floors.append((await cpu(floor))[0])
        mine.append((await cpu(ours))[0])
    f, o = statistics.median(floors) / seconds * 1000, statistics.median(mine) / seconds * 1000
    print(
        f"\n2. sending 20 ms frames of 16 kHz audio ({seconds} s), client CPU per second of audio, median of {rounds}:"
    )
    print(f"   floor (pre-resampled 24 kHz: b64encode + json.dumps + send)  {f:6.2f} ms")
    print(f"   OpenAIRealtimeSession (16 -> 24 kHz, b64, dumps, send)       {o:6.2f} ms   {o / f:.2f}x (target 3x)")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


async def concurrent(url: str, count: int) -> None:
    t = OpenAIRealtimeTransport(base_url=url, api_key="sk-bench", ping_interval=None)
    warm = await t.connect(system="", tools=[])
    await warm.close()
    gc.collect()
    tracemalloc.start()
    base_traced, base_rss = tracemalloc.get_traced_memory()[0], rss()
    sessions = await asyncio.gather(*(t.connect(system="You are terse.", tools=[]) for _ in range(count)))
    gc.collect()
    traced, resident = tracemalloc.get_traced_memory()[0] - base_traced, rss() - base_rss
    tracemalloc.stop()
    await asyncio.gather(*(s.close() for s in sessions))
    print(f"\n3. {count} concurrent sessions against the emulator, client memory per open session:")
    print(f"   traced Python allocations  {traced / count / 1024:7.1f} KiB")
    print(f"   resident set growth        {resident / count / 1024:7.1f} KiB")


async def main(args: argparse.Namespace) -> None:
    parts = set(args.parts.split(","))
    with canned_and_emulator(__file__) as (canned, emulator):
        if "receiving" in parts:
            await receiving(canned, args.rounds, args.minutes)
        if "sending" in parts:
            await sending(canned, args.rounds)
        if "sessions" in parts:
            await concurrent(emulator, args.sessions)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=MINUTES)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--parts", default="receiving,sending,sessions", help="which measurements to run")
    if (parsed := arguments(parser, serve_canned)) is not None:
        asyncio.run(main(parsed))
