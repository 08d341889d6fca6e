"""The emulator's "voice": text carried as tones, so its speech transcribes back to the same text.

Each sentence becomes one burst: a 3.6 kHz preamble, then for every byte of the voice's number, a
two-byte length, the text (UTF-8) and a checksum, two 40 ms tones (one per 4-bit nibble, 16
frequencies between 600 Hz and 3.2 kHz), with 300 ms of silence between sentences. The voice's
number tells speakers apart (diarization), and each byte's place in time gives each word's.
Tones outlive MP3 and Opus coding and resampling. Decoding measures each symbol's power at the 16
frequencies, so it works at any sample rate, and the silences let the STT transport cut a long
recording where real speech would pause. A checksum that does not match means "not our speech" and gives no text.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["RATE", "VOICES", "Burst", "decode_speech", "encode_speech", "voice_name", "voice_number"]

RATE = 24000
_SYMBOL = 0.040
_PREAMBLE = 0.080
_GAP = 0.020
_PAUSE = 0.300
_FADE = 0.005
_MARKER_HZ = 3600.0
_TONES = 600.0 + 175.0 * np.arange(16)
_AMPLITUDE = 0.4
_SENTENCES = re.compile(r"(?<=[.!?])\s+")
#: OpenAI's voices, numbered in this order; any other name gets a number of its own from 16 up.
VOICES = (
    "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse", "marin", "cedar",
)  # fmt: skip
#: Symbols before the text: the voice's number (2) and the length (4).
_HEAD = 6


def voice_number(voice: str) -> int:
    """The byte a voice's speech carries."""
    if voice in VOICES:
        return VOICES.index(voice)
    return 16 + zlib.crc32(voice.encode()) % 240


def voice_name(number: int) -> str:
    """The voice a number stands for (``voice-N`` for one not among OpenAI's)."""
    return VOICES[number] if number < len(VOICES) else f"voice-{number}"


def _tone(freq: float, seconds: float, rate: int) -> npt.NDArray[np.float64]:
    n = int(round(seconds * rate))
    t = np.arange(n) / rate
    wave = np.sin(2 * np.pi * freq * t)
    fade = min(int(_FADE * rate), n // 2)
    if fade:
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, fade))
        wave[:fade] *= ramp
        wave[-fade:] *= ramp[::-1]
    return wave


def _burst(text: str, rate: int, voice: int) -> npt.NDArray[np.float64]:
    payload = text.encode("utf-8")
    framed = bytes([voice]) + len(payload).to_bytes(2, "big") + payload + bytes([(voice + sum(payload)) & 0xFF])
    parts = [_tone(_MARKER_HZ, _PREAMBLE, rate), np.zeros(int(_GAP * rate))]
    for byte in framed:
        parts.append(_tone(float(_TONES[byte >> 4]), _SYMBOL, rate))
        parts.append(_tone(float(_TONES[byte & 0xF]), _SYMBOL, rate))
    return np.concatenate(parts)


def encode_speech(text: str, rate: int = RATE, voice: str = "alloy") -> npt.NDArray[np.float32]:
    """Mono float32 "speech" of ``text`` at ``rate`` Hz in ``voice``: one burst per sentence, pauses between."""
    pause = np.zeros(int(_PAUSE * rate))
    parts: list[npt.NDArray[np.float64]] = [pause]
    number = voice_number(voice)
    for sentence in filter(None, (s.strip() for s in _SENTENCES.split(text))):
        parts += [_burst(sentence[:20000], rate, number), pause]
    return (np.concatenate(parts) * _AMPLITUDE).astype(np.float32)


@dataclass(frozen=True, slots=True)
class Burst:
    """One sentence found in a recording, with its place in seconds, its voice and its words' places."""

    start: float
    end: float
    text: str
    voice: str = "alloy"
    words: tuple[tuple[str, float, float], ...] = ()


def _words(payload: bytes, data_at: float, rate: int) -> tuple[tuple[str, float, float], ...]:
    """Each space-separated word of ``payload`` and the seconds its symbols span."""
    out, at = [], 0
    for raw in payload.split(b" "):
        if raw:
            first = data_at + (_HEAD + 2 * at) * _SYMBOL * rate
            last = data_at + (_HEAD + 2 * (at + len(raw))) * _SYMBOL * rate
            out.append((raw.decode("utf-8", "replace"), round(first / rate, 3), round(last / rate, 3)))
        at += len(raw) + 1
    return tuple(out)


def _power(frame: npt.NDArray[np.float32], freqs: npt.ArrayLike, rate: int) -> npt.NDArray[np.float64]:
    t = np.arange(len(frame)) / rate
    basis = np.exp(-2j * np.pi * np.outer(np.asarray(freqs, dtype=np.float64), t))
    power: npt.NDArray[np.float64] = np.abs(basis @ (frame * np.hanning(len(frame)))) ** 2
    return power


def _symbols(samples: npt.NDArray[np.float32], rate: int, start: int, count: int) -> list[int] | None:
    """``count`` nibbles from the symbols that begin at sample ``start``, or None past the end."""
    step, margin = _SYMBOL * rate, int(0.010 * rate)
    out = []
    for k in range(count):
        a = int(start + k * step) + margin
        b = int(start + (k + 1) * step) - margin
        if b > len(samples):
            return None
        out.append(int(np.argmax(_power(samples[a:b], _TONES, rate))))
    return out


def _onsets(samples: npt.NDArray[np.float32], rate: int, after: int) -> int | None:
    """The first sample at or after ``after`` where a preamble tone begins."""
    hop = max(1, int(0.002 * rate))
    env = np.abs(samples[after:])
    if not len(env):
        return None
    threshold = 0.25 * float(np.max(np.abs(samples))) if len(samples) else 0.0
    loud = np.flatnonzero(env[: len(env) // hop * hop].reshape(-1, hop).max(axis=1) > threshold)
    return after + int(loud[0]) * hop if len(loud) else None


def decode_speech(samples: npt.NDArray[np.float32], rate: int) -> list[Burst]:
    """The sentences of a recording made by ``encode_speech`` (at any rate, through any codec)."""
    bursts: list[Burst] = []
    at = 0
    if not len(samples) or float(np.max(np.abs(samples))) < 1e-3:
        return bursts
    while (onset := _onsets(samples, rate, at)) is not None:
        window = samples[onset + int(0.015 * rate) : onset + int((_PREAMBLE - 0.015) * rate)]
        if len(window) < 8 or _power(window, np.array([_MARKER_HZ]), rate)[0] < _power(window, _TONES, rate).max():
            at = onset + int(_SYMBOL * rate)
            continue
        data_at = onset + (_PREAMBLE + _GAP) * rate
        head = _symbols(samples, rate, int(data_at), _HEAD)
        if head is None:
            break
        voice = (head[0] << 4) | head[1]
        length = (head[2] << 12) | (head[3] << 8) | (head[4] << 4) | head[5]
        body = _symbols(samples, rate, int(data_at + _HEAD * _SYMBOL * rate), 2 * (length + 1))
        if body is None:
            break
        raw = bytes((body[i] << 4) | body[i + 1] for i in range(0, len(body), 2))
        payload, check = raw[:-1], raw[-1]
        end = data_at + (_HEAD + len(body)) * _SYMBOL * rate
        if (voice + sum(payload)) & 0xFF == check:
            text = payload.decode("utf-8", "replace")
            words = _words(payload, data_at, rate)
            bursts.append(Burst(onset / rate, end / rate, text, voice_name(voice), words))
        at = int(end)
    return bursts
