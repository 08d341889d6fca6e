"""Audio uploads for ``/audio/transcriptions`` and ``/audio/translations``: checked, wrapped, cut.

Every format OpenAI accepts is sent as it is (wav, mp3, mpga, m4a, mp4, webm, flac, ogg). Raw PCM
(``audio/pcm;rate=N``) and numpy arrays are wrapped into WAV for the caller. A recording over the
upload limit is cut at quiet moments (``audio/split.py``) into FLAC pieces, read one at a time in a
worker thread. Audio is checked before anything is sent: bytes that are no audio format the
endpoints take, a WAV whose header is cut short, or raw PCM without a valid rate or channel count
are refused with the reason; so is a speaker reference that is no short audio sample.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import math
import struct
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import soundfile as sf

from ..audio import encode_audio, extension_for, parse_media_type, sniff_media_type
from ..audio.media import audio_problem
from ..audio.split import iter_pieces
from ..errors import ConfigurationError

__all__ = ["MAX_UPLOAD", "Recording", "Upload", "as_wav", "check_reference", "pieces", "prepare", "seconds"]

MAX_UPLOAD = 25 * 1024 * 1024
#: Room left for the multipart envelope and form fields.
_HEADROOM = 64 * 1024
_DECODABLE = {"wav", "flac", "ogg", "mp3", "mpga"}
#: The sample rates taken for raw PCM and arrays, and how an error says so.
_RATES = (1000, 384000)
_RATE_WORDS = f"an integer from {_RATES[0]} to {_RATES[1]} Hz"
#: How long a known speaker's reference sample may be, in seconds (OpenAI takes 2 to 10).
REFERENCE_SECONDS = (2.0, 10.0)


@dataclass(frozen=True, slots=True)
class Upload:
    """One file to send, and where it starts in the whole recording, in seconds."""

    data: bytes
    filename: str
    content_type: str
    start: float = 0.0


@dataclass(frozen=True, slots=True)
class Recording:
    """A recording over the upload limit: its bytes (a format soundfile reads), to be cut into pieces."""

    data: bytes
    piece_seconds: float


def prepare(audio: bytes, media_type: str, max_upload_bytes: int) -> Upload | Recording:
    """One upload, or a recording that must be cut into pieces first; refuses what no endpoint takes."""
    if not isinstance(audio, (bytes, bytearray, memoryview)) or not len(audio):
        raise ConfigurationError(f"audio must be non-empty bytes, got {type(audio).__name__}")
    audio = bytes(audio)
    if not isinstance(media_type, str):
        raise ConfigurationError(f"media_type must be a string such as 'audio/wav', got {media_type!r}")
    try:
        parsed = parse_media_type(media_type)
    except ValueError as exc:
        raise ConfigurationError(f"media_type: {exc}") from None
    if parsed.type in ("audio/pcm", "audio/l16", "audio/raw"):
        audio = _raw_pcm_as_wav(audio, media_type, parsed.params)
        parsed = parse_media_type("audio/wav")
    sniffed = sniff_media_type(audio)
    kind = sniffed or parsed.type
    ext = extension_for(kind)
    if ext is None or ext == "aac":
        raise ConfigurationError(
            f"media_type {media_type!r}: the endpoint takes wav, mp3, mpga, m4a, mp4, webm, flac, ogg or raw PCM"
        )
    problem = audio_problem(audio, kind, sniffed=sniffed is not None)
    if problem is not None:
        raise ConfigurationError(f"audio ({media_type}): {problem}")
    if len(audio) <= max_upload_bytes - _HEADROOM:
        return Upload(audio, f"audio.{ext}", kind)
    if ext not in _DECODABLE:
        raise ConfigurationError(
            f"{len(audio)} bytes of {kind} exceed the {max_upload_bytes}-byte limit, and {ext} cannot be "
            "cut here; convert it to wav, flac, ogg or mp3"
        )
    with sf.SoundFile(io.BytesIO(audio)) as f:
        rate = int(f.samplerate)
    # A mono 16-bit WAV of this length would fit; FLAC pieces are smaller still.
    return Recording(audio, (max_upload_bytes - _HEADROOM - 44) / (2 * rate))


async def pieces(recording: Recording) -> AsyncIterator[Upload]:
    """The recording's pieces in order, each cut in a worker thread as it is asked for."""
    cuts = iter_pieces(recording.data, recording.piece_seconds)
    while (piece := await asyncio.to_thread(next, cuts, None)) is not None:
        yield Upload(piece.data, "audio.flac", "audio/flac", piece.start)


