"""A realtime session's configuration: the caller's audio formats and the GA ``session.update`` body.

Sans-I/O. OpenAI's realtime PCM is 16-bit mono at 24 kHz and nothing else; a caller's
``audio/pcm;rate=N`` is converted on the client (``audio/live.py``), so the session always asks for
24 kHz. G.711 (``audio/pcmu``, ``audio/pcma``) passes through at its 8 kHz.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from axio.tool import Tool

from ..errors import ConfigurationError
from .media_type import parse_media_type

__all__ = ["WIRE_RATE", "AudioFormat", "audio_format", "function_tools", "session_body", "turn_detection"]

#: The only PCM rate OpenAI's realtime API takes and sends.
WIRE_RATE = 24000
_PCM_RATES = range(8000, 192001)
_G711 = {"audio/pcmu": "audio/pcmu", "audio/pcma": "audio/pcma", "audio/g711-ulaw": "audio/pcmu"}
#: Rates already read, by (block media type, session media type): a block's type is read once, not per frame.
_BLOCK_RATES: dict[tuple[str, str], int] = {}


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """One direction's audio: what the caller named, what goes on the wire, and the caller's rate."""

    media_type: str
    wire: Mapping[str, Any]
    rate: int
    #: Linear 16-bit PCM, converted between ``rate`` and :data:`WIRE_RATE`; G.711 passes through.
    pcm: bool

    def rate_of(self, media_type: str) -> int:
        """The sample rate of audio labelled ``media_type``, sent to a session opened with this format.

        A block's own media type says its rate, and bare ``audio/pcm`` is OpenAI's PCM, 24 kHz (what
        axio-audio sends by default), whatever rate the session was opened with: PCM at any rate is
        resampled, never misread. G.711 must be the session's own kind. Anything else is refused.
        """
        rate = _BLOCK_RATES.get((media_type, self.media_type))
        if rate is not None:
            return rate
        try:
            parsed = parse_media_type(media_type) if isinstance(media_type, str) else None
        except ValueError:
            parsed = None
        if self.pcm and parsed is not None and parsed.type == "audio/pcm" and parsed.params.get("channels", "1") == "1":
            raw = parsed.params.get("rate", str(WIRE_RATE))
            rate = int(raw) if raw.isdigit() and int(raw) in _PCM_RATES else None
        elif not self.pcm and (media_type == self.media_type or media_type == self.wire["type"]):
            rate = 8000
        if rate is None:
            raise ConfigurationError(
                f"audio of type {media_type!r} sent to a session opened with input_audio_format={self.media_type!r}"
                + (": send 16-bit mono 'audio/pcm;rate=N' (bare 'audio/pcm' is 24 kHz)" if self.pcm else "")
            )
        if len(_BLOCK_RATES) < 64:
            _BLOCK_RATES[(media_type, self.media_type)] = rate
        return rate

    def ms(self, frames: int) -> int:
        """Milliseconds of ``frames`` samples at the caller's rate, rounded down (never past the audio)."""
        return frames * 1000 // self.rate


