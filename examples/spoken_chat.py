"""Spoken chat replies (the gpt-4o-audio-preview family) through an axio Agent, offline: the reply's
transcript streams as text and its audio as AudioOutput events, written here to a WAV file; on the
next turn the reply goes back by its audio id while the server keeps it.

From a clone (``make dev`` first)::

    .venv/bin/python examples/spoken_chat.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import soundfile as sf
from axio.agent import Agent
from axio.context import MemoryContextStore
from axio.events import AudioOutput, ProviderOutput, TextDelta

from axio_omni import OpenAITransport
from axio_omni.emulator import Emulator


def say(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


async def main() -> Path:
    out = Path(tempfile.gettempdir()) / "axio-omni-spoken-reply.wav"
    async with Emulator() as emu:
        talker = OpenAITransport(
            base_url=emu.base_url,
            model="gpt-4o-audio-preview",
            modalities=("text", "audio"),
            audio={"voice": "coral", "format": "pcm16"},  # pcm16: 24 kHz 16-bit mono, the one streamed format
        )
        agent = Agent(system="You are a friendly narrator.", transport=talker)
        context = MemoryContextStore()
        with sf.SoundFile(out, "w", samplerate=24000, channels=1, subtype="PCM_16") as wav:
            for line in ("Tell me about lighthouses.", "And about harbours?"):
                say(f"user> {line}\nassistant> ")
                async for event in agent.run_stream(line, context):
                    match event:
                        case TextDelta(delta=delta):
                            say(delta)  # the spoken reply's transcript
                        case AudioOutput(data=pcm):
                            wav.buffer_write(pcm, "int16")
                        case ProviderOutput(kind="chat.audio", data=ref):
                            say(f"  (audio {ref['id']}, sent back by id next turn)")
                say("\n")
    info = sf.info(out)
    say(f"audio> {out} ({info.duration:.1f} s at {info.samplerate} Hz)\n")
    return out


if __name__ == "__main__":
    asyncio.run(main())
