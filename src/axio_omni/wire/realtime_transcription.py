"""Live captions: a GA transcription session (``session.type = "transcription"``), sans-I/O.

:func:`transcription_session` builds the session a ``session.update`` (or a client secret) sends;
:class:`TranscriptionProtocol` turns the caller's audio into appends and the server's events into
axio events: ``SpeechStarted`` / ``SpeechStopped``, ``TranscriptDelta(role="user")`` as each
``conversation.item.input_audio_transcription.delta`` arrives, and once an utterance's transcript
is complete a ``ProviderEvent`` carrying the ``completed`` event, then ``TurnComplete`` with its
usage. The whole text, log-probabilities and usage of each utterance are kept in
:attr:`TranscriptionProtocol.utterances`. A failed transcription is an ``Error`` event (the
session goes on); there is no conversation to replay after a reconnection, only the configuration.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from axio.blocks import AudioBlock, ContentBlock
from axio.events import Error, ProviderEvent, SpeechStarted, SpeechStopped, StreamEvent, TranscriptDelta, TurnComplete
from axio.types import StopReason, Usage

from ..errors import ConfigurationError, MalformedResponseError, RealtimeServerError
from .realtime_input import LiveInput
from .transcripts import TokenLogprob, TranscriptUsage, first_language, read_logprobs, read_usage, unsent

__all__ = ["LOGPROBS", "TranscriptionProtocol", "Utterance", "transcription_session"]

logger = logging.getLogger("axio_omni.realtime")

#: What ``include`` names to get each utterance's log-probabilities.
LOGPROBS = "item.input_audio_transcription.logprobs"
_PROVIDER = "openai"
_PREFIX = "conversation.item.input_audio_transcription."


def transcription_session(
    *,
    input_format: Mapping[str, Any],
    model: str,
    language: str | None,
    prompt: str | None,
    noise_reduction: str | None,
    turn: Mapping[str, Any] | None,
    logprobs: bool,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """The GA transcription ``session``; fields left unset are left out (the server's defaults)."""
    transcription: dict[str, Any] = {"model": model}
    if language:
        transcription["language"] = language
    if prompt:
        transcription["prompt"] = prompt
    audio_in: dict[str, Any] = {"format": dict(input_format), "transcription": transcription, "turn_detection": turn}
    if noise_reduction is not None:
        audio_in["noise_reduction"] = {"type": noise_reduction}
    session: dict[str, Any] = {"type": "transcription", "audio": {"input": audio_in}}
    if logprobs:
        session["include"] = [LOGPROBS]
    session.update(extra)
    return session


@dataclass(slots=True)
class Utterance:
    """One utterance's transcript: its text so far (whole once ``done``), log-probabilities and usage."""

    item_id: str
    text: str = ""
    logprobs: list[TokenLogprob] = field(default_factory=list)
    usage: TranscriptUsage | None = None
    done: bool = False
    #: The language the server heard, where it says.
    language: str | None = None


class TranscriptionProtocol(LiveInput):
    """A transcription session's state: the audio going in, and each utterance's transcript coming back."""

    #: How many finished utterances are kept (the newest); a long session does not grow without end.
    KEEP = 256

    @property
    def between_turns(self) -> bool:
        """Always: a transcription session has no replies to wait for."""
        return True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: Utterances by item id, in the order they were committed.
        self.utterances: dict[str, Utterance] = {}

    @property
    def last(self) -> Utterance | None:
        """The newest utterance whose transcript is complete."""
        return next((u for u in reversed(self.utterances.values()) if u.done), None)

    # ── client side ─────────────────────────────────────────────────────────────────────────────

    def send(self, blocks: Iterable[ContentBlock]) -> list[dict[str, Any]]:
        """Appends for audio blocks, at whatever rate each says; anything but audio is refused."""
        blocks = list(blocks)
        for block in blocks:
            if not isinstance(block, AudioBlock):
                raise ConfigurationError(f"a transcription session takes audio only, not {type(block).__name__}")
        return self.audio_events(blocks)

    def commit(self) -> list[dict[str, Any]]:
        """End an utterance by hand (manual turns only, never an empty buffer)."""
        return self.commit_buffer()

    def clear(self) -> list[dict[str, Any]]:
        """Drop the audio not yet committed."""
        self._buffered = 0
        return [self.event("input_audio_buffer.clear")]

    def replay(self) -> list[dict[str, Any]]:
        """Nothing: a new connection needs only the configuration."""
        return []

    def connection_lost(self) -> list[StreamEvent]:
        """The audio buffered on the lost connection is gone with it; utterances half transcribed stay."""
        self._buffered = 0
        return []

    # ── server side ─────────────────────────────────────────────────────────────────────────────

    def receive(self, event: Any) -> list[StreamEvent]:
        """The axio events one server event means; unknown events are passed on as ``ProviderEvent``."""
        if not isinstance(event, dict) or not isinstance(kind := event.get("type"), str):
            raise MalformedResponseError(f"a realtime server event is not an object with a type: {str(event)[:200]}")
        try:
            return self._read(kind, event)
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedResponseError(f"cannot read the realtime event {kind!r}: {exc!r}") from exc

    def _read(self, kind: str, event: dict[str, Any]) -> list[StreamEvent]:
        if kind == "input_audio_buffer.speech_started":
            return [SpeechStarted()]
        if kind == "input_audio_buffer.speech_stopped":
            return [SpeechStopped()]
        if kind in ("input_audio_buffer.committed", "input_audio_buffer.cleared"):
            self._buffered = 0
            if kind == "input_audio_buffer.committed":
                self._utterance(str(event["item_id"]))
        elif kind == _PREFIX + "delta":
            return self._delta(event)
        elif kind == _PREFIX + "completed":
            return self._completed(event)
        elif kind == _PREFIX + "failed":
            return self._failed(event)
        elif kind == "error":
            return self.read_error(event)
        return [ProviderEvent(_PROVIDER, kind, event)]

    def _utterance(self, item_id: str) -> Utterance:
        found = self.utterances.get(item_id)
        if found is None:
            found = self.utterances[item_id] = Utterance(item_id)
            if len(self.utterances) > self.KEEP:
                del self.utterances[next(iter(self.utterances))]
        return found

    def _delta(self, event: dict[str, Any]) -> list[StreamEvent]:
        utterance = self._utterance(str(event["item_id"]))
        delta = event.get("delta") or ""
        if not isinstance(delta, str):
            raise TypeError("delta is not a string")
        utterance.text += delta
        utterance.logprobs += read_logprobs(event.get("logprobs"))
        return [TranscriptDelta("user", delta)] if delta else []

    def _completed(self, event: dict[str, Any]) -> list[StreamEvent]:
        utterance = self._utterance(str(event["item_id"]))
        transcript = event["transcript"]
        if not isinstance(transcript, str):
            raise TypeError("transcript is not a string")
        rest = unsent(transcript, utterance.text)
        utterance.text, utterance.done = transcript, True
        if logprobs := read_logprobs(event.get("logprobs")):
            utterance.logprobs = list(logprobs)
        utterance.usage = read_usage(event.get("usage"))
        utterance.language = first_language(event.get("languages"))
        out: list[StreamEvent] = [TranscriptDelta("user", rest)] if rest else []
        usage = utterance.usage
        tokens = Usage.reported(usage.input_tokens, usage.output_tokens) if usage and usage.total_tokens else None
        return [*out, ProviderEvent(_PROVIDER, event["type"], event), TurnComplete(StopReason.end_turn, tokens)]

    def _failed(self, event: dict[str, Any]) -> list[StreamEvent]:
        error = event.get("error") or {}
        item_id = event.get("item_id")
        logger.warning("realtime: transcription of item %s failed: %s", item_id, error)
        self.utterances.pop(str(item_id), None)
        message = f"the transcription of {item_id} failed: {error.get('message') or 'no reason given'}"
        failure = RealtimeServerError(message, type=error.get("type"), code=error.get("code"), param=error.get("param"))
        return [Error(failure)]
