"""OpenAIImageTransport over real sockets: the emulator, and a small server with the quirks of real ones."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest
from aiohttp import web
from axio.blocks import ImageBlock
from PIL import Image

from axio_omni import (
    BadRequestError,
    ConfigurationError,
    ContentPolicyError,
    IncompleteResultError,
    OmniError,
    PermissionDeniedError,
    RetryPolicy,
)
from axio_omni.emulator import Emulator
from axio_omni.transports.images import OpenAIImageTransport
from axio_omni.wire.image_files import image_size
from axio_omni.wire.images import image_type
from tests.helpers import schema_errors

FAST = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02)


def transport(base_url: str, **kw: Any) -> OpenAIImageTransport:
    return OpenAIImageTransport(base_url=base_url, api_key="sk-images-KEY-123456", retry=FAST, **kw)


def picture(size: tuple[int, int], mode: str = "RGB", fill: Any = (200, 10, 10)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, fill).save(out, "PNG")
    return out.getvalue()


# ── against the emulator ─────────────────────────────────────────────────────────────────────────


async def test_gpt_image_sends_only_what_was_set_and_gets_real_pictures(emulator: Emulator) -> None:
    t = transport(emulator.base_url, size="1024x1536", quality="low", output_format="webp", output_compression=70)
    result = await t.generate_image_batch("a lighthouse at dusk", n=2)
    (sent,) = [r.body for r in emulator.requests]
    assert sent == {"model": "gpt-image-1", "prompt": "a lighthouse at dusk", "n": 2, "size": "1024x1536",
                    "quality": "low", "output_format": "webp", "output_compression": 70}  # fmt: skip
    assert schema_errors("CreateImageRequest", sent) == []
    assert [image_type(i) for i in result.images] == ["webp", "webp"]
    assert [image_size(i) for i in result.images] == [(1024, 1536), (1024, 1536)]
    assert result.images[0] != result.images[1] and result.requests == 1
    assert result.usage == {"input_tokens": 4, "output_tokens": 544, "total_tokens": 548}
    again = await t.generate_images("a lighthouse at dusk", n=1)
    assert again == result.images[:1]  # the same prompt makes the same picture


async def test_n_over_the_model_cap_is_split_and_kept_in_order(emulator: Emulator) -> None:
    t = transport(emulator.base_url, model="dall-e-3", response_format="b64_json", size="1024x1024")
    result = await t.generate_image_batch("a fox", n=3)
    assert result.requests == 3 and [r.body["n"] for r in emulator.requests] == [1, 1, 1]
    assert len(result.images) == 3 and result.revised_prompts == ["A picture of: a fox"] * 3


async def test_url_answers_from_the_same_server_are_downloaded_with_its_key(emulator: Emulator) -> None:
    t = transport(emulator.base_url, model="dall-e-2", response_format="url", size="256x256")
    images = await t.generate_images("a boat", n=2)
    assert [image_size(i) for i in images] == [(256, 256)] * 2
    downloads = [r for r in emulator.requests if r.method == "GET"]
    assert len(downloads) == 2 and all(r.headers["Authorization"].startswith("Bearer sk-images") for r in downloads)


async def test_an_expired_url_is_a_typed_error_that_keeps_nothing_hidden(emulator: Emulator) -> None:
    emulator.state.image_url_ttl = -1.0
    t = transport(emulator.base_url, model="dall-e-2", response_format="url", size="256x256")
    with pytest.raises(PermissionDeniedError, match="expire") as info:
        await t.generate_images("a boat")
    assert info.value.status == 403


async def test_a_content_policy_refusal_is_its_own_error_and_not_retried(emulator: Emulator) -> None:
    with pytest.raises(ContentPolicyError) as info:  # a call of one request fails with its own error
        await transport(emulator.base_url).generate_images("a [blocked] thing")
    assert info.value.code == "moderation_blocked"
    assert len(emulator.requests) == 1 and emulator.state.images_made == 0


async def test_edits_with_a_mask_change_only_the_transparent_part(emulator: Emulator) -> None:
    source = picture((64, 64))
    mask_img = Image.new("RGBA", (64, 64), (0, 0, 0, 255))
    mask_img.paste((0, 0, 0, 0), (0, 0, 32, 64))  # the left half is to be edited
    mask_bytes = io.BytesIO()
    mask_img.save(mask_bytes, "PNG")
    t = transport(emulator.base_url, input_fidelity="high")
    (edited,) = await t.edit_images(
        "paint it blue",
        images=[ImageBlock(media_type="image/png", data=source)],
        mask=ImageBlock(media_type="image/png", data=mask_bytes.getvalue()),
    )
    with Image.open(io.BytesIO(edited)) as image:
        right, left = image.convert("RGB").getpixel((60, 30)), image.convert("RGB").getpixel((2, 2))
    assert right == (200, 10, 10) and left != (200, 10, 10)
    assert emulator.requests[0].body["input_fidelity"] == "high"


async def test_a_mask_that_does_not_fit_is_refused_before_sending(emulator: Emulator) -> None:
    t = transport(emulator.base_url)
    with pytest.raises(ConfigurationError, match="must match"):
        await t.edit_images(
            "x",
            images=[ImageBlock(media_type="image/png", data=picture((64, 64)))],
            mask=ImageBlock(media_type="image/png", data=picture((32, 32), "RGBA", (0, 0, 0, 0))),
        )
    assert emulator.requests == []


async def test_several_sources_go_as_image_array(emulator: Emulator) -> None:
    blocks = [ImageBlock(media_type="image/png", data=picture((16, 16))) for _ in range(3)]
    (edited,) = await transport(emulator.base_url).edit_images("combine", images=blocks)
    assert image_size(edited) == (16, 16)


async def test_partial_images_stream_then_the_final_one(emulator: Emulator) -> None:
    t = transport(emulator.base_url, size="1024x1024", quality="low")
    parts = [p async for p in t.stream_images("a tree", partial_images=3)]
    assert [(p.index, p.final) for p in parts] == [(0, False), (1, False), (2, False), (-1, True)]
    assert parts[-1].usage and parts[-1].usage["output_tokens"] == 272
    assert all(image_size(p.data) == (1024, 1024) for p in parts)
    source = [ImageBlock(media_type="image/png", data=picture((32, 32)))]
    edits = [p async for p in t.stream_image_edits("a hat", images=source, partial_images=1)]
    assert [p.final for p in edits] == [False, True]
    with pytest.raises(ConfigurationError, match="partial_images"):
        t.stream_images("x", partial_images=4)


def test_settings_are_checked_when_built() -> None:
    with pytest.raises(ConfigurationError, match="response_format"):
        OpenAIImageTransport(model="gpt-image-1", response_format="url")
    with pytest.raises(ConfigurationError, match="quality"):
        OpenAIImageTransport(quality="ultra")
    t = OpenAIImageTransport(api_key="sk-secret-value-123", model="dall-e-3", style="natural")
    assert "sk-secret" not in repr(t) and "sk-secret" not in json.dumps(t.to_dict())
    assert OpenAIImageTransport.from_dict(t.to_dict()) == OpenAIImageTransport(model="dall-e-3", style="natural")


async def test_the_official_sdk_generates_edits_and_streams_against_the_emulator(emulator: Emulator) -> None:
    async with openai.AsyncOpenAI(api_key="sk-sdk", base_url=emulator.base_url) as client:
        made = await client.images.generate(model="gpt-image-1", prompt="a kite", size="1024x1024", quality="low")
        assert made.data and image_type(base64.b64decode(made.data[0].b64_json or "")) == "png"
        assert schema_errors("ImagesResponse", made.model_dump(exclude_none=True)) == []
        edited = await client.images.edit(
            model="gpt-image-1", prompt="red", image=("a.png", picture((16, 16)), "image/png")
        )
        assert edited.data and image_size(base64.b64decode(edited.data[0].b64_json or "")) == (16, 16)
        stream = await client.images.generate(model="gpt-image-1", prompt="a kite", stream=True, partial_images=1)
        kinds = [event.type async for event in stream]
        assert kinds == ["image_generation.partial_image", "image_generation.completed"]
        edits = await client.images.edit(
            model="gpt-image-1",
            prompt="red",
            image=("a.png", picture((16, 16)), "image/png"),
            stream=True,
            partial_images=2,
        )
        edit_kinds = [event.type async for event in edits]
        assert edit_kinds == ["image_edit.partial_image", "image_edit.partial_image", "image_edit.completed"]


# ── a server with the quirks real image servers have ─────────────────────────────────────────────


class Quirky:
    """Answers one image per request whatever ``n`` says (many local servers), or as scripted."""

    def __init__(self) -> None:
        self.made = self.requests = 0
        self.script: list[str] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests += 1
        step = self.script.pop(0) if self.script else "ok"
        if step == "503":
            return web.json_response({"detail": "warming up"}, status=503)
        if step == "bare":
            return web.json_response({"error": "prompt must not be empty of meaning"}, status=400)
        self.made += 1  # the server accepted the work: from here it is paid for
        if step == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if step == "500":
            return web.json_response({"error": {"message": "died after drawing"}}, status=500)
        if step.startswith("url:"):
            return web.json_response({"created": 1, "data": [{"url": step[4:]}]})
        b64 = base64.b64encode(picture((8, 8), fill=(self.made, 0, 0))).decode()
        return web.json_response({"created": 1, "data": [{"b64_json": b64}], "n_asked": body.get("n")})


@pytest.fixture
async def quirky() -> AsyncIterator[tuple[str, Quirky]]:
    server = Quirky()
    app = web.Application()
    app.router.add_post("/v1/images/generations", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/v1", server
    await runner.cleanup()


async def test_a_server_that_makes_fewer_than_asked_is_reported_with_what_came(quirky: tuple[str, Quirky]) -> None:
    url, server = quirky
    with pytest.raises(IncompleteResultError, match="asked for 2 images, the server returned 1") as info:
        await transport(url, model="sd-turbo").generate_images("a cat", n=2)
    assert len(info.value.results) == 1 and server.made == 1
    images = await transport(url, model="sd-turbo", max_images_per_request=1).generate_images("a cat", n=3)
    assert len(images) == 3 and server.made == 4


async def test_a_url_on_another_host_never_gets_the_key(quirky: tuple[str, Quirky], emulator: Emulator) -> None:
    url, server = quirky
    emulator.state.image_files["abc"] = (picture((4, 4)), emulator.state.clock.now())
    server.script = [f"url:{emulator.base_url}/images/files/abc"]  # the emulator plays a storage host
    (image,) = await transport(url, model="sd-turbo").generate_images("a cat")
    assert image_size(image) == (4, 4)
    (download,) = emulator.requests
    assert "Authorization" not in download.headers and "sk-images" not in str(download.headers)


async def test_partial_results_are_returned_when_asked(quirky: tuple[str, Quirky]) -> None:
    url, server = quirky
    server.script = ["ok", "500", "ok"]
    t = transport(url, model="sd-turbo", max_images_per_request=1, max_concurrency=1)
    result = await t.generate_image_batch("a cat", n=3, partial=True)
    assert len(result.images) == 1 and len(result.errors) == 1 and result.errors[0].status == 500
    # One failed request stops the rest: the third was never sent, so never paid for.
    assert server.made == 2


async def test_a_bare_string_error_reaches_the_typed_error(quirky: tuple[str, Quirky]) -> None:
    url, server = quirky
    server.script = ["bare"]
    with pytest.raises(BadRequestError, match="prompt must not be empty of meaning"):
        await transport(url, model="sd-turbo").generate_images("a cat")


@pytest.mark.parametrize(("script", "made", "sent"), [(["503"], 1, 2), (["drop"], 1, 1), (["500"], 1, 1)])
async def test_no_retry_ever_pays_for_a_second_generation(
    quirky: tuple[str, Quirky], script: list[str], made: int, sent: int
) -> None:
    url, server = quirky
    server.script = list(script)
    t = transport(url, model="sd-turbo")
    try:
        await t.generate_images("a cat")
    except OmniError:
        pass
    # 503 says the work never started: sent again, made once. A drop or a 500 after the server took
    # the work: never sent again, so never made twice.
    assert (server.made, server.requests) == (made, sent)
