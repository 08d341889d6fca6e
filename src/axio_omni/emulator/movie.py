"""The emulator's videos: real MP4 files (PyAV) of the asked length and size, the same for the same prompt.

PyAV and Pillow are in the ``media`` extra, imported when a video is made. A video is a coloured
square crossing a background whose colours come from a hash of the prompt, at 8 frames a second
(H.264 where the build has it, else MPEG-4 part 2), so a video library decodes it to the asked
duration and size. Thumbnails are WebP and spritesheets JPEG, as OpenAI sends them.
"""

from __future__ import annotations

import hashlib
import io
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from .picture import MediaMissing, load_pillow

__all__ = ["FPS", "make_mp4", "spritesheet", "thumbnail"]

FPS = 8


def _av() -> Any:
    try:
        import av
    except ImportError:
        raise MediaMissing("the emulator makes videos with PyAV: pip install 'axio-omni[media]'") from None
    return av


def _frame(prompt: str, k: int, frames: int, size: tuple[int, int]) -> npt.NDArray[np.uint8]:
    digest = hashlib.sha256(prompt.encode()).digest()
    w, h = size
    image = np.empty((h, w, 3), np.uint8)
    image[:] = list(digest[0:3])
    side = max(2, min(w, h) // 4)
    x = (w - side) * k // max(1, frames - 1)
    y = (h - side) // 2
    image[y : y + side, x : x + side] = list(digest[3:6])
    return image


def make_mp4(prompt: str, seconds: float, size: tuple[int, int]) -> bytes:
    """An MP4 of ``seconds`` at ``size`` (width, height; even numbers)."""
    av = _av()
    frames = max(1, round(seconds * FPS))
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        stream = container.add_stream(codec, rate=FPS)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        if codec == "libx264":
            stream.options = {"preset": "ultrafast", "tune": "zerolatency"}  # an emulator, not an encoder
        stream.time_base = Fraction(1, FPS)
        for k in range(frames):
            frame = av.VideoFrame.from_ndarray(_frame(prompt, k, frames, size), format="rgb24")
            frame.pts = k
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def _encode(array: npt.NDArray[np.uint8], fmt: str) -> bytes:
    image_mod, _ = load_pillow()
    out = io.BytesIO()
    image_mod.fromarray(array).save(out, fmt)
    return out.getvalue()


def thumbnail(prompt: str, size: tuple[int, int]) -> bytes:
    """The first frame as WebP."""
    return _encode(_frame(prompt, 0, 2, size), "WEBP")


def spritesheet(prompt: str, size: tuple[int, int]) -> bytes:
    """Four frames side by side, a quarter size each, as JPEG."""
    small = (max(2, size[0] // 4), max(2, size[1] // 4))
    return _encode(np.concatenate([_frame(prompt, k, 4, small) for k in range(4)], axis=1), "JPEG")
