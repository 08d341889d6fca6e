"""A large video downloaded to a file: memory stays flat, measured side by side with plain aiohttp.

    python benchmarks/bench_videos.py [--rounds N]

A canned job server in its own process: the create answers a job already completed, and the
content is 200 MiB streamed in 64 KiB pieces. Printed: wall time and peak traced
memory of ``OpenAIVideoTransport.generate_video_to(file)`` and of plain aiohttp streaming the same
bytes to a file, and the video's size for scale.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

import aiohttp
import numpy as np
from aiohttp import web
from measure import alternating
from processes import arguments, canned_and_emulator, serve_app

from axio_omni import OpenAIVideoTransport, PollPolicy

BLOCK = 64 * 1024


def serve_canned() -> None:
    megabytes = 200
    block = np.random.default_rng(0).integers(0, 256, BLOCK, dtype=np.uint8).tobytes()
    job = {"id": "video_1", "object": "video", "model": "sora-2", "status": "completed", "progress": 100,
           "created_at": 1, "completed_at": 2, "expires_at": None, "prompt": "x", "size": "720x1280",
           "seconds": "4", "remixed_from_video_id": None, "error": None}  # fmt: skip

    async def create(request: web.Request) -> web.StreamResponse:
        await request.read()
        return web.json_response(job)

    async def get(request: web.Request) -> web.StreamResponse:
        return web.json_response(job)

    async def content(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        await resp.prepare(request)
        for _ in range(megabytes * 1024 * 1024 // BLOCK):
            await resp.write(block)
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_post("/v1/videos", create)
    app.router.add_get("/v1/videos/{id}", get)
    app.router.add_get("/v1/videos/{id}/content", content)
    serve_app(app)


async def main(args: argparse.Namespace) -> None:
    with canned_and_emulator(__file__) as (url, _emulator), tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "video.mp4"

        async def floor() -> None:
            async with aiohttp.ClientSession() as session, session.get(url + "/videos/video_1/content") as resp:
                with target.open("wb") as out:
                    async for chunk in resp.content.iter_any():
                        out.write(chunk)

        async def ours() -> None:
            t = OpenAIVideoTransport(base_url=url, api_key="sk-bench", poll=PollPolicy(interval=0.01))
            with target.open("wb") as out:
                await t.generate_video_to(out, "x")

        def wrote_it(_: object) -> None:
            assert target.stat().st_size == 200 * 1024 * 1024

        medians = await alternating({"floor": floor, "ours": ours}, args.rounds, wrote_it)
        (fw, fp), (ow, op) = medians["floor"], medians["ours"]
        size = target.stat().st_size / 2**20
        print(f"a {size:.0f} MiB video streamed to a file, median of {args.rounds}:")
        print(f"   plain aiohttp to a file          {fw:6.2f} s   peak traced {fp / 2**20:6.2f} MiB")
        print(f"   generate_video_to(file)          {ow:6.2f} s   peak traced {op / 2**20:6.2f} MiB")
        print(f"   ratio: wall {ow / fw:.2f}x; peak memory {op / 2**20 / size:.3f} of the video's size (flat)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    if (parsed := arguments(parser, serve_canned)) is not None:
        asyncio.run(main(parsed))
