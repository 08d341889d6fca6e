"""The emulator's pictures: real PNG, JPEG and WebP files, the same for the same prompt (Pillow).

Pillow is in the ``media`` extra: the emulator's image endpoints import it when they are called,
so the rest of the package (and of the emulator) runs without it. A picture is a background
colour and a few shapes, all drawn from a hash of the prompt and the image's index, so tests can
compare what a call returns with what the same prompt makes.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

__all__ = ["MediaMissing", "draw", "edit", "image_size_of", "load_pillow"]


class MediaMissing(RuntimeError):
    """Pillow is not installed: the emulator cannot make images."""


def load_pillow() -> Any:
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        raise MediaMissing("the emulator makes images with Pillow: pip install 'axio-omni[media]'") from None
    return Image, ImageDraw


def _colours(prompt: str, index: int) -> list[tuple[int, int, int]]:
    digest = hashlib.sha256(f"{index}:{prompt}".encode()).digest()
    return [(digest[i], digest[i + 1], digest[i + 2]) for i in range(0, 30, 3)]


def _encode(image: Any, fmt: str, compression: int | None) -> bytes:
    out = io.BytesIO()
    if fmt == "jpeg":
        image.convert("RGB").save(out, "JPEG", quality=max(1, compression or 90))
    elif fmt == "webp":
        image.save(out, "WEBP", quality=compression if compression is not None else 90)
    else:
        image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def draw(prompt: str, index: int, size: tuple[int, int], fmt: str, *, transparent: bool = False,
         compression: int | None = None, detail: float = 1.0) -> bytes:  # fmt: skip
    """The picture for ``prompt`` at ``size``; ``detail`` below 1 draws fewer shapes (a partial image)."""
    image_mod, draw_mod = load_pillow()
    colours = _colours(prompt, index)
    w, h = size
    image = image_mod.new("RGBA", size, (0, 0, 0, 0) if transparent else (*colours[0], 255))
    pen = draw_mod.Draw(image)
    shapes = max(1, round(8 * detail))
    for k in range(shapes):
        c = colours[1 + k % 9]
        x0, y0 = (c[0] * w) // 256, (c[1] * h) // 256
        x1, y1 = x0 + max(2, w // (3 + k)), y0 + max(2, h // (3 + k))
        (pen.ellipse if k % 2 else pen.rectangle)((x0, y0, x1, y1), fill=(*c, 255))
    return _encode(image, fmt, compression)


def image_size_of(data: bytes) -> tuple[int, int]:
    image_mod, _ = load_pillow()
    with image_mod.open(io.BytesIO(data)) as image:
        return int(image.size[0]), int(image.size[1])


def edit(prompt: str, index: int, source: bytes, mask: bytes | None, fmt: str, size: tuple[int, int] | None) -> bytes:
    """``source`` with the prompt's picture painted where ``mask`` is transparent (everywhere without one)."""
    image_mod, _ = load_pillow()
    with image_mod.open(io.BytesIO(source)) as opened:
        base = opened.convert("RGBA")
    paint = image_mod.open(io.BytesIO(draw(prompt, index, base.size, "png"))).convert("RGBA")
    if mask is None:
        result = image_mod.blend(base, paint, 0.5)
    else:
        with image_mod.open(io.BytesIO(mask)) as opened:
            alpha = opened.convert("RGBA").getchannel("A")
        # Transparent mask pixels (alpha 0) are the ones to edit.
        result = image_mod.composite(base, paint, alpha.point(lambda a: 255 if a else 0))
    if size is not None and size != result.size:
        result = result.resize(size)
    return _encode(result, fmt, None)
