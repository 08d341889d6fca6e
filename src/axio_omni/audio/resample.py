"""Sample-rate conversion with soxr (libsoxr), whole or one chunk at a time.

soxr was chosen on measurement (``benchmarks/bench_audio.py``): a 1 kHz sine converted from 16 kHz
to 24 kHz keeps about 130 dB signal-to-noise, and it runs thousands of times faster than real
time on one core, also chunk by chunk. The chunked output equals the whole-signal output, so a
live stream has no clicks at chunk boundaries.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import soxr

from .pcm import Samples

__all__ = ["Resampler", "resample"]


def _check(src_rate: int, dst_rate: int) -> None:
    for name, rate in (("src_rate", src_rate), ("dst_rate", dst_rate)):
        if not isinstance(rate, int) or isinstance(rate, bool) or rate <= 0:
            raise ValueError(f"{name} must be a positive integer, got {rate!r}")


def resample(samples: npt.ArrayLike, src_rate: int, dst_rate: int) -> Samples:
    """``samples`` (shape ``(n,)`` or ``(n, channels)``) converted from ``src_rate`` to ``dst_rate`` Hz."""
    _check(src_rate, dst_rate)
    array = np.asarray(samples, dtype=np.float32)
    if src_rate == dst_rate or array.shape[0] == 0:
        return array.copy()
    out: Samples = soxr.resample(array, src_rate, dst_rate, quality="HQ").astype(np.float32, copy=False)
    return out


class Resampler:
    """A stateful converter for a live stream: feed chunks, then ``flush()`` once at the end."""

    __slots__ = ("src_rate", "dst_rate", "channels", "_stream")

    def __init__(self, src_rate: int, dst_rate: int, channels: int = 1) -> None:
        _check(src_rate, dst_rate)
        self.src_rate, self.dst_rate, self.channels = src_rate, dst_rate, channels
        self._stream = (
            None
            if src_rate == dst_rate
            else soxr.ResampleStream(src_rate, dst_rate, channels, dtype="float32", quality="HQ")
        )

    def process(self, chunk: npt.ArrayLike) -> Samples:
        """The converted samples available after ``chunk`` (may be fewer than proportional)."""
        array = np.asarray(chunk, dtype=np.float32)
        if self._stream is None:
            return array.copy()
        out: Samples = self._stream.resample_chunk(array)
        return out

    def flush(self) -> Samples:
        """The samples still held by the filter at the end of the stream."""
        empty = np.zeros((0,) if self.channels == 1 else (0, self.channels), np.float32)
        if self._stream is None:
            return empty
        out: Samples = self._stream.resample_chunk(empty, last=True)
        return out
