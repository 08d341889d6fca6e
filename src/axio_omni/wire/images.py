"""Image generation and editing, sans-I/O: what each model family accepts, request bodies, answers.

Model families differ, and OpenAI refuses what a family does not take, after the request was
billed nowhere but answered with a 400 all the same; checked here first, each refusal names the field:

============ ================================= ======= =========================================
family       sizes                             ``n``   also
============ ================================= ======= =========================================
gpt-image    1024x1024, 1536x1024, 1024x1536,  1-10    quality low/medium/high/auto; background
             auto                                      (transparent only as png/webp);
                                                       output_format, output_compression (jpeg,
                                                       webp); moderation; input_fidelity (edits);
                                                       streaming; never ``response_format``
dall-e-3     1024x1024, 1792x1024, 1024x1792   1       quality standard/hd; style; no edits
dall-e-2     256x256, 512x512, 1024x1024       1-10    one square PNG source to edit
other        any WxH                           server  what the caller sets is sent as it is
============ ================================= ======= =========================================

Settings the caller did not set are not sent. Answers are read strictly: each entry is ``b64_json``
or a ``url`` to download, decoded bytes must be an image (magic bytes), and fewer entries than asked
is reported, never hidden.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigurationError, InBandError, MalformedResponseError, Phase
from .error_body import parse_error_body
from .sse import SSEDecoder

__all__ = [
    "IMAGE_MEDIA_TYPES",
    "ImageAnswer",
    "ImageOptions",
    "ImagePart",
    "ImageStreamDecoder",
    "family",
    "image_type",
    "max_per_request",
    "read_images",
    "split_count",
]

IMAGE_MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}
_SIZES = {
    "gpt-image": ("1024x1024", "1536x1024", "1024x1536", "auto"),
    "dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
    "dall-e-2": ("256x256", "512x512", "1024x1024"),
}
_QUALITY = {"gpt-image": ("low", "medium", "high", "auto"), "dall-e-3": ("standard", "hd"), "dall-e-2": ("standard",)}
_CAPS = {"gpt-image": 10, "dall-e-3": 1, "dall-e-2": 10}
_SIZE = re.compile(r"^[1-9][0-9]{1,4}x[1-9][0-9]{1,4}$")


def family(model: str) -> str:
    """``gpt-image``, ``dall-e-3``, ``dall-e-2``, or ``other`` (a compatible server's own model)."""
    if model.startswith(("gpt-image", "chatgpt-image")):
        return "gpt-image"
    for name in ("dall-e-3", "dall-e-2"):
        if model == name or model.startswith(name + "-"):
            return name
    return "other"


def max_per_request(model: str, setting: int | None) -> int:
    """How many images one request may ask for: the ``max_images_per_request`` setting, else the family's cap."""
    return setting if setting is not None else _CAPS.get(family(model), 10)


def split_count(n: int, cap: int) -> list[int]:
    """``n`` images as request sizes of at most ``cap``: ``split_count(5, 2) == [2, 2, 1]``."""
    return [min(cap, n - i) for i in range(0, n, cap)]


def image_type(data: bytes) -> str | None:
    """``png``, ``jpeg``, ``webp`` or ``gif`` by the magic bytes, else None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageOptions:
    """What a request may carry besides the prompt; None means not sent."""

    size: str | None = None
    quality: str | None = None
    background: str | None = None
    output_format: str | None = None
    output_compression: int | None = None
    moderation: str | None = None
    response_format: str | None = None
    style: str | None = None
    input_fidelity: str | None = None
    user: str | None = None

    def check(self, model: str, n: int, *, edit: bool = False, stream: bool = False) -> None:
        """Raise :class:`ConfigurationError` naming the first field ``model`` refuses."""
        kind = family(model)
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ConfigurationError(f"n must be a whole number of images >= 1, got {n!r}")
        if self.size is not None:
            allowed = _SIZES.get(kind)
            if (allowed and self.size not in allowed) or (
                not allowed and self.size != "auto" and not _SIZE.match(self.size)
            ):
                raise ConfigurationError(
                    f"size={self.size!r} is not a size {model} makes ({', '.join(allowed or ('WxH',))})"
                )
        if self.quality is not None and kind in _QUALITY and self.quality not in _QUALITY[kind]:
            raise ConfigurationError(f"quality={self.quality!r}: {model} takes {', '.join(_QUALITY[kind])}")
        self._check_family(model, kind, edit=edit, stream=stream)

    def _check_family(self, model: str, kind: str, *, edit: bool, stream: bool) -> None:
        only_gpt_image = ("background", "output_format", "output_compression", "moderation", "input_fidelity")
        if kind in ("dall-e-2", "dall-e-3"):
            for name in only_gpt_image:
                if getattr(self, name) is not None:
                    raise ConfigurationError(f"{name} is for gpt-image models; {model} does not take it")
            if stream:
                raise ConfigurationError(f"{model} does not stream partial images; use a gpt-image model")
        if kind == "dall-e-3" and edit:
            raise ConfigurationError("dall-e-3 does not edit images; use gpt-image-1 or dall-e-2")
        if self.style is not None and kind not in ("dall-e-3", "other"):
            raise ConfigurationError(f"style is for dall-e-3; {model} does not take it")
        if kind == "gpt-image":
            if self.response_format is not None:
                raise ConfigurationError(f"response_format: {model} always answers b64_json and refuses the field")
            fmt = self.output_format or "png"
            if self.background == "transparent" and fmt not in ("png", "webp"):
                raise ConfigurationError(f"background='transparent' needs output_format png or webp, not {fmt!r}")
            if self.output_compression is not None and fmt not in ("jpeg", "webp"):
                raise ConfigurationError(f"output_compression is for jpeg and webp output, not {fmt!r}")
        if self.input_fidelity is not None and not edit:
            raise ConfigurationError("input_fidelity is for edits only")

    def fields(self, *, edit: bool) -> dict[str, Any]:
        """The set fields, as a request carries them."""
        out = {
            name: getattr(self, name)
            for name in ("size", "quality", "background", "output_format", "output_compression", "moderation",
                         "response_format", "style", "user")
            if getattr(self, name) is not None
        }  # fmt: skip
        if edit and self.input_fidelity is not None:
            out["input_fidelity"] = self.input_fidelity
        return out


@dataclass(frozen=True, slots=True)
class ImageAnswer:
    """One answer's images, as bytes (``b64_json``) or URLs still to download, in order."""

    items: list[bytes | str]
    revised_prompts: list[str | None]
    usage: dict[str, Any] | None
    output_format: str | None


def read_images(body: bytes, *, asked: int, check: Callable[[bytes], bool] | None = None) -> ImageAnswer:
    """An images answer, read strictly; fewer entries than ``asked`` is left for the caller to report.

    ``check`` says whether decoded bytes are what the answer should hold (default: an image); LocalAI
    answers videos in the same shape."""
    try:
        data = json.loads(body)
        entries = data["data"]
        if not isinstance(entries, list):
            raise TypeError("data is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedResponseError(f"an images answer without a data list: {body[:200]!r} ({exc})") from None
    items: list[bytes | str] = []
    revised: list[str | None] = []
    for i, entry in enumerate(entries):
        if isinstance(entry, dict) and isinstance(entry.get("b64_json"), str):
            items.append(_decode(entry["b64_json"], f"data[{i}].b64_json", check))
        elif isinstance(entry, dict) and isinstance(entry.get("url"), str):
            items.append(entry["url"])
        else:
            raise MalformedResponseError(f"data[{i}] has neither b64_json nor url: {str(entry)[:200]}")
        revised.append(entry.get("revised_prompt"))
    if len(items) > asked:
        raise MalformedResponseError(f"asked for {asked} images, the server returned {len(items)}")
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else None
    return ImageAnswer(items, revised, usage, data.get("output_format"))


def _decode(b64: str, where: str, check: Callable[[bytes], bool] | None = None) -> bytes:
    try:
        image = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedResponseError(f"{where} is not base64") from None
    if check is not None:
        if not check(image):
            raise MalformedResponseError(f"{where} is not what the answer should hold: starts {image[:12]!r}")
    elif image_type(image) is None:
        raise MalformedResponseError(f"{where} is not an image (PNG, JPEG, WebP or GIF): starts {image[:12]!r}")
    return image


@dataclass(frozen=True, slots=True)
class ImagePart:
    """One streamed image: a partial one (``final`` False, ``index`` its number) or the finished one."""

    data: bytes
    index: int
    final: bool
    usage: dict[str, Any] | None = None
    fields: dict[str, Any] = field(default_factory=dict)


class ImageStreamDecoder:
    """``image_generation.*`` / ``image_edit.*`` SSE events as :class:`ImagePart`; the stream has no ``[DONE]``."""

    def __init__(self) -> None:
        self._sse = SSEDecoder(max_event_bytes=64 * 1024 * 1024)
        self.done = False

    def feed(self, chunk: bytes, final: bool = False) -> list[ImagePart]:
        out = []
        for event in self._sse.decode(chunk, final):
            if not event.data.strip() or event.data.strip() == "[DONE]":
                continue
            try:
                payload = json.loads(event.data)
                kind = payload.get("type") or event.event
            except (ValueError, AttributeError):
                raise MalformedResponseError(f"an image stream event that is not JSON: {event.data[:200]!r}") from None
            if kind == "error" or "error" in payload:
                raise _stream_error(payload)
            if not kind.endswith((".partial_image", ".completed")):
                continue  # an event this reader does not need
            image = _decode(str(payload.get("b64_json", "")), kind)
            final_one = kind.endswith(".completed")
            self.done = self.done or final_one
            fields = {k: v for k, v in payload.items() if k not in ("b64_json", "usage")}
            out.append(
                ImagePart(image, int(payload.get("partial_image_index", -1)), final_one, payload.get("usage"), fields)
            )
        return out


def _stream_error(payload: dict[str, Any]) -> InBandError:
    said = parse_error_body(json.dumps(payload))
    message = said["message"] or "the image stream reported an error"
    return InBandError(message, code=said["code"], type=said["type"], phase=Phase.RESPONSE_STARTED)
