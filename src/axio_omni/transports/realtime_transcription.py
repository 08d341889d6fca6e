"""``OpenAIRealtimeTranscriptionTransport``: live captions over a GA transcription session.

The session (``wss://.../v1/realtime?intent=transcription``, ``session.type = "transcription"``)
takes audio at any PCM rate, as conversations do, and yields ``SpeechStarted`` / ``SpeechStopped``,
``TranscriptDelta(role="user")`` pieces as the server transcribes, and a ``TurnComplete`` once each
utterance's transcript is complete; the utterance's whole text, log-probabilities and usage are in
``session.utterances`` (and ``session.last``). A failed transcription is an ``Error`` event and the
session goes on. A drop reconnects as a conversation's does; nothing is replayed but the
configuration. ``connect`` takes axio's ``RealtimeTransport`` arguments too, so ``RealtimeAgent``
can drive it (with no tools: a transcription session calls none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from axio.blocks import ContentBlock
from axio.tool import Tool
from axio.transport import RealtimeSession
from axio.types import ToolCallID, ToolName

from ..audio.live import LivePcm
from ..errors import ConfigurationError
from ..fields import setting
from ..rules import Flag, JsonMap, Text
from ..wire.realtime_session import WIRE_RATE, audio_format
from ..wire.realtime_transcription import TranscriptionProtocol, Utterance, transcription_session
from .live_session import Link, LiveSession
from .realtime_base import ClientSecret, RealtimeEndpoint

__all__ = ["OpenAIRealtimeTranscriptionSession", "OpenAIRealtimeTranscriptionTransport"]


class OpenAIRealtimeTranscriptionSession(LiveSession[TranscriptionProtocol], RealtimeSession):
    """Live captions of the audio sent; made by ``OpenAIRealtimeTranscriptionTransport.connect``."""

    @property
    def utterances(self) -> Mapping[str, Utterance]:
        """Each utterance by item id, in order: text, log-probabilities, usage, whether it is done."""
        return self.protocol.utterances

    @property
    def last(self) -> Utterance | None:
        """The newest utterance whose transcript is complete."""
        return self.protocol.last

    async def send(self, content: ContentBlock | list[ContentBlock]) -> None:
        """Audio appended to the input buffer, at the rate each block's media type says (resampled)."""
        await self._send(self.protocol.send(content if isinstance(content, list) else [content]))

    async def commit(self) -> None:
        """End an utterance by hand (manual turns: ``server_vad=False``); with server VAD, nothing."""
        await self._send(self.protocol.commit())

    async def clear(self) -> None:
        """Drop the audio not yet committed."""
        await self._send(self.protocol.clear())

    async def interrupt(self) -> None:
        """Nothing to interrupt: a transcription session never speaks."""

    async def send_tool_result(
        self, tool_use_id: ToolCallID, name: ToolName, content: str | list[ContentBlock]
    ) -> None:
        """Refused: a transcription session calls no tools."""
        raise ConfigurationError("a transcription session calls no tools")


@dataclass(slots=True, kw_only=True)
class OpenAIRealtimeTranscriptionTransport(RealtimeEndpoint):
    """Live captions from any OpenAI-compatible ``/v1/realtime`` transcription session."""

    type_name = "openai-realtime-transcription"
    display_name: ClassVar[str] = "OpenAI live captions (omni)"

    #: The transcription model of the session (``audio.input.transcription.model``).
    model: str = setting("gpt-4o-transcribe", Text())
    language: str | None = setting(None, Text(optional=True))
    #: Words to expect, or (whisper-1) a list of keywords.
    prompt: str | None = setting(None, Text(optional=True, empty=True))
    #: Each utterance's log-probabilities (``include: ["item.input_audio_transcription.logprobs"]``).
    logprobs: bool = setting(False, Flag())
    #: More GA transcription session fields sent as they are.
    extra_session: Mapping[str, Any] = setting(default_factory=dict, rule=JsonMap(reserved=("type", "audio")))

    async def connect(
        self,
        *,
        system: str = "",
        tools: Sequence[Tool[Any]] = (),
        voice: str | None = None,
        input_audio_format: str = "audio/pcm;rate=16000",
        output_audio_format: str = "audio/pcm;rate=24000",
    ) -> OpenAIRealtimeTranscriptionSession:
        """A live transcription session, configured: returns once the server confirmed ``session.update``.

        ``input_audio_format`` is the rate blocks come at when their media type names none; a block
        that says its rate is read at it. ``system`` becomes the prompt when ``prompt`` is unset;
        ``voice`` and ``output_audio_format`` are taken for axio's protocol and unused. Raises
        :class:`~axio_omni.errors.ConfigurationError` before connecting for a bad argument (tools).
        """
        link, protocol, body = self.prepare(system=system, tools=tools, input_audio_format=input_audio_format)
        session = OpenAIRealtimeTranscriptionSession(link, protocol, body)
        await session.open()
        return session

    def prepare(
        self, *, system: str = "", tools: Sequence[Tool[Any]] = (), input_audio_format: str = "audio/pcm;rate=16000"
    ) -> tuple[Link, TranscriptionProtocol, dict[str, Any]]:
        """Everything a session needs, checked, with no connection made."""
        if tools:
            raise ConfigurationError("a transcription session calls no tools: pass tools=[]")
        if not isinstance(system, str):
            raise ConfigurationError(f"system must be a string, got {type(system).__name__}")
        fmt = audio_format(input_audio_format, direction="input")
        body = transcription_session(
            input_format=fmt.wire,
            model=self.model,
            language=self.language,
            prompt=self.prompt if self.prompt is not None else (system or None),
            noise_reduction=self.input_noise_reduction,
            turn=self._turn_detection(),
            logprobs=self.logprobs,
            extra=self.extra_session,
        )
        protocol = TranscriptionProtocol(
            input_format=fmt,
            manual_turns=not self.server_vad,
            convert_in=(lambda rate: LivePcm(rate, WIRE_RATE)) if fmt.pcm else None,
        )
        link = self._link_for(f"transcription session ({self.model})", {"intent": "transcription"})
        return link, protocol, body

    async def client_secret(
        self, *, expires_after_s: int = 600, input_audio_format: str = "audio/pcm;rate=16000"
    ) -> ClientSecret:
        """A short-lived key (``ek_...``) for a browser or phone to open this transcription session
        with, bound to this transport's configuration; ``POST /realtime/client_secrets``."""
        _, _, body = self.prepare(input_audio_format=input_audio_format)
        return await self._client_secret(body, expires_after_s)
