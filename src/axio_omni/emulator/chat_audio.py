"""Spoken chat replies in the emulator (``modalities: ["text", "audio"]``), as gpt-4o-audio-preview answers.

The reply's text is spoken in the tone voice of ``voice.py``, in the voice asked for, so a test can
transcribe it back. Streamed, it comes as ``delta.audio`` parts: the reply's id and transcript
first, then its 24 kHz pcm16 audio, then when the audio expires; whole, as ``message.audio``. The
audio is kept for an hour on the emulator's clock, so a later request may send it back by id
(``{"role": "assistant", "audio": {"id": ...}}``); an unknown or expired id is refused, as OpenAI does.
"""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass
from typing import Any

from ..audio import encode_audio
from ..wire.chat_audio import CHAT_VOICES
from .replies import Reply
from .shapes import usage_of
from .state import EmulatorState
from .voice import RATE, encode_speech

__all__ = ["KEEP_SECONDS", "SpokenAudio", "SpokenDeltas", "audio_problem", "spoken_deltas", "spoken_message"]

#: How long a spoken reply's audio is kept for a later request to name, in seconds.
KEEP_SECONDS = 3600
_FORMATS = {"wav": "wav", "mp3": "mp3", "flac": "flac", "opus": "opus", "pcm16": "pcm"}
#: Bytes of 24 kHz pcm16 per streamed audio part: 100 ms.
_PART = 4800


@dataclass(frozen=True, slots=True)
class SpokenAudio:
    """A spoken reply kept for later requests: when it expires on the emulator's clock, and what it said."""

    expires: float
    transcript: str


def audio_problem(body: dict[str, Any], state: EmulatorState) -> tuple[str, str] | None:
    """What OpenAI refuses in a request's ``modalities``, ``audio`` and assistant audio ids."""
    for i, message in enumerate(body["messages"]):
        ref = message.get("audio") if message.get("role") == "assistant" else None
        if ref is not None:
            kept = state.chat_audio.get(str(ref.get("id"))) if isinstance(ref, dict) else None
            if kept is None or state.clock.now() >= kept.expires:
                return f"Audio with id {ref!r} was not found or has expired.", f"messages[{i}].audio.id"
    modalities = body.get("modalities")
    if modalities is None:
        return None
    if not isinstance(modalities, list) or any(m not in ("text", "audio") for m in modalities):
        return "modalities must be a list of 'text' and 'audio'.", "modalities"
    audio = body.get("audio")
    if "audio" not in modalities:
        return None
    if not isinstance(audio, dict) or "voice" not in audio or "format" not in audio:
        return "audio is required (voice and format) when modalities includes 'audio'.", "audio"
    fmt, voice = audio["format"], audio["voice"]
    if fmt not in _FORMATS and fmt != "aac":
        return f"Invalid value: '{fmt}'. Supported values are: 'wav', 'aac', 'mp3', 'flac', 'opus', 'pcm16'.", (
            "audio.format"
        )
    if body.get("stream") and fmt != "pcm16":
        return f"Audio output streaming supports pcm16 only, not '{fmt}'.", "audio.format"
    if fmt == "aac":
        return "audio.format 'aac' is not available in the emulator (no AAC encoder).", "audio.format"
    if isinstance(voice, str) and voice not in CHAT_VOICES:
        return f"Invalid value: '{voice}'. Supported values are: {', '.join(map(repr, CHAT_VOICES))}.", "audio.voice"
    if not isinstance(voice, (str, dict)):
        return "audio.voice must be a voice name or an object with an id.", "audio.voice"
    return None


def _keep(state: EmulatorState, transcript: str) -> tuple[str, int]:
    ident = f"audio_{uuid.uuid4().hex[:24]}"
    state.chat_audio[ident] = SpokenAudio(state.clock.now() + KEEP_SECONDS, transcript)
    return ident, int(time.time()) + KEEP_SECONDS


def _voice_name(audio: dict[str, Any]) -> str:
    voice = audio["voice"]
    return voice if isinstance(voice, str) else str(voice.get("id", "custom"))


def _spoken_usage(reply: Reply, seconds: float) -> dict[str, Any]:
    usage = usage_of(reply)
    audio_tokens = max(1, round(seconds * 20))
    usage["completion_tokens"] += audio_tokens
    usage["total_tokens"] += audio_tokens
    usage["completion_tokens_details"]["audio_tokens"] = audio_tokens
    return usage


@dataclass(frozen=True, slots=True)
class SpokenDeltas:
    """A streamed spoken reply's ``delta.audio`` parts, in order, and the usage its audio bills."""

    deltas: list[dict[str, Any]]
    usage: dict[str, Any]


def spoken_deltas(reply: Reply, body: dict[str, Any], state: EmulatorState) -> SpokenDeltas:
    """The deltas that speak a streamed reply: its id and transcript parts, its 100 ms audio parts,
    then when the audio expires (``streaming.reply_chunks`` puts them where the text would go)."""
    if not reply.text:
        return SpokenDeltas([], _spoken_usage(reply, 0.0))
    audio_id, expires_at = _keep(state, reply.text)
    deltas: list[dict[str, Any]] = [{"audio": {"id": audio_id, "transcript": ""}}]
    deltas += [{"audio": {"transcript": piece}} for piece in reply.chunks]
    samples = encode_speech(reply.text, RATE, _voice_name(body["audio"]))
    pcm = encode_audio(samples, RATE, "pcm")
    deltas += [{"audio": {"data": base64.b64encode(pcm[at : at + _PART]).decode()}} for at in range(0, len(pcm), _PART)]
    deltas.append({"audio": {"expires_at": expires_at}})
    return SpokenDeltas(deltas, _spoken_usage(reply, len(samples) / RATE))


def spoken_message(reply: Reply, body: dict[str, Any], state: EmulatorState) -> tuple[dict[str, Any], dict[str, Any]]:
    """A whole spoken reply: the ``message.audio`` (in the format asked for) and the usage."""
    if not reply.text:
        return {}, usage_of(reply)
    audio_id, expires_at = _keep(state, reply.text)
    samples = encode_speech(reply.text, RATE, _voice_name(body["audio"]))
    data = encode_audio(samples, RATE, _FORMATS[body["audio"]["format"]])
    audio = {
        "id": audio_id,
        "data": base64.b64encode(data).decode(),
        "expires_at": expires_at,
        "transcript": reply.text,
    }
    return audio, _spoken_usage(reply, len(samples) / RATE)