def audio_format(media_type: str, *, direction: str) -> AudioFormat:
    """The format ``media_type`` names, or a :class:`ConfigurationError` naming it and what would do.

    Takes ``audio/pcm`` (24 kHz), ``audio/pcm;rate=N`` for any N from 8 to 192 kHz, and
    ``audio/pcmu`` / ``audio/pcma``. Channels other than one are refused.
    """
    what = f"{direction}_audio_format"
    try:
        parsed = parse_media_type(media_type) if isinstance(media_type, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise ConfigurationError(f"{what} must be a media type such as 'audio/pcm;rate=16000', got {media_type!r}")
    channels = parsed.params.get("channels", "1")
    if channels != "1":
        raise ConfigurationError(f"{what}={media_type!r}: realtime audio is mono, got channels={channels}")
    if parsed.type in _G711:
        kind = _G711[parsed.type]
        return AudioFormat(media_type, {"type": kind}, 8000, pcm=False)
    if parsed.type != "audio/pcm":
        raise ConfigurationError(
            f"{what}={media_type!r} is not a realtime format: use 'audio/pcm;rate=N' (16-bit mono, any N "
            "from 8000 to 192000), 'audio/pcmu' or 'audio/pcma'"
        )
    raw_rate = parsed.params.get("rate", str(WIRE_RATE))
    rate = int(raw_rate) if raw_rate.isdigit() else -1
    if rate not in _PCM_RATES:
        raise ConfigurationError(f"{what}={media_type!r}: the rate must be a whole number of Hz from 8000 to 192000")
    return AudioFormat(media_type, {"type": "audio/pcm", "rate": WIRE_RATE}, rate, pcm=True)


def function_tools(tools: Sequence[Tool[Any]]) -> list[dict[str, Any]]:
    """axio tools in the realtime API's flat function shape."""
    out = []
    for tool in tools:
        entry: dict[str, Any] = {"type": "function", "name": tool.name, "parameters": tool.input_schema}
        if tool.description:
            entry["description"] = tool.description
        out.append(entry)
    return out


def turn_detection(
    *,
    server_vad: bool,
    kind: str,
    threshold: float | None,
    prefix_padding_ms: int | None,
    silence_duration_ms: int | None,
    create_response: bool | None,
    interrupt_response: bool | None,
    idle_timeout_ms: int | None,
    eagerness: str,
) -> dict[str, Any] | None:
    """The ``turn_detection`` object: server VAD, semantic VAD, or None for manual turns (``commit()``).
    What is None is left out: ``create_response`` and ``interrupt_response`` belong to conversations."""
    if not server_vad:
        return None
    out: dict[str, Any] = {"type": kind}
    for key, flag in (("create_response", create_response), ("interrupt_response", interrupt_response)):
        if flag is not None:
            out[key] = flag
    if kind == "semantic_vad":
        out["eagerness"] = eagerness
        return out
    for key, value in (
        ("threshold", threshold),
        ("prefix_padding_ms", prefix_padding_ms),
        ("silence_duration_ms", silence_duration_ms),
        ("idle_timeout_ms", idle_timeout_ms),
    ):
        if value is not None:
            out[key] = value
    return out


def session_body(
    *,
    instructions: str,
    tools: Sequence[Tool[Any]],
    voice: str | None,
    input_format: AudioFormat,
    output_format: AudioFormat,
    turn: dict[str, Any] | None,
    transcription_model: str | None,
    noise_reduction: str | None,
    output_modalities: Sequence[str],
    tool_choice: str | Mapping[str, Any],
    max_output_tokens: int | None,
    temperature: float | None,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """The GA ``session`` of a ``session.update``; fields left unset are left out (the server's defaults)."""
    audio_in: dict[str, Any] = {"format": dict(input_format.wire), "turn_detection": turn}
    if transcription_model is not None:
        audio_in["transcription"] = {"model": transcription_model}
    if noise_reduction is not None:
        # Left out when off (the server's default is off; the schema has no null for it).
        audio_in["noise_reduction"] = {"type": noise_reduction}
    audio_out: dict[str, Any] = {"format": dict(output_format.wire)}
    if voice is not None:
        audio_out["voice"] = voice
    session: dict[str, Any] = {
        "type": "realtime",
        "instructions": instructions,
        "output_modalities": list(output_modalities),
        "audio": {"input": audio_in, "output": audio_out},
        "tools": function_tools(tools),
        "tool_choice": tool_choice if isinstance(tool_choice, str) else dict(tool_choice),
    }
    if max_output_tokens is not None:
        session["max_output_tokens"] = max_output_tokens
    if temperature is not None:
        # Not in the GA schema; compatible servers that still read the beta session take it.
        session["temperature"] = temperature
    session.update(extra)
    return session
