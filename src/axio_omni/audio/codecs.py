"""Encoding and decoding audio files with soundfile (libsndfile): WAV, FLAC, OGG (Vorbis, Opus), MP3."""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
import soundfile as sf

from .media import parse_media_type, sniff_media_type
from .pcm import Samples, float_to_pcm16, mixdown, pcm16_to_float

__all__ = ["ENCODABLE", "decode_audio", "encode_audio"]

#: What ``encode_audio`` writes: format name -> (libsndfile format, subtype).
ENCODABLE = {
    "wav": ("WAV", "PCM_16"),
    "flac": ("FLAC", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "opus": ("OGG", "OPUS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
}
#: Rates libopus accepts; other rates are refused by libsndfile.
_OPUS_RATES = (8000, 12000, 16000, 24000, 48000)


def encode_audio(samples: npt.ArrayLike, rate: int, fmt: str = "wav") -> bytes:
    """``samples`` (float, mono or ``(n, channels)``) as a file of format ``fmt``, or raw ``pcm`` (16-bit)."""
    array = np.asarray(samples, dtype=np.float32)
    if fmt == "pcm":
        return float_to_pcm16(array)
    if fmt not in ENCODABLE:
        raise ValueError(f"cannot encode {fmt!r}; known: pcm, {', '.join(ENCODABLE)}")
    if fmt == "opus" and rate not in _OPUS_RATES:
        raise ValueError(f"opus needs one of the rates {_OPUS_RATES}, got {rate}")
    container, subtype = ENCODABLE[fmt]
    out = io.BytesIO()
    sf.write(out, np.clip(array, -1.0, 1.0), rate, format=container, subtype=subtype)
    return out.getvalue()


def decode_audio(data: bytes, media_type: str | None = None, *, mono: bool = True) -> tuple[Samples, int]:
    """``(samples, rate)`` of an audio file (WAV, FLAC, OGG, MP3), or of raw ``audio/pcm;rate=N``.

    Samples are float32; mixed down to ``(n,)`` unless ``mono=False`` (then ``(n, channels)``).
    Raises ValueError for data that is not audio it can read.
    """
    parsed = parse_media_type(media_type) if media_type else None
    if parsed is not None and parsed.type in ("audio/pcm", "audio/l16", "audio/raw"):
        rate = parsed.rate
        if rate is None:
            raise ValueError(f"raw PCM needs its rate in the media type, e.g. audio/pcm;rate=16000; got {media_type!r}")
        channels = int(parsed.params.get("channels", "1"))
        samples = pcm16_to_float(data, channels)
        return (mixdown(samples) if mono else samples), rate
    try:
        array, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        kind = sniff_media_type(data) or "unknown"
        raise ValueError(f"cannot decode audio ({kind}): {exc}") from None
    return (mixdown(array) if mono else array), int(rate)
