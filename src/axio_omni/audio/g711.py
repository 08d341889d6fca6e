"""G.711 μ-law and A-law (ITU-T G.711), 8-bit telephone audio, to and from 16-bit PCM samples.

Sans-I/O and table-driven: decoding is one lookup per byte; encoding follows the standard's
segment search, vectorised. Realtime sessions pass G.711 through untouched; the emulator uses this
to hear G.711 input and to speak G.711 output.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["alaw_decode", "alaw_encode", "ulaw_decode", "ulaw_encode"]

_BIAS = 0x84
_CLIP = 32635


def _ulaw_table() -> npt.NDArray[np.int16]:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    magnitude = ((((u & 0x0F) << 3) + _BIAS) << ((u >> 4) & 0x07)) - _BIAS
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.int16)


def _alaw_table() -> npt.NDArray[np.int16]:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    exponent, mantissa = (a >> 4) & 0x07, a & 0x0F
    magnitude = np.where(exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0))
    return np.where(a & 0x80, magnitude, -magnitude).astype(np.int16)


_ULAW = _ulaw_table()
_ALAW = _alaw_table()


def ulaw_decode(data: bytes) -> npt.NDArray[np.int16]:
    """μ-law bytes as 16-bit samples."""
    return _ULAW[np.frombuffer(data, np.uint8)]


def alaw_decode(data: bytes) -> npt.NDArray[np.int16]:
    """A-law bytes as 16-bit samples."""
    return _ALAW[np.frombuffer(data, np.uint8)]


def _segment(magnitude: npt.NDArray[np.int32], base: int) -> npt.NDArray[np.int32]:
    """The G.711 segment (exponent, 0 to 7) of each magnitude, for segments starting at ``base``."""
    return np.clip(np.floor(np.log2(np.maximum(magnitude, 1) / base)).astype(np.int32) + 1, 0, 7)


def ulaw_encode(samples: npt.ArrayLike) -> bytes:
    """16-bit samples as μ-law bytes."""
    x = np.asarray(samples, dtype=np.int32)
    sign = np.where(x < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(x), _CLIP) + _BIAS
    exponent = np.clip(np.floor(np.log2(magnitude)).astype(np.int32) - 7, 0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    coded: npt.NDArray[np.uint8] = (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)
    return coded.tobytes()


def alaw_encode(samples: npt.ArrayLike) -> bytes:
    """16-bit samples as A-law bytes."""
    x = np.asarray(samples, dtype=np.int32)
    sign = np.where(x >= 0, 0x80, 0)
    magnitude = np.minimum(np.abs(x), 32767) >> 3  # 13-bit magnitude
    exponent = _segment(magnitude, 32)
    mantissa = np.where(exponent == 0, magnitude >> 1, magnitude >> exponent) & 0x0F
    coded: npt.NDArray[np.uint8] = ((sign | (exponent << 4) | mantissa) ^ 0x55).astype(np.uint8)
    return coded.tobytes()
