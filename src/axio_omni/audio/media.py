"""Audio media types: parsing ``audio/pcm;rate=16000`` and recognising a file by its first bytes."""

from __future__ import annotations

import struct

from ..wire.media_type import MediaType, parse_media_type
from ..wire.speech import wav_layout

__all__ = ["MediaType", "audio_problem", "extension_for", "parse_media_type", "sniff_media_type"]

#: File extensions the transcription endpoint accepts, by media type.
_EXTENSIONS = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
    "audio/ogg": "ogg",
    "audio/opus": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/mpga": "mpga",
    "audio/m4a": "m4a",
    "audio/x-m4a": "m4a",
    "audio/mp4": "mp4",
    "audio/webm": "webm",
    "audio/aac": "aac",
    "audio/x-aac": "aac",
}


def sniff_media_type(data: bytes) -> str | None:
    """The media type that ``data``'s magic bytes announce, or None when they announce none we know."""
    head = data[:16]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"fLaC":
        return "audio/flac"
    if head[:4] == b"OggS":
        return "audio/ogg"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        return "audio/mpeg"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "audio/aac"  # ADTS
    if head[4:8] == b"ftyp":
        return "audio/mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "audio/webm"
    return None


def extension_for(media_type: str) -> str | None:
    """The file extension an upload of ``media_type`` should carry, or None for one not accepted."""
    return _EXTENSIONS.get(parse_media_type(media_type).type)


def audio_problem(data: bytes, kind: str, *, sniffed: bool) -> str | None:
    """Why ``data`` cannot be sent as ``kind``, or None when it can.

    ``sniffed`` says whether :func:`sniff_media_type` recognised the bytes. Unrecognised bytes pass
    only as MP3 with a frame sync near the start (MP3 may carry neither tag nor sync at byte 0); a
    WAV must hold a whole ``fmt`` chunk and a ``data`` chunk with samples (data shorter than its
    header says is a cut recording, which decoders read as far as it goes).
    """
    if not sniffed:
        if kind in ("audio/mpeg", "audio/mp3", "audio/mpga") and _has_mp3_sync(data[:4096]):
            return None
        return f"its bytes are no audio format the endpoint takes (they begin {data[:8].hex(' ')})"
    if kind == "audio/wav":
        return _wav_problem(data)
    return None


def _has_mp3_sync(head: bytes) -> bool:
    at = head.find(b"\xff")
    while 0 <= at < len(head) - 1:
        if head[at + 1] & 0xE0 == 0xE0 and head[at + 1] & 0x06:
            return True
        at = head.find(b"\xff", at + 1)
    return False


def _wav_problem(data: bytes) -> str | None:
    layout = wav_layout(data)
    if layout.data_at is None:
        where = f" inside its {layout.cut.decode('latin-1').strip()} chunk" if layout.cut else ": no data chunk"
        return f"the WAV header is cut short{where}"
    if layout.fmt is None:
        return "the WAV has no fmt chunk before its data"
    if len(layout.fmt) < 16:
        return "the WAV fmt chunk is too short"
    channels, _rate, _bytes_per_second, block = struct.unpack_from("<HIIH", layout.fmt, 2)
    if not channels or not block:
        return "the WAV fmt chunk declares no channels"
    if len(data) - layout.data_at < block:
        return "the WAV has no samples"
    return None
