"""Samples as numbers: PCM16 bytes to float32 and back, and channels to mono."""

from __future__ import annotations

from typing import cast

import numpy as np
import numpy.typing as npt
from axio.blocks import AudioBlock, AudioMediaType

__all__ = ["Samples", "float_to_pcm16", "mixdown", "pcm16_to_float", "pcm_block"]

type Samples = npt.NDArray[np.float32]


def pcm16_to_float(data: bytes | npt.NDArray[np.int16], channels: int = 1) -> Samples:
    """Little-endian signed 16-bit PCM as float32 in [-1, 1), shape ``(n,)`` or ``(n, channels)``."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        if len(data) % (2 * channels):
            raise ValueError(f"{len(data)} bytes are not whole 16-bit frames of {channels} channel(s)")
        raw = np.frombuffer(data, dtype="<i2")
    else:
        raw = data
    out = raw.astype(np.float32) / 32768.0
    return out.reshape(-1, channels) if channels > 1 else out


def float_to_pcm16(samples: npt.ArrayLike) -> bytes:
    """float samples (clipped to [-1, 1]) as little-endian 16-bit PCM, rounded to nearest."""
    array = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    return np.round(array * 32767.0).astype("<i2").tobytes()


def mixdown(samples: npt.ArrayLike) -> Samples:
    """Mono: the mean of the channels of a ``(n, channels)`` array; a 1-D array is returned as is."""
    array = np.asarray(samples, dtype=np.float32)
    if array.ndim == 1:
        return array
    if array.ndim != 2:
        raise ValueError(f"expected samples of shape (n,) or (n, channels), got {array.shape}")
    return array.mean(axis=1, dtype=np.float32)


def pcm_block(data: bytes, rate: int = 24000) -> AudioBlock:
    """16-bit mono PCM at ``rate`` Hz as an axio ``AudioBlock`` whose media type says its rate
    (``audio/pcm;rate=16000``): a realtime session resamples it to its own. Bare ``audio/pcm``, what
    axio-audio's microphone sends, means OpenAI's 24 kHz."""
    media = "audio/pcm" if rate == 24000 else f"audio/pcm;rate={rate}"
    # axio's literal lists bare types only; a parameter is how a block says its rate.
    return AudioBlock(media_type=cast(AudioMediaType, media), data=data)
