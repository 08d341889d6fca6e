"""What the emulator remembers, and the context each request is handled in.

Server-wide state (:class:`EmulatorState`) and each endpoint's own state live under aiohttp app
keys; a request's context (:class:`Call`: what was recorded, its parsed body, its fault) is made by
the middleware and handed to the handler explicitly as ``request[CALL]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .clock import Clock, RealClock
from .faults import Fault, FaultQueue
from .quota import Quota

__all__ = ["CALL", "EMBEDDING_LIMITS", "STATE", "Call", "EmbeddingLimits", "EmulatorState", "RecordedRequest"]


@dataclass(slots=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass(slots=True)
class EmulatorState:
    """What the emulator remembers: scripted faults, what it was sent, how many connections it saw."""

    api_key: str | None = None
    faults: FaultQueue = field(default_factory=FaultQueue)
    requests: list[RecordedRequest] = field(default_factory=list)
    active: int = 0
    max_active: int = 0
    peers: set[tuple[str, int]] = field(default_factory=set)
    #: Client events received by realtime sessions, oldest first (appended audio as its byte count);
    #: the newest 20,000, and of the audio the newest 32 MiB.
    realtime_events: list[dict[str, Any]] = field(default_factory=list)
    #: The input audio they appended (24 kHz PCM16 as sent), all sessions together.
    realtime_audio: bytearray = field(default_factory=bytearray)
    #: Images made so far (what a server would bill), and those answered as URLs: id -> (bytes, made at).
    images_made: int = 0
    sounds_made: int = 0
    #: Video jobs by id (``videos.py``), how many were created, how long one takes to make on the
    #: emulator's clock, and the poll interval its polls suggest.
    videos: dict[str, Any] = field(default_factory=dict)
    videos_made: int = 0
    video_make_seconds: float = 0.3
    video_poll_after_ms: float = 50.0
    image_files: dict[str, tuple[bytes, float]] = field(default_factory=dict)
    #: Seconds an image URL stays valid, on the emulator's clock.
    image_url_ttl: float = 3600.0
    #: A requests-per-window limit with OpenAI's headers and 429s (``quota.py``); None: no limit.
    quota: Quota | None = None
    #: Conversations of stored responses, by response id, for ``previous_response_id``.
    conversations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Client secrets (``ek_...``) made by ``/v1/realtime/client_secrets``, by value (``client_secrets.Secret``).
    client_secrets: dict[str, Any] = field(default_factory=dict)
    #: Spoken chat replies by audio id (``chat_audio.SpokenAudio``), for later requests to name.
    chat_audio: dict[str, Any] = field(default_factory=dict)
    #: The clock scripted delays and stalls wait on; a ``ManualClock`` lets a test move it.
    clock: Clock = field(default_factory=RealClock)


@dataclass(slots=True)
class EmbeddingLimits:
    """The embeddings endpoint's limits, OpenAI's by default."""

    inputs: int = 2048
    request_tokens: int = 300_000
    input_tokens: int = 8192


@dataclass(slots=True)
class Call:
    """One request being handled: its record, parsed JSON body (None for others) and fault (empty if none)."""

    record: RecordedRequest
    body: Any
    fault: Fault


STATE = web.AppKey("state", EmulatorState)
EMBEDDING_LIMITS = web.AppKey("embedding_limits", EmbeddingLimits)
#: Where the middleware leaves a request's :class:`Call`: a ``RequestKey`` where aiohttp has them
#: (3.12 and later warn about plain keys), a plain key before.
CALL: Any = web.RequestKey("call", Call) if hasattr(web, "RequestKey") else "axio_omni.call"
