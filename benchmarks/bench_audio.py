"""Speech speed and memory, measured side by side in one run.

    python benchmarks/bench_audio.py [--rounds N] [--hours H]

1. TTS streaming of 50 MB from a canned loopback server (its own process): ``synthesize`` against
   plain aiohttp reading the same bytes. Target: within 1.1x.
2. Resampling throughput in multiples of real time on one core: soxr whole and in 20 ms chunks
   (what ``axio_omni.audio`` uses), beside numpy linear interpolation with its signal-to-noise
   ratio, which is why soxr was chosen.
3. Transcribing a 2-hour recording through the emulator (its own process): the client's peak
   traced memory, beside the recording's decoded size.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable

import aiohttp
import numpy as np
from aiohttp import web
from processes import arguments, canned_and_emulator, serve_app

from axio_omni import OpenAISTTTransport, OpenAITTSTransport, TransportPool
from axio_omni.audio import Resampler, encode_audio, resample
from axio_omni.emulator.voice import RATE, encode_speech

SIZE = 50 * 1024 * 1024
BLOCK = 64 * 1024


def serve_canned() -> None:
    payload = np.random.default_rng(0).integers(0, 256, BLOCK, dtype=np.uint8).tobytes()

    async def handle(request: web.Request) -> web.StreamResponse:
        await request.read()
        resp = web.StreamResponse(headers={"Content-Type": "audio/mpeg"})
        await resp.prepare(request)
        for _ in range(SIZE // BLOCK):
            await resp.write(payload)
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_post("/v1/audio/speech", handle)
    serve_app(app)


async def tts_streaming(url: str, rounds: int) -> None:
    body = {"model": "tts-1", "input": "x", "voice": "alloy", "response_format": "mp3"}

    async def floor(session: aiohttp.ClientSession) -> int:
        n = 0
        async with session.post(url + "/audio/speech", json=body) as resp:
            async for chunk in resp.content.iter_any():
                n += len(chunk)
        return n

    async def ours(t: OpenAITTSTransport) -> int:
        n = 0
        async for chunk in t.synthesize("x"):
            n += len(chunk)
        return n

    times: dict[str, list[float]] = {"floor": [], "synthesize": []}
    async with aiohttp.ClientSession() as session, TransportPool() as pool:
        t = OpenAITTSTransport(base_url=url, model="tts-1", pool=pool)
        assert await floor(session) == await ours(t) == SIZE
        clients: dict[str, Callable[[], Awaitable[int]]] = {
            "floor": lambda: floor(session),
            "synthesize": lambda: ours(t),
        }
        for _ in range(rounds):
            for name, run in clients.items():
                gc.collect()
                started = time.perf_counter()
                await run()
                times[name].append(time.perf_counter() - started)
    f, o = statistics.median(times["floor"]), statistics.median(times["synthesize"])
    print(
        f"TTS streaming of {SIZE // 2**20} MiB (median of {rounds}): plain aiohttp {f * 1000:.0f} ms, "
        f"synthesize {o * 1000:.0f} ms -> {o / f:.2f}x (target 1.1x)\n"
    )


def resampling() -> None:
    seconds = 600
    print(f"resampling {seconds} s of audio on one core (multiples of real time):")
    for src, dst in ((16000, 24000), (48000, 16000), (22050, 16000)):
        signal = np.random.default_rng(1).standard_normal(src * seconds).astype(np.float32) * 0.1
        started = time.perf_counter()
        resample(signal, src, dst)
        whole = seconds / (time.perf_counter() - started)
        stream, step = Resampler(src, dst), src // 50
        started = time.perf_counter()
        for at in range(0, len(signal), step):
            stream.process(signal[at : at + step])
        stream.flush()
        chunked = seconds / (time.perf_counter() - started)
        print(f"  {src:>5} -> {dst:>5} Hz  soxr whole {whole:7,.0f}x   in 20 ms chunks {chunked:7,.0f}x")
    tone = (0.5 * np.sin(2 * np.pi * 1000 * np.arange(16000 * 2) / 16000)).astype(np.float32)
    reference = (0.5 * np.sin(2 * np.pi * 1000 * np.arange(24000 * 2) / 24000)).astype(np.float32)

    def snr(out: np.ndarray) -> float:
        s, r = out[2000:-2000], reference[2000:-2000]
        return float(10 * np.log10(np.sum(r**2) / np.sum((s - r) ** 2)))

    linear = np.interp(np.arange(48000) * 16000 / 24000, np.arange(len(tone)), tone).astype(np.float32)
    print(
        f"  1 kHz sine 16 -> 24 kHz: soxr {snr(resample(tone, 16000, 24000)):.0f} dB SNR, "
        f"numpy linear interpolation {snr(linear):.0f} dB (target 60 dB)\n"
    )


async def long_transcription(url: str, hours: float) -> None:
    rate = 16000
    total = int(hours * 3600 * rate)
    speech = encode_speech("The recording begins here. It then goes quiet for a long time.", RATE)
    spoken = resample(speech, RATE, rate)
    recording = (np.random.default_rng(2).standard_normal(total) * 0.0004).astype(np.float32)
    recording[: len(spoken)] += spoken
    audio = encode_audio(recording, rate, "wav")
    decoded_size = recording.nbytes
    del recording
    gc.collect()
    async with TransportPool() as pool:
        t = OpenAISTTTransport(base_url=url, pool=pool, max_concurrency=2)
        tracemalloc.start()
        started = time.perf_counter()
        transcript = await t.transcribe_segments(audio, "audio/wav")
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(
        f"transcribing {hours:g} h of 16 kHz audio ({len(audio) / 2**20:.0f} MiB of WAV, "
        f"{decoded_size / 2**20:.0f} MiB decoded as float32) through the emulator in {elapsed:.0f} s:"
    )
    print(
        f"  peak traced client memory {peak / 2**20:.0f} MiB ({peak / decoded_size:.2f}x the decoded size); "
        f"text: {transcript.text!r}, {len(transcript.segments)} segments"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--hours", type=float, default=2.0)
    args = arguments(parser, serve_canned)
    if args is None:
        return
    with canned_and_emulator(__file__) as (canned, emulator):
        asyncio.run(tts_streaming(canned, args.rounds))
        resampling()
        asyncio.run(long_transcription(emulator, args.hours))


if __name__ == "__main__":
    main()
