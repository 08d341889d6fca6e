"""Live captions of a spoken question: a GA transcription session over OpenAIRealtimeTranscriptionTransport.

The microphone here is the packaged 16 kHz WAV, sent in 20 ms frames as a sound card would; each
block says its rate, and the session resamples it. The words appear as the server transcribes
them, and each finished utterance comes with its whole text, log-probabilities and usage. Against
the offline emulator, from a clone (``make dev`` first)::

    .venv/bin/python examples/live_captions.py

With a real microphone, feed axio-audio's ``Microphone()`` blocks to ``session.send`` instead.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import soundfile as sf
from axio.events import Error, SpeechStarted, SpeechStopped, TranscriptDelta, TurnComplete

from axio_omni import OpenAIRealtimeTranscriptionTransport, Utterance
from axio_omni.audio import pcm_block
from axio_omni.emulator import Emulator

QUESTION = Path(__file__).parent / "data" / "question-16k.wav"


async def captions(
    transport: OpenAIRealtimeTranscriptionTransport, path: Path, show: Callable[[str], None]
) -> Utterance:
    """Send ``path`` as a microphone would, show the caption as it grows, return the finished utterance."""
    pcm, rate = sf.read(path, dtype="int16")
    session = await transport.connect(input_audio_format=f"audio/pcm;rate={rate}")
    try:
        step = rate // 50  # 20 ms
        for i in range(0, len(pcm), step):
            await session.send(pcm_block(pcm[i : i + step].tobytes(), rate))
        async with asyncio.timeout(30):
            async for event in session.events():
                match event:
                    case SpeechStarted():
                        show("[speech] ")
                    case TranscriptDelta(delta=delta):
                        show(delta)
                    case SpeechStopped():
                        pass
                    case Error(exception=error):
                        show(f"\n[transcription failed: {error}]\n")
                    case TurnComplete():
                        break
        if session.last is None:
            raise RuntimeError("the session ended before an utterance was transcribed")
        return session.last
    finally:
        await session.close()


async def main(show: Callable[[str], None]) -> Utterance:
    async with Emulator() as emu:
        transport = OpenAIRealtimeTranscriptionTransport(base_url=emu.base_url, logprobs=True, language="en")
        utterance = await captions(transport, QUESTION, show)
    tokens = utterance.usage.total_tokens if utterance.usage else 0
    show(f"\ncaption> {utterance.text!r} ({len(utterance.logprobs)} token log-probabilities, {tokens} tokens)\n")
    return utterance


def say(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main(say))
