"""Image files read by their headers (no decoding library): type, size, alpha; edit sources checked.

An edit the server would refuse is refused here, before anything is sent or billed: too many
sources, a source in a format the model does not take, a mask that is not a PNG with transparency
or whose size differs from the first source's (a mask is never dropped: axio's contract is to
reject what a provider cannot do).
"""

from __future__ import annotations

import struct

from ..errors import ConfigurationError
from .images import image_type

__all__ = ["check_edit_sources", "image_size", "png_has_alpha"]

_MAX_SOURCES = {"gpt-image": 16, "dall-e-2": 1}
_FORMATS = {"gpt-image": ("png", "jpeg", "webp"), "dall-e-2": ("png",)}
_MAX_BYTES = {"gpt-image": 50 * 1024 * 1024, "dall-e-2": 4 * 1024 * 1024}
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def image_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from a PNG, JPEG or WebP header, or None when it cannot be read."""
    kind = image_type(data)
    try:
        if kind == "png":
            w, h = struct.unpack(">II", data[16:24])
            return int(w), int(h)
        if kind == "webp":
            return _webp_size(data)
        if kind == "jpeg":
            return _jpeg_size(data)
    except struct.error:
        return None
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker, length = data[i + 1], int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in _SOF:
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return w, h
        i += 2 + length
    return None


def png_has_alpha(data: bytes) -> bool:
    """Whether a PNG carries transparency: an alpha channel (colour types 4 and 6) or a ``tRNS`` chunk."""
    if image_type(data) != "png" or len(data) < 26:
        return False
    return data[25] in (4, 6) or b"tRNS" in data[: data.find(b"IDAT")]


def check_edit_sources(kind: str, sources: list[tuple[str, bytes]], mask: tuple[str, bytes] | None) -> None:
    """Refuse, naming the reason, what an edit with model family ``kind`` would be refused for."""
    if not sources:
        raise ConfigurationError("images must hold at least one source image to edit")
    most = _MAX_SOURCES.get(kind, 16)
    if len(sources) > most:
        raise ConfigurationError(f"{len(sources)} source images: this model edits at most {most}")
    formats = _FORMATS.get(kind, ("png", "jpeg", "webp", "gif"))
    for i, (declared, data) in enumerate(sources):
        found = image_type(data)
        if found is None or found not in formats:
            raise ConfigurationError(
                f"images[{i}] ({declared}) is {found or 'not an image'}; this model takes {', '.join(formats)}"
            )
        if len(data) > _MAX_BYTES.get(kind, 64 * 1024 * 1024):
            raise ConfigurationError(f"images[{i}] is {len(data)} bytes, over this model's limit")
    first = image_size(sources[0][1])
    if kind == "dall-e-2" and first is not None and first[0] != first[1]:
        raise ConfigurationError(f"dall-e-2 edits square images; images[0] is {first[0]}x{first[1]}")
    if mask is None:
        return
    if image_type(mask[1]) != "png" or not png_has_alpha(mask[1]):
        raise ConfigurationError("mask must be a PNG with transparency (the transparent areas are edited)")
    size = image_size(mask[1])
    if first is not None and size != first:
        shown = f"{size[0]}x{size[1]}" if size else "of unknown size"
        raise ConfigurationError(f"mask is {shown}, images[0] is {first[0]}x{first[1]}: they must match")
