"""Image generation through the pool, measured side by side with plain aiohttp in one run.

    python benchmarks/bench_images.py [--rounds N] [--count C]

A canned server in its own process answers every ``POST /v1/images/generations`` with one 4 MB image
as ``b64_json`` (5.3 MB of JSON). C generations run at once:

- the floor: plain aiohttp, ``json.loads`` and ``base64.b64decode`` per answer;
- ``OpenAIImageTransport.generate_images(n=C)`` with one image per request, C requests at once.

Printed: wall time and peak traced memory of each, and their ratios (target: within 1.3x).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json

import aiohttp
import numpy as np
from aiohttp import web
from measure import alternating
from processes import arguments, canned_and_emulator, serve_app

from axio_omni import OpenAIImageTransport, TransportPool

SIZE = 4 * 1024 * 1024


def serve_canned() -> None:
    image = b"\x89PNG\r\n\x1a\n" + np.random.default_rng(0).integers(0, 256, SIZE - 8, dtype=np.uint8).tobytes()
    body = json.dumps({"created": 1, "data": [{"b64_json": base64.b64encode(image).decode()}]}).encode()

    async def handle(request: web.Request) -> web.StreamResponse:
        await request.read()
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/v1/images/generations", handle)
    serve_app(app)


async def main(args: argparse.Namespace) -> None:
    with canned_and_emulator(__file__) as (url, _emulator):
        count = args.count

        async def floor() -> int:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=count)) as session:

                async def one() -> bytes:
                    async with session.post(url + "/images/generations", json={"prompt": "x", "n": 1}) as resp:
                        data = json.loads(await resp.read())
                    return base64.b64decode(data["data"][0]["b64_json"])

                return len(await asyncio.gather(*(one() for _ in range(count))))

        async def ours() -> int:
            async with TransportPool() as pool:
                t = OpenAIImageTransport(
                    base_url=url, api_key="sk-bench", model="sd-bench", max_images_per_request=1,
                    max_concurrency=count, pool=pool,
                )  # fmt: skip
                return len(await t.generate_images("x", n=count))

        def made_all(n: int) -> None:
            assert n == count

        medians = await alternating({"floor": floor, "ours": ours}, args.rounds, made_all)
        (fw, fp), (ow, op) = medians["floor"], medians["ours"]
        print(f"{count} concurrent generations of 4 MB images (b64_json), median of {args.rounds}:")
        print(f"   plain aiohttp + b64decode   {fw:6.2f} s   peak {fp / 2**20:7.1f} MiB")
        print(f"   OpenAIImageTransport        {ow:6.2f} s   peak {op / 2**20:7.1f} MiB")
        print(f"   ratio: wall {ow / fw:.2f}x, peak memory {op / fp:.2f}x (target 1.3x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=50)
    if (parsed := arguments(parser, serve_canned)) is not None:
        asyncio.run(main(parsed))
