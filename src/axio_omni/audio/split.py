"""Long recordings cut into pieces at quiet moments, without decoding the whole recording at once.

Samples are read from the file block by block and written straight into the current piece's FLAC
encoder; only the last ``search`` seconds before a piece's limit are held, to choose where it
ends. Memory therefore stays near one encoded piece plus that window, whatever the length.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from ..wire.speech import quietest_cut
from .pcm import Samples, mixdown

__all__ = ["Piece", "iter_pieces"]

_BLOCK_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Piece:
    """One cut of a recording: a mono 16-bit FLAC file, and where it starts in the whole, in seconds."""

    data: bytes
    start: float
    duration: float


class _Writer:
    """A FLAC file being written in memory, one block at a time."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.buffer = io.BytesIO()
        self.file = sf.SoundFile(self.buffer, "w", samplerate=rate, channels=1, format="FLAC", subtype="PCM_16")
        self.frames = 0

    def write(self, samples: Samples) -> None:
        if len(samples):
            self.file.write(np.clip(samples, -1.0, 1.0))
            self.frames += len(samples)

    def close(self) -> bytes:
        self.file.close()
        return self.buffer.getvalue()


def iter_pieces(data: bytes, max_seconds: float, *, search: float = 30.0) -> Iterator[Piece]:
    """``data`` (an audio file soundfile reads) as mono FLAC pieces of at most ``max_seconds`` each."""
    with sf.SoundFile(io.BytesIO(data)) as source:
        rate = int(source.samplerate)
        max_n = max(1, int(max_seconds * rate))
        search_n = min(int(search * rate), max_n // 2)
        block = int(_BLOCK_SECONDS * rate)
        start = 0  # the current piece's first sample, in the whole recording
        writer = _Writer(rate)
        window = np.zeros(0, np.float32)  # samples read but not yet written, at most search_n
        while True:
            room = max_n - writer.frames - len(window)
            chunk = mixdown(source.read(min(block, room), dtype="float32", always_2d=True)) if room else window[:0]
            if room and not len(chunk):
                writer.write(window)
                yield Piece(writer.close(), start / rate, writer.frames / rate)
                return
            window = np.concatenate([window, chunk])
            if len(window) > search_n:
                writer.write(window[: len(window) - search_n])
                window = window[len(window) - search_n :]
            if writer.frames + len(window) >= max_n:
                cut = quietest_cut(window, rate)
                writer.write(window[:cut])
                frames = writer.frames
                yield Piece(writer.close(), start / rate, frames / rate)
                start += frames
                writer = _Writer(rate)
                window = window[cut:]
