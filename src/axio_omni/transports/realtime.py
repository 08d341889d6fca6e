"""``OpenAIRealtimeTransport``: axio's ``RealtimeTransport`` over the OpenAI Realtime API (GA, WebSocket).

Settings are checked when the transport is built and the call's arguments (formats, tools) before
any connection; ``connect()`` returns once the server has answered ``session.update`` with
``session.updated``. The conversation itself is :class:`~.realtime_session.OpenAIRealtimeSession`.

The realtime URL, the WebSocket's settings and ``client_secret`` (keys for browsers and phones)
are :class:`~.realtime_base.RealtimeEndpoint`'s, shared with live captions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from axio.tool import Tool
from axio.transport import RealtimeTransport

from ..audio.live import LivePcm
from ..errors import ConfigurationError
from ..fields import setting
from ..rules import Choice, Flag, JsonMap, Number, Text
from ..telemetry_realtime import session_trace
from ..wire.realtime import RealtimeProtocol
from ..wire.realtime_session import WIRE_RATE, audio_format, session_body
from .realtime_base import DEFAULT_REALTIME_URL, ClientSecret, RealtimeEndpoint, default_realtime_url
from .realtime_session import Link, OpenAIRealtimeSession

__all__ = ["DEFAULT_REALTIME_URL", "OpenAIRealtimeTransport", "default_realtime_url"]


@dataclass(slots=True, kw_only=True)
class OpenAIRealtimeTransport(RealtimeEndpoint, RealtimeTransport):
    """Duplex voice sessions with any OpenAI-compatible ``/v1/realtime`` WebSocket endpoint."""

    type_name = "openai-realtime"
    display_name: ClassVar[str] = "OpenAI realtime (omni)"

    model: str = setting("gpt-realtime", Text())
    #: ``audio`` (spoken replies with transcripts) or ``text`` (``TextDelta`` replies).
    modality: Literal["audio", "text"] = setting("audio", Choice("audio", "text"))
    vad_create_response: bool = setting(True, Flag())
    #: Whether the user's speech cancels the assistant's reply; the session then truncates what was heard.
    vad_interrupt_response: bool = setting(True, Flag())
    #: Server VAD: prompt the model after this much silence from the user (5 to 30 s); None for never.
    idle_timeout_ms: int | None = setting(None, Number(5000, 30000, integer=True, optional=True))
    #: Transcribe the user's speech with this model (``TranscriptDelta(role="user")``); None for off.
    transcription_model: str | None = setting(None, Text(optional=True))
    voice: str | None = setting(None, Text(optional=True))
    #: ``auto``, ``none``, ``required``, or the name of the one function the model must call.
    tool_choice: str = setting("auto", Text())
    max_output_tokens: int | None = setting(None, Number(1, 4096, integer=True, optional=True))
    #: Not in OpenAI's GA session; for compatible servers that still read it.
    temperature: float | None = setting(None, Number(0, 2, optional=True))
    #: More GA session fields sent as they are (``tracing``, ``truncation``, ``prompt``, ``include``).
    extra_session: Mapping[str, Any] = setting(
        default_factory=dict, rule=JsonMap(reserved=("type", "audio", "tools", "instructions", "output_modalities"))
    )

    def __post_init__(self) -> None:
        self._validate_common()
        if self.tool_choice.strip() != self.tool_choice or not self.tool_choice:
            raise ConfigurationError(
                f"tool_choice must be auto, none, required or a function name, got {self.tool_choice!r}"
            )

    async def connect(
        self,
        *,
        system: str,
        tools: list[Tool[Any]],
        voice: str | None = None,
        input_audio_format: str = "audio/pcm;rate=16000",
        output_audio_format: str = "audio/pcm;rate=24000",
    ) -> OpenAIRealtimeSession:
        """A live session, configured: returns once the server has confirmed ``session.update``.

        Raises :class:`~axio_omni.errors.ConfigurationError` for a bad argument before connecting,
        the typed HTTP error for a refused handshake, and
        :class:`~axio_omni.errors.RealtimeServerError` when the server refuses the configuration.
        """
        link, protocol, body = self.prepare(
            system=system,
            tools=tools,
            voice=voice,
            input_audio_format=input_audio_format,
            output_audio_format=output_audio_format,
        )
        trace = session_trace(self.model, self.base_url)
        session = OpenAIRealtimeSession(link, protocol, body, trace=trace)
        try:
            await session.open()
        except BaseException as error:
            if trace is not None:
                trace.end(error)
            raise
        return session

    def prepare(
        self,
        *,
        system: str,
        tools: list[Tool[Any]],
        voice: str | None,
        input_audio_format: str,
        output_audio_format: str,
    ) -> tuple[Link, RealtimeProtocol, dict[str, Any]]:
        """Everything a session needs, checked, with no connection made."""
        self._check_call(system, tools, voice)
        fmt_in = audio_format(input_audio_format, direction="input")
        fmt_out = audio_format(output_audio_format, direction="output")
        body = session_body(
            instructions=system,
            tools=tools,
            voice=voice or self.voice,
            input_format=fmt_in,
            output_format=fmt_out,
            turn=self._conversation_turns(),
            transcription_model=self.transcription_model,
            noise_reduction=self.input_noise_reduction,
            output_modalities=[self.modality],
            tool_choice=self._tool_choice(),
            max_output_tokens=self.max_output_tokens,
            temperature=self.temperature,
            extra=self.extra_session,
        )
        protocol = RealtimeProtocol(
            input_format=fmt_in,
            output_format=fmt_out,
            manual_turns=not self.server_vad,
            barge_in=self.server_vad and self.vad_interrupt_response,
            # Linear PCM always goes through a converter, at equal rates too: it carries odd bytes over.
            convert_in=(lambda rate: LivePcm(rate, WIRE_RATE)) if fmt_in.pcm else None,
            convert_out=LivePcm(WIRE_RATE, fmt_out.rate) if fmt_out.pcm else None,
        )
        return self._link(), protocol, body

    def _check_call(self, system: str, tools: list[Tool[Any]], voice: str | None) -> None:
        if not isinstance(system, str):
            raise ConfigurationError(f"system must be a string, got {type(system).__name__}")
        if voice is not None and (not isinstance(voice, str) or not voice.strip()):
            raise ConfigurationError(f"voice must be a non-empty string or None, got {voice!r}")
        names = [getattr(t, "name", None) for t in tools]
        if any(not isinstance(n, str) or not n for n in names) or len(set(names)) != len(names):
            raise ConfigurationError(f"tools must be axio Tools with distinct names, got {names!r}")
        if self.tool_choice not in ("auto", "none", "required") and self.tool_choice not in names:
            raise ConfigurationError(f"tool_choice={self.tool_choice!r} names no tool offered ({names})")

    def _conversation_turns(self) -> dict[str, Any] | None:
        return self._turn_detection(
            create_response=self.vad_create_response,
            interrupt_response=self.vad_interrupt_response,
            idle_timeout_ms=self.idle_timeout_ms,
        )

    def _tool_choice(self) -> str | dict[str, str]:
        if self.tool_choice in ("auto", "none", "required"):
            return self.tool_choice
        return {"type": "function", "name": self.tool_choice}

    def _link(self) -> Link:
        """How to open (and reopen) this transport's WebSocket."""
        return self._link_for(f"realtime session ({self.model})", {"model": self.model})

    async def client_secret(
        self,
        *,
        expires_after_s: int = 600,
        system: str = "",
        tools: Sequence[Tool[Any]] = (),
        voice: str | None = None,
        input_audio_format: str = "audio/pcm;rate=16000",
        output_audio_format: str = "audio/pcm;rate=24000",
    ) -> ClientSecret:
        """A short-lived key (``ek_...``) for a browser or phone to open this conversation with, bound
        to this transport's session configuration (``system``, ``tools`` and formats as ``connect``
        takes them); ``POST /realtime/client_secrets``. Arguments are checked before anything is sent."""
        _, _, body = self.prepare(
            system=system,
            tools=list(tools),
            voice=voice,
            input_audio_format=input_audio_format,
            output_audio_format=output_audio_format,
        )
        body.pop("temperature", None)  # not in the GA session the endpoint checks
        return await self._client_secret({**body, "model": self.model}, expires_after_s)
