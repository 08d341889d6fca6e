"""Placeholders for every axio transport protocol, for agents prototyped before a provider is chosen.

Each is an instance of its protocol (``isinstance(DummyTTS(), TTSTransport)`` holds), serializes like
any transport, and raises :class:`~axio_omni.errors.PlaceholderUsedError` on first use with what to do
instead. ``purpose`` is an optional note that the error repeats ("the narrator's voice").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, ClassVar, NoReturn

from axio.blocks import ImageBlock
from axio.events import StreamEvent
from axio.messages import Message
from axio.tool import Tool
from axio.transport import (
    AudioGenTransport,
    CompletionTransport,
    EmbeddingTransport,
    ImageEditTransport,
    ImageGenTransport,
    RealtimeSession,
    RealtimeTransport,
    STTTransport,
    TTSTransport,
    VideoGenTransport,
)

from .errors import PlaceholderUsedError
from .fields import check_settings, setting
from .rules import Text
from .serial import Serializable

__all__ = [
    "DummyAudioGen",
    "DummyCompletion",
    "DummyEmbedding",
    "DummyImageEdit",
    "DummyImageGen",
    "DummyRealtime",
    "DummyRealtimeTranscription",
    "DummySTT",
    "DummyTTS",
    "DummyVideoGen",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Dummy(Serializable):
    modality: ClassVar[str]
    replacement: ClassVar[str]

    purpose: str = setting("", Text(empty=True))

    def __post_init__(self) -> None:
        check_settings(self)

    def _fail(self, method: str) -> NoReturn:
        why = f" ({self.purpose})" if self.purpose else ""
        raise PlaceholderUsedError(
            f"{type(self).__name__}.{method}() was called, but this is a placeholder{why}: no {self.modality} "
            f"provider is configured. Replace it with a real transport, e.g. {self.replacement}, "
            "or agent.copy(transport=...) for an agent's completion transport."
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DummyCompletion(_Dummy, CompletionTransport):
    type_name = "dummy-completion"
    modality = "completion"
    replacement = "axio_omni.OpenAITransport(model=...)"

    def stream(self, messages: list[Message], tools: list[Tool[Any]], system: str) -> AsyncIterator[StreamEvent]:
        self._fail("stream")


@dataclass(frozen=True, slots=True, kw_only=True)
class DummyEmbedding(_Dummy, EmbeddingTransport):
    type_name = "dummy-embedding"
    modality = "embedding"
    replacement = "an OpenAI-compatible embedding transport"

    async def embed(self, texts: list[str]) -> list[list[float]]:
        self._fail("embed")


@dataclass(frozen=True, slots=True, kw_only=True)
class DummyImageGen(_Dummy, ImageGenTransport):
    type_name = "dummy-image-gen"
    modality = "image generation"
    replacement = "an OpenAI-compatible image transport"

    async def generate_images(self, prompt: str, *, model: str | None = None, n: int = 1) -> list[bytes]:
        self._fail("generate_images")


@dataclass(frozen=True, slots=True, kw_only=True)
class DummyImageEdit(_Dummy, ImageEditTransport):
    type_name = "dummy-image-edit"
    modality = "image editing"
    replacement = "an OpenAI-compatible image edit transport"

    async def edit_images(
        self,
        prompt: str,
        *,
        images: list[ImageBlock],
        mask: ImageBlock | None = None,
        model: str | None = None,
        n: int = 1,
    ) -> list[bytes]:
        self._fail("edit_images")


@dataclass(frozen=True, slots=True, kw_only=True)
class DummyVideoGen(_Dummy, VideoGenTransport):
    type_name = "dummy-video-gen"
    modality = "video generation"
    replacement = "an OpenAI-compatible video transport"

    async def generate_videos(
        self,
        prompt: str,
        *,
        model: str | None = None,
        n: int = 1,
        image: bytes | None = None,
        duration_seconds: int | None = None,
        aspect_ratio: str | None = None,
    ) -> list[bytes]:
        self._fail("generate_videos")


@dataclass(frozen=True, slots=True, kw_only=True)
class DummyAudioGen(_Dummy, AudioGenTransport):
    type_name = "dummy-audio-gen"
    modality = "audio generation"
    replacement = "an OpenAI-compatible sound generation transport"

    async def generate_audios(self, prompt: str, *, model: str | None = None, n: int = 1) -> list[bytes]:
        self._fail("generate_audios")


@dataclass(frozen=True, slots=True, kw_only=True)
class DummyTTS(_Dummy, TTSTransport):
    type_name = "dummy-tts"
    modality = "text-to-speech"
    replacement = "an OpenAI-compatible TTS transport"

    def synthesize(self, text: str, *, voice: str | None = None) -> AsyncIterator[bytes]:
        self._fail("synthesize")


@dataclass(frozen=True, slots=True, kw_only=True)
class DummySTT(_Dummy, STTTransport):
    type_name = "dummy-stt"
    modality = "speech-to-text"
    replacement = "an OpenAI-compatible STT transport"

    async def transcribe(self, audio: bytes, media_type: str = "audio/wav") -> str:
        self._fail("transcribe")


@dataclass(frozen=True, slots=True, kw_only=True)
class DummyRealtime(_Dummy, RealtimeTransport):
    type_name = "dummy-realtime"
    modality = "realtime voice"
    replacement = "an OpenAI-compatible realtime transport"

    async def connect(
        self,
        *,
        system: str = "",
        tools: list[Tool[Any]] | None = None,
        voice: str | None = None,
        input_audio_format: str = "audio/pcm;rate=16000",
        output_audio_format: str = "audio/pcm;rate=24000",
    ) -> RealtimeSession:
        """Fails; ``system`` and ``tools`` may be left out, as live captions leave them."""
        self._fail("connect")

    async def client_secret(self, **_: Any) -> NoReturn:
        self._fail("client_secret")


@dataclass(frozen=True, slots=True, kw_only=True)
class DummyRealtimeTranscription(DummyRealtime):
    """A placeholder for live captions (``OpenAIRealtimeTranscriptionTransport``)."""

    type_name = "dummy-realtime-transcription"
    modality = "live captions"
    replacement = "OpenAIRealtimeTranscriptionTransport"