def _raw_pcm_as_wav(audio: bytes, media_type: str, params: Mapping[str, str]) -> bytes:
    """Raw 16-bit PCM (``audio/pcm;rate=N[;channels=C]``) wrapped into WAV, its parameters checked."""
    raw_rate, raw_channels = params.get("rate"), params.get("channels", "1")
    if raw_rate is None:
        raise ConfigurationError(f"media_type {media_type!r}: raw PCM needs its rate, e.g. audio/pcm;rate=16000")
    if not raw_rate.isdigit() or not _RATES[0] <= int(raw_rate) <= _RATES[1]:
        raise ConfigurationError(f"media_type {media_type!r}: rate must be {_RATE_WORDS}")
    if not raw_channels.isdigit() or not 1 <= int(raw_channels) <= 16:
        raise ConfigurationError(f"media_type {media_type!r}: channels must be an integer from 1 to 16")
    channels = int(raw_channels)
    if len(audio) % (2 * channels):
        raise ConfigurationError(
            f"audio ({media_type}): {len(audio)} bytes are not whole 16-bit frames of {channels} channel(s)"
        )
    return _wav_header(len(audio), int(raw_rate), channels) + audio


def _wav_header(size: int, rate: int, channels: int) -> bytes:
    """A 44-byte header for ``size`` bytes of 16-bit PCM."""
    block = 2 * channels
    return (
        b"RIFF"
        + struct.pack("<I", 36 + size)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, 16)
        + b"data"
        + struct.pack("<I", size)
    )


def as_wav(samples: npt.ArrayLike, rate: int) -> bytes:
    """Float samples (mono, or ``(n, channels)``) at ``rate`` Hz as a WAV file, checked."""
    array = np.asarray(samples, dtype=np.float32)
    if array.ndim not in (1, 2) or not array.size:
        raise ConfigurationError(f"samples must be a non-empty array of shape (n,) or (n, channels), got {array.shape}")
    if isinstance(rate, bool) or not isinstance(rate, int) or not _RATES[0] <= rate <= _RATES[1]:
        raise ConfigurationError(f"rate must be {_RATE_WORDS}, got {rate!r}")
    if not math.isfinite(float(np.max(np.abs(array)))):
        raise ConfigurationError("samples contain NaN or infinity")
    return encode_audio(array, rate, "wav")


def seconds(data: bytes) -> float | None:
    """The length of a recording, where soundfile reads its header."""
    try:
        info = sf.info(io.BytesIO(data))
    except (RuntimeError, TypeError, ValueError):
        return None
    return float(info.duration)


def check_reference(url: str) -> str | None:
    """Why ``url`` is no known speaker's reference (a ``data:audio/...;base64,`` URL of a 2 to 10
    second sample in a format the endpoint takes), or None when it is one."""
    head, comma, payload = url.partition(",")
    if not head.startswith("data:audio/") or not head.endswith(";base64") or not comma:
        return "is not a data URL of audio (data:audio/wav;base64,...)"
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return "does not hold valid base64"
    sniffed = sniff_media_type(data)
    kind = sniffed or head[5:].split(";")[0]
    if extension_for(kind) is None:
        return f"holds {kind}, not a format the endpoint takes"
    problem = audio_problem(data, kind, sniffed=sniffed is not None)
    if problem is not None:
        return problem
    length = seconds(data)
    low, high = REFERENCE_SECONDS
    if length is not None and not low <= length <= high:
        return f"is {length:.1f} s long; a reference sample is {low:g} to {high:g} seconds"
    return None
