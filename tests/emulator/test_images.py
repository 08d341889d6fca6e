"""The emulator's image endpoints on the wire: OpenAI's shapes (schema-checked), refusals, faults."""

from __future__ import annotations

import io
import json
from typing import Any

import aiohttp
import pytest
from PIL import Image

from axio_omni.emulator import Emulator
from tests.helpers import schema_errors


async def post(emu: Emulator, path: str, body: Any, **kw: Any) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as s, s.post(emu.base_url + path, json=body, **kw) as r:
        return r.status, await r.read()


@pytest.mark.parametrize(
    "body",
    [
        {
            "model": "gpt-image-1",
            "prompt": "a cat",
            "size": "1536x1024",
            "quality": "high",
            "background": "transparent",
        },
        {"model": "gpt-image-1", "prompt": "a cat", "output_format": "jpeg", "output_compression": 50},
        {"model": "dall-e-2", "prompt": "a cat", "size": "256x256", "response_format": "url", "n": 2},
        {"model": "dall-e-3", "prompt": "a cat", "size": "1024x1024", "response_format": "b64_json"},
        {"prompt": "the default model"},
    ],
)
async def test_answers_follow_openais_schema(emulator: Emulator, body: dict[str, Any]) -> None:
    status, raw = await post(emulator, "/images/generations", body)
    answer = json.loads(raw)
    assert status == 200 and schema_errors("ImagesResponse", answer) == []
    assert len(answer["data"]) == body.get("n", 1)


async def test_stream_events_follow_openais_schema(emulator: Emulator) -> None:
    body = {"model": "gpt-image-1", "prompt": "a cat", "stream": True, "partial_images": 2, "size": "1024x1024"}
    status, raw = await post(emulator, "/images/generations", body)
    events = [json.loads(line[6:]) for line in raw.decode().splitlines() if line.startswith("data: ")]
    assert status == 200 and [e["type"] for e in events] == [
        "image_generation.partial_image",
        "image_generation.partial_image",
        "image_generation.completed",
    ]
    assert "[DONE]" not in raw.decode()
    for event in events:
        assert schema_errors("ImageGenStreamEvent", event) == []


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "dall-e-3", "prompt": "a cat", "n": 2}, "n"),
        ({"model": "gpt-image-1", "prompt": "a cat", "response_format": "url"}, "response_format"),
        ({"model": "dall-e-2", "prompt": "a cat", "size": "1536x1024"}, "size"),
        ({"model": "gpt-image-1"}, "prompt"),
    ],
)
async def test_refusals_name_the_field_in_openais_shape(emulator: Emulator, body: dict[str, Any], param: str) -> None:
    status, raw = await post(emulator, "/images/generations", body)
    assert status == 400 and json.loads(raw)["error"]["param"] == param
    assert schema_errors("ErrorResponse", json.loads(raw)) == [] and emulator.state.images_made == 0


async def test_faults_apply_to_images_like_any_request(emulator: Emulator) -> None:
    status, _ = await post(emulator, "/images/generations", {"prompt": "x"}, headers={"X-Emulator-Fault": "status=503"})
    assert status == 503 and emulator.state.images_made == 0


async def test_edit_streams_and_multipart_answers(emulator: Emulator) -> None:
    png = io.BytesIO()
    Image.new("RGB", (24, 24), (1, 2, 3)).save(png, "PNG")
    form = aiohttp.FormData()
    form.add_field("image", png.getvalue(), filename="a.png", content_type="image/png")
    form.add_field("prompt", "a hat")
    form.add_field("model", "gpt-image-1")
    form.add_field("stream", "true")
    form.add_field("partial_images", "1")
    async with aiohttp.ClientSession() as s, s.post(emulator.base_url + "/images/edits", data=form) as r:
        raw = (await r.read()).decode()
    events = [json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: ")]
    assert [e["type"] for e in events] == ["image_edit.partial_image", "image_edit.completed"]
    for event in events:
        assert schema_errors("ImageEditStreamEvent", event) == []
    assert emulator.requests[0].body == {
        "prompt": "a hat",
        "model": "gpt-image-1",
        "stream": "true",
        "partial_images": "1",
    }


async def test_an_edit_answer_follows_openais_schema(emulator: Emulator) -> None:
    png = io.BytesIO()
    Image.new("RGB", (24, 24), (1, 2, 3)).save(png, "PNG")
    form = aiohttp.FormData()
    form.add_field("image[]", png.getvalue(), filename="a.png", content_type="image/png")
    form.add_field("image[]", png.getvalue(), filename="b.png", content_type="image/png")
    form.add_field("prompt", "a hat")
    form.add_field("model", "gpt-image-1")
    form.add_field("n", "2")
    async with aiohttp.ClientSession() as s, s.post(emulator.base_url + "/images/edits", data=form) as r:
        answer = await r.json()
    assert r.status == 200 and len(answer["data"]) == 2 and schema_errors("ImagesResponse", answer) == []
    assert answer["usage"]["input_tokens_details"]["image_tokens"] == 2 * 323
