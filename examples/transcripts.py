"""The transcription API beyond plain text, against the offline emulator: a transcript streamed as it
is heard, who spoke when (diarization, with a known speaker named by a short sample), each word's
time, and a translation into English.

From a clone (``make dev`` first)::

    .venv/bin/python examples/transcripts.py
"""

from __future__ import annotations

import asyncio
import base64
import sys

import numpy as np

from axio_omni import OpenAISTTTransport, OpenAITTSTransport
from axio_omni.audio import decode_audio, encode_audio
from axio_omni.emulator import Emulator


def say(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


async def speech(base_url: str, text: str, voice: str) -> np.ndarray:
    """``text`` spoken in ``voice`` (the emulator's tone voice, which it can hear back)."""
    tts = OpenAITTSTransport(base_url=base_url, model="gpt-4o-mini-tts", voice=voice, response_format="wav")
    samples, _ = decode_audio(b"".join([chunk async for chunk in tts.synthesize(text)]))
    return samples


async def main() -> None:
    async with Emulator() as emu:
        url = emu.base_url
        # A streamed transcript: pieces as they are transcribed, then usage and log-probabilities.
        question = encode_audio(await speech(url, "Where is the nearest train station?", "alloy"), 24000, "wav")
        stt = OpenAISTTTransport(base_url=url, model="gpt-4o-mini-transcribe", include=("logprobs",))
        stream = stt.transcribe_stream(question)
        say("stream> ")
        async for piece in stream:
            say(f"[{piece}]")
        usage = stream.usage
        say(f"\n        {usage.total_tokens if usage else 0} tokens, {len(stream.logprobs)} log-probabilities\n")

        # Who spoke: two voices; one of them is named by a three-second sample.
        nina = (await speech(url, "This is my voice. I speak like this.", "nova"))[: 3 * 24000]
        sample = "data:audio/wav;base64," + base64.b64encode(encode_audio(nina, 24000, "wav")).decode()
        dialogue = np.concatenate(
            [await speech(url, line, voice) for voice, line in [("alloy", "Good morning."), ("nova", "Hi there!")]]
        )
        diarizer = OpenAISTTTransport(
            base_url=url,
            model="gpt-4o-transcribe-diarize",
            response_format="diarized_json",
            known_speaker_names=("Nina",),
            known_speaker_references=(sample,),
        )
        for segment in (await diarizer.transcribe_segments(encode_audio(dialogue, 24000, "wav"))).segments:
            say(f"who>    {segment.start:5.2f}-{segment.end:5.2f}s  {segment.speaker}: {segment.text}\n")

        # When each word was said (verbose_json with word timestamps).
        timed = OpenAISTTTransport(base_url=url, model="whisper-1", timestamp_granularities=("word",))
        words = (await timed.transcribe_segments(question)).words
        say("words>  " + " ".join(f"{w.word}@{w.start:.2f}" for w in words) + "\n")

        # A translation into English (/audio/translations, whisper-1).
        say(f"english> {await stt.translate(question)!r}\n")


if __name__ == "__main__":
    asyncio.run(main())
