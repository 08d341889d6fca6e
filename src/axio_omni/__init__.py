"""axio-omni: OpenAI-compatible transports for every axio modality, and an offline emulator."""

from . import presets as presets  # imported to register the presets' types for from_dict
from . import telemetry as telemetry
from .dummies import (
    DummyAudioGen,
    DummyCompletion,
    DummyEmbedding,
    DummyImageEdit,
    DummyImageGen,
    DummyRealtime,
    DummyRealtimeTranscription,
    DummySTT,
    DummyTTS,
    DummyVideoGen,
)
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    ConnectError,
    ContentPolicyError,
    InBandError,
    IncompleteResultError,
    InternalServerError,
    MalformedResponseError,
    NotFoundError,
    OmniError,
    PermissionDeniedError,
    Phase,
    PlaceholderUsedError,
    RateLimitError,
    RealtimeServerError,
    RequestTimeoutError,
    RequestTooLargeError,
    RetryWaitTooLongError,
    SessionClosedError,
    StreamCutError,
    UnprocessableEntityError,
    VideoJobFailedError,
    VideoJobTimeoutError,
)
from .poll import PollPolicy
from .pool import PoolSettings, TransportPool, default_pool
from .ratelimit import RateLimits
from .retry import Repeat, RetryPolicy, may_repeat
from .serial import Serializable, from_dict
from .timeouts import Timeouts
from .transports.chat import OpenAITransport
from .transports.embeddings import EmbeddingResult, OpenAIEmbeddingTransport
from .transports.images import ImageResult, OpenAIImageTransport
from .transports.realtime import OpenAIRealtimeTransport
from .transports.realtime_base import ClientSecret
from .transports.realtime_session import OpenAIRealtimeSession
from .transports.realtime_transcription import OpenAIRealtimeTranscriptionSession, OpenAIRealtimeTranscriptionTransport
from .transports.responses import OpenAIResponsesTransport
from .transports.sound import OpenAIAudioGenTransport
from .transports.stt import OpenAISTTTransport
from .transports.transcript_stream import TranscriptStream
from .transports.tts import OpenAITTSTransport
from .transports.videos import OpenAIVideoTransport
from .wire.embeddings import EmbeddingUsage
from .wire.images import ImagePart
from .wire.realtime_transcription import Utterance
from .wire.transcripts import Segment, TokenLogprob, Transcript, TranscriptUsage, Word

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientSecret",
    "ConfigurationError",
    "ConflictError",
    "ConnectError",
    "ContentPolicyError",
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
    "EmbeddingResult",
    "EmbeddingUsage",
    "ImagePart",
    "ImageResult",
    "InBandError",
    "IncompleteResultError",
    "InternalServerError",
    "MalformedResponseError",
    "NotFoundError",
    "OmniError",
    "OpenAIAudioGenTransport",
    "OpenAIEmbeddingTransport",
    "OpenAIImageTransport",
    "OpenAIRealtimeSession",
    "OpenAIRealtimeTranscriptionSession",
    "OpenAIRealtimeTranscriptionTransport",
    "OpenAIRealtimeTransport",
    "OpenAIResponsesTransport",
    "OpenAISTTTransport",
    "OpenAITTSTransport",
    "OpenAITransport",
    "OpenAIVideoTransport",
    "PermissionDeniedError",
    "Phase",
    "PlaceholderUsedError",
    "PollPolicy",
    "PoolSettings",
    "RateLimitError",
    "RateLimits",
    "RealtimeServerError",
    "Repeat",
    "RequestTimeoutError",
    "RequestTooLargeError",
    "RetryPolicy",
    "RetryWaitTooLongError",
    "Segment",
    "Serializable",
    "SessionClosedError",
    "StreamCutError",
    "Timeouts",
    "TokenLogprob",
    "Transcript",
    "TranscriptStream",
    "TranscriptUsage",
    "TransportPool",
    "UnprocessableEntityError",
    "Utterance",
    "VideoJobFailedError",
    "VideoJobTimeoutError",
    "Word",
    "default_pool",
    "from_dict",
    "may_repeat",
]
