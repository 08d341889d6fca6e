"""Spoken chat replies (``modalities: ["text", "audio"]``, the gpt-4o-audio-preview family), sans-I/O.

What is asked (:func:`audio_request`, checked before sending), how a streamed ``delta.audio`` reads
(:class:`SpokenReply`: its transcript as ``TextDelta``, its audio as ``AudioOutput``, and at the end
a ``ProviderOutput`` naming the reply's audio), and how that reply goes back on the next turn
(:func:`assistant_audio`): ``{"audio": {"id": ...}}`` while the server keeps it, the transcript as
text once it has expired.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

from axio.blocks import AudioMediaType
from axio.events import AudioOutput, ProviderOutput, StreamEvent, TextDelta

from ..errors import ConfigurationError, MalformedResponseError

__all__ = [
    "AUDIO_KIND",
    "CHAT_AUDIO_FORMATS",
    "CHAT_VOICES",
    "OPENAI_HOST",
    "SpokenReply",
    "assistant_audio",
    "audio_request",
]

#: Each format a chat reply may be spoken in, and the media type of its ``AudioOutput``
#: (``pcm16`` is OpenAI's PCM: bare ``audio/pcm`` means 24 kHz 16-bit mono).
CHAT_AUDIO_FORMATS: Mapping[str, AudioMediaType] = {
    "pcm16": "audio/pcm",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "flac": "audio/flac",
    "opus": "audio/ogg",
    "aac": "audio/x-aac",
}
#: The voices OpenAI's chat models speak in (other servers name their own).
CHAT_VOICES = (
    "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse", "marin", "cedar",
)  # fmt: skip
#: The host whose voice list is known here; other servers name their own voices.
OPENAI_HOST = "api.openai.com"
#: The ``ProviderOutput`` kind naming a spoken reply's audio, replayed on the next turn.
AUDIO_KIND = "chat.audio"
#: Seconds before its expiry that a reply's audio is no longer sent by id (the request takes time).
_EXPIRY_MARGIN = 30


def audio_request(
    modalities: Sequence[str], audio: Mapping[str, Any] | None, *, openai_host: bool
) -> dict[str, Any] | None:
    """The ``modalities`` and ``audio`` fields of a streamed request, or None when the reply is text only.

    Refuses, naming the value: a modality other than text and audio, audio asked for without its
    settings (or settings without it), a format other than ``pcm16`` (OpenAI streams no other),
    and, for OpenAI's own API, a voice it does not have.
    """
    if not modalities and audio is None:
        return None
    if not modalities or any(m not in ("text", "audio") for m in modalities):
        raise ConfigurationError(f"modalities must be ['text'] or ['text', 'audio'], got {list(modalities)!r}")
    if "audio" not in modalities:
        if audio is not None:
            raise ConfigurationError("audio= is set but modalities does not include 'audio'")
        return {"modalities": list(modalities)}
    if audio is None:
        raise ConfigurationError('modalities includes \'audio\': set audio={"voice": "alloy", "format": "pcm16"}')
    if set(audio) - {"voice", "format"}:
        raise ConfigurationError(f"audio takes voice and format only, got {sorted(audio)}")
    fmt, voice = audio.get("format"), audio.get("voice")
    if fmt not in CHAT_AUDIO_FORMATS:
        raise ConfigurationError(f"audio.format must be one of {', '.join(CHAT_AUDIO_FORMATS)}, got {fmt!r}")
    if fmt != "pcm16":
        raise ConfigurationError(f"audio.format {fmt!r}: a streamed reply is spoken in pcm16 only")
    if isinstance(voice, Mapping) and set(voice) == {"id"} and isinstance(voice["id"], str) and voice["id"]:
        spoken: str | dict[str, str] = {"id": voice["id"]}  # a custom voice
    elif isinstance(voice, str) and voice.strip():
        spoken = voice
    else:
        raise ConfigurationError(f'audio.voice must be a voice name or {{"id": "voice_..."}}, got {voice!r}')
    if openai_host and isinstance(spoken, str) and spoken not in CHAT_VOICES:
        raise ConfigurationError(f"audio.voice {spoken!r} is not one of OpenAI's: {', '.join(CHAT_VOICES)}")
    return {"modalities": list(modalities), "audio": {"voice": spoken, "format": fmt}}


class SpokenReply:
    """A streamed reply's ``delta.audio`` parts, read: what each part means, and the reference to the
    whole reply's audio, given once the stream ends."""

    __slots__ = ("media_type", "id", "expires_at")

    def __init__(self, media_type: AudioMediaType) -> None:
        self.media_type = media_type
        self.id: str | None = None
        self.expires_at: int | None = None

    def read(self, audio: dict[str, Any], out: list[StreamEvent]) -> None:
        """The events one ``delta.audio`` means: its transcript piece, then its audio."""
        ident, expires = audio.get("id"), audio.get("expires_at")
        if type(ident) is str and ident:
            self.id = ident
        if type(expires) is int:
            self.expires_at = expires
        transcript = audio.get("transcript")
        if transcript and type(transcript) is str:
            out.append(TextDelta(0, transcript))
        data = audio.get("data")
        if data and type(data) is str:
            try:
                out.append(AudioOutput(0, base64.b64decode(data, validate=True), self.media_type))
            except binascii.Error:
                raise MalformedResponseError("a chat chunk's audio.data is not base64") from None

    def close(self) -> list[StreamEvent]:
        """The reference to the reply's audio, for the next turn to send back (none if it named none)."""
        if self.id is None:
            return []
        data: dict[str, Any] = {"id": self.id, "expires_at": self.expires_at}
        return [ProviderOutput("openai", AUDIO_KIND, data, index=0, id=self.id)]


def assistant_audio(data: Mapping[str, Any], now: float) -> dict[str, str] | None:
    """The ``audio`` of an assistant message for a spoken reply's reference, while the server still
    keeps the audio (``expires_at`` more than a margin away); None once it has expired, when the
    reply's transcript goes back as text instead."""
    ident, expires = data.get("id"), data.get("expires_at")
    if not isinstance(ident, str) or not ident:
        return None
    if isinstance(expires, int) and now >= expires - _EXPIRY_MARGIN:
        return None
    return {"id": ident}
