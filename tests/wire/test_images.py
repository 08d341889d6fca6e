"""Images without a socket: what each model family takes, answers read strictly, streams, file headers."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from axio_omni.errors import ConfigurationError, InBandError, MalformedResponseError
from axio_omni.wire.image_files import check_edit_sources, image_size, png_has_alpha
from axio_omni.wire.images import (
    ImageOptions,
    ImageStreamDecoder,
    family,
    image_type,
    max_per_request,
    read_images,
    split_count,
)


def picture(fmt: str, size: tuple[int, int] = (8, 6), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 20, 30, 0)[: len(mode)]).save(out, fmt)
    return out.getvalue()


PNG = picture("PNG")


@pytest.mark.parametrize(
    ("model", "kind"),
    [("gpt-image-1", "gpt-image"), ("gpt-image-1-mini", "gpt-image"), ("chatgpt-image-latest", "gpt-image"),
     ("dall-e-3", "dall-e-3"), ("dall-e-2", "dall-e-2"), ("stable-diffusion", "other"), ("dall-e-30", "other")],
)  # fmt: skip
def test_families(model: str, kind: str) -> None:
    assert family(model) == kind


@pytest.mark.parametrize(
    ("model", "options", "edit", "stream", "needle"),
    [
        ("gpt-image-1", {"size": "1792x1024"}, False, False, "size"),
        ("gpt-image-1", {"response_format": "url"}, False, False, "response_format"),
        ("gpt-image-1", {"background": "transparent", "output_format": "jpeg"}, False, False, "transparent"),
        ("gpt-image-1", {"output_compression": 50}, False, False, "output_compression"),
        ("gpt-image-1", {"quality": "hd"}, False, False, "quality"),
        ("gpt-image-1", {"input_fidelity": "high"}, False, False, "input_fidelity"),
        ("dall-e-3", {"size": "512x512"}, False, False, "size"),
        ("dall-e-3", {}, True, False, "does not edit"),
        ("dall-e-3", {"background": "opaque"}, False, False, "background"),
        ("dall-e-2", {"style": "vivid"}, False, False, "style"),
        ("dall-e-2", {}, False, True, "stream"),
        ("sd-server", {"size": "big"}, False, False, "size"),
    ],
)
def test_what_a_family_refuses_is_refused_by_name(
    model: str, options: dict[str, Any], edit: bool, stream: bool, needle: str
) -> None:
    with pytest.raises(ConfigurationError, match=needle):
        ImageOptions(**options).check(model, 1, edit=edit, stream=stream)


def test_what_a_family_takes_passes_and_unset_fields_are_not_sent() -> None:
    options = ImageOptions(size="1536x1024", quality="high", background="transparent", output_format="webp",
                           output_compression=80, moderation="low")  # fmt: skip
    options.check("gpt-image-1", 10)
    assert options.fields(edit=False) == {
        "size": "1536x1024", "quality": "high", "background": "transparent", "output_format": "webp",
        "output_compression": 80, "moderation": "low",
    }  # fmt: skip
    assert ImageOptions().fields(edit=True) == {}
    ImageOptions(size="640x480", response_format="url").check("stable-diffusion", 4)
    ImageOptions(size="1792x1024", quality="hd", style="natural").check("dall-e-3", 1)
    with pytest.raises(ConfigurationError, match="n must be"):
        ImageOptions().check("gpt-image-1", 0)


def test_caps_and_splitting() -> None:
    assert (max_per_request("dall-e-3", None), max_per_request("gpt-image-1", None), max_per_request("x", 1)) == (
        1,
        10,
        1,
    )
    assert split_count(5, 2) == [2, 2, 1] and split_count(3, 10) == [3] and split_count(1, 1) == [1]


@given(st.integers(1, 200), st.integers(1, 20))
def test_splitting_keeps_the_count(n: int, cap: int) -> None:
    parts = split_count(n, cap)
    assert sum(parts) == n and all(1 <= p <= cap for p in parts) and len(parts) == -(-n // cap)


@pytest.mark.parametrize(("fmt", "kind"), [("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp"), ("GIF", "gif")])
def test_image_types_and_sizes_from_headers(fmt: str, kind: str) -> None:
    data = picture(fmt, (37, 21))
    assert image_type(data) == kind
    if kind != "gif":
        assert image_size(data) == (37, 21)
    assert image_type(b"%PDF-1.7") is None and image_size(b"nope") is None


def test_webp_with_alpha_and_lossless_sizes() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (33, 17)).save(out, "WEBP", lossless=True)
    assert image_size(out.getvalue()) == (33, 17)


def test_png_alpha() -> None:
    assert png_has_alpha(picture("PNG", mode="RGBA")) and not png_has_alpha(PNG)


def _answer(**data: Any) -> bytes:
    return json.dumps({"created": 1, **data}).encode()


def test_answers_with_b64_and_url_entries() -> None:
    b64 = base64.b64encode(PNG).decode()
    answer = read_images(_answer(data=[{"b64_json": b64, "revised_prompt": "r"}, {"url": "https://x/y.png"}]), asked=2)
    assert answer.items == [PNG, "https://x/y.png"] and answer.revised_prompts == ["r", None]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (_answer(), "data list"),
        (b"<html>", "data list"),
        (_answer(data=[{"b64_json": "!!"}]), "base64"),
        (_answer(data=[{"b64_json": base64.b64encode(b"not an image").decode()}]), "not an image"),
        (_answer(data=[{"other": 1}]), "neither"),
        (_answer(data=[{"b64_json": base64.b64encode(PNG).decode()}] * 3), "asked for 2"),
    ],
)
def test_bad_answers_are_refused(body: bytes, needle: str) -> None:
    with pytest.raises(MalformedResponseError, match=needle):
        read_images(body, asked=2)


def _stream(kind: str = "image_generation") -> bytes:
    b64 = base64.b64encode(PNG).decode()
    common = {"created_at": 1, "size": "1024x1024", "quality": "low", "background": "opaque", "output_format": "png"}
    events = [
        {"type": f"{kind}.partial_image", "b64_json": b64, **common, "partial_image_index": 0},
        {"type": f"{kind}.partial_image", "b64_json": b64, **common, "partial_image_index": 1},
        {"type": f"{kind}.completed", "b64_json": b64, **common, "usage": {"total_tokens": 3}},
    ]
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


@settings(max_examples=30)
@given(st.integers(1, 200))
def test_a_stream_reads_the_same_however_it_is_cut(step: int) -> None:
    raw, decoder = _stream(), ImageStreamDecoder()
    parts = [p for i in range(0, len(raw), step) for p in decoder.feed(raw[i : i + step])] + decoder.feed(b"", True)
    assert [(p.index, p.final) for p in parts] == [(0, False), (1, False), (-1, True)]
    assert parts[-1].usage == {"total_tokens": 3} and all(p.data == PNG for p in parts) and decoder.done


def test_edit_streams_and_errors_in_a_stream() -> None:
    decoder = ImageStreamDecoder()
    assert [p.final for p in decoder.feed(_stream("image_edit"))] == [False, False, True]
    with pytest.raises(InBandError, match="boom"):
        ImageStreamDecoder().feed(b'event: error\ndata: {"error": {"message": "boom", "code": "server_error"}}\n\n')


@pytest.mark.parametrize(
    ("kind", "sources", "mask", "needle"),
    [
        ("gpt-image", [], None, "at least one"),
        ("gpt-image", [("image/png", PNG)] * 17, None, "at most 16"),
        ("dall-e-2", [("image/png", PNG)] * 2, None, "at most 1"),
        ("dall-e-2", [("image/jpeg", picture("JPEG"))], None, "takes png"),
        ("gpt-image", [("image/gif", picture("GIF"))], None, "takes png, jpeg, webp"),
        ("gpt-image", [("image/png", b"not an image")], None, "not an image"),
        ("dall-e-2", [("image/png", picture("PNG", (8, 6)))], None, "square"),
        ("gpt-image", [("image/png", PNG)], ("image/png", PNG), "transparency"),
        ("gpt-image", [("image/png", PNG)], ("image/jpeg", picture("JPEG")), "PNG"),
        ("gpt-image", [("image/png", PNG)], ("image/png", picture("PNG", (9, 9), "RGBA")), "9x9"),
    ],
)
def test_edit_sources_and_masks_are_checked_before_sending(
    kind: str, sources: list[tuple[str, bytes]], mask: tuple[str, bytes] | None, needle: str
) -> None:
    with pytest.raises(ConfigurationError, match=needle):
        check_edit_sources(kind, sources, mask)


def test_good_edit_sources_pass() -> None:
    check_edit_sources(
        "gpt-image",
        [("image/png", PNG), ("image/webp", picture("WEBP"))],
        ("image/png", picture("PNG", (8, 6), "RGBA")),
    )
