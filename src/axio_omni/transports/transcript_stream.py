"""``TranscriptStream``: a streamed transcription's text pieces, and what the stream said at its end.

The transport stays stateless: each call of ``transcribe_stream`` returns its own stream object,
which holds that call's segments, usage and log-probabilities once they arrive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType

from ..wire.transcripts import Segment, TokenLogprob, Transcript, TranscriptUsage

__all__ = ["TranscriptStream"]


class TranscriptStream:
    """The text of one transcription as it arrives: iterate it for ``str`` pieces, whose join is the
    whole transcript. Once iteration ends, :attr:`transcript` holds everything the server said
    (usage, log-probabilities with ``include=["logprobs"]``, diarized segments); :attr:`segments`
    fills as diarized segments arrive.

    ``async with`` (or :meth:`aclose`) releases the connection of a stream left unfinished.
    """

    __slots__ = ("_source", "segments", "transcript")

    def __init__(self, source: AsyncIterator[str | Segment | Transcript]) -> None:
        self._source = source
        #: Diarized segments (``transcript.text.segment``) as they arrive, times from the recording's start.
        self.segments: list[Segment] = []
        #: The whole transcription, once the stream has ended; None before.
        self.transcript: Transcript | None = None

    def __aiter__(self) -> TranscriptStream:
        return self

    async def __anext__(self) -> str:
        while True:
            item = await anext(self._source)
            if isinstance(item, str):
                return item
            if isinstance(item, Segment):
                self.segments.append(item)
            else:
                self.transcript = item

    @property
    def text(self) -> str | None:
        """The whole text, once the stream has ended."""
        return None if self.transcript is None else self.transcript.text

    @property
    def usage(self) -> TranscriptUsage | None:
        """What the transcription was billed by (tokens or seconds), once the stream has ended."""
        return None if self.transcript is None else self.transcript.usage

    @property
    def logprobs(self) -> tuple[TokenLogprob, ...]:
        """The tokens' log-probabilities (``include=["logprobs"]``), once the stream has ended."""
        return () if self.transcript is None else self.transcript.logprobs

    async def aclose(self) -> None:
        """Stop reading; the response still open is closed. Idempotent."""
        close = getattr(self._source, "aclose", None)
        if close is not None:
            await close()

    async def __aenter__(self) -> TranscriptStream:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
