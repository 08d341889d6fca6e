"""The emulator's "voice": text carried as tones, so its speech transcribes back to the same text.

Each sentence becomes one burst: a 3.6 kHz preamble, then for every UTF-8 byte of a two-byte
length, the text and a checksum, two 40 ms tones (one per 4-bit nibble, 16 frequencies between
600 Hz and 3.2 kHz), with 300 ms of silence between sentences. Tones outlive MP3 and Opus coding
and resampling. Decoding measures each symbol's power at the 16 frequencies, so it works at any
sample rate, and the silences let the STT transport cut a long recording where real speech
would pause. A checksum that does not match means "not our speech" and gives no text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["RATE", "Burst", "decode_speech", "encode_speech"]

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


def _burst(text: str, rate: int) -> npt.NDArray[np.float64]:
    payload = text.encode("utf-8")
    framed = len(payload).to_bytes(2, "big") + payload + bytes([sum(payload) & 0xFF])
    parts = [_tone(_MARKER_HZ, _PREAMBLE, rate), np.zeros(int(_GAP * rate))]
    for byte in framed:
        parts.append(_tone(float(_TONES[byte >> 4]), _SYMBOL, rate))
        parts.append(_tone(float(_TONES[byte & 0xF]), _SYMBOL, rate))
    return np.concatenate(parts)


def encode_speech(text: str, rate: int = RATE) -> npt.NDArray[np.float32]:
    """Mono float32 "speech" of ``text`` at ``rate`` Hz: one burst per sentence, pauses between."""
    pause = np.zeros(int(_PAUSE * rate))
    parts: list[npt.NDArray[np.float64]] = [pause]
    for sentence in filter(None, (s.strip() for s in _SENTENCES.split(text))):
        parts += [_burst(sentence[:20000], rate), pause]
    return (np.concatenate(parts) * _AMPLITUDE).astype(np.float32)


@dataclass(frozen=True, slots=True)
class Burst:
    """One sentence found in a recording, with its place in seconds."""

    start: float
    end: float
    text: str


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
        head = _symbols(samples, rate, int(data_at), 4)
        if head is None:
            break
        length = (head[0] << 12) | (head[1] << 8) | (head[2] << 4) | head[3]
        body = _symbols(samples, rate, int(data_at + 4 * _SYMBOL * rate), 2 * (length + 1))
        if body is None:
            break
        raw = bytes((body[i] << 4) | body[i + 1] for i in range(0, len(body), 2))
        payload, check = raw[:-1], raw[-1]
        end = data_at + (4 + len(body)) * _SYMBOL * rate
        if sum(payload) & 0xFF == check:
            bursts.append(Burst(onset / rate, end / rate, payload.decode("utf-8", "replace")))
        at = int(end)
    return bursts
