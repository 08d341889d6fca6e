"""A voice loop with axio's RealtimeAgent over OpenAIRealtimeTransport: microphone in, speaker out, tools.

The microphone is any async iterator of ``AudioBlock`` and the speaker a callback, so the same loop
runs with a sound card (axio-audio's ``Microphone()`` yields 24 kHz blocks, ``Speaker.feed`` takes
the reply) or, as here, with a WAV file as the microphone and a WAV file as the speaker, against
the offline emulator. It needs the package installed: ``make demo`` runs it, or from a clone::

    make dev && .venv/bin/python examples/voice_loop.py   # prints the conversation, writes the reply to a WAV

Audio goes in at whatever rate each block says (16 kHz here; bare ``audio/pcm`` is 24 kHz) and comes
out at 24 kHz; the transport converts on the client, so the caller never resamples. With a real
speaker, report how much has played (``agent.session.mark_played(ms)``) so that an interruption cuts
the model's memory of its reply where the user stopped hearing it.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import soundfile as sf
from axio.blocks import AudioBlock
from axio.events import AudioOutputDelta, SpeechStarted, ToolUseStart, TranscriptDelta, TurnComplete
from axio.realtime import RealtimeAgent
from axio.tool import Tool
from axio.types import StopReason

from axio_omni import OpenAIRealtimeTransport
from axio_omni.audio import pcm_block
from axio_omni.emulator import Emulator

QUESTION = Path(__file__).parent / "data" / "question-16k.wav"
FRAME_MS = 20


async def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"18 degrees and sunny in {city}"


async def wav_microphone(path: Path) -> AsyncIterator[AudioBlock]:
    """20 ms frames of 16-bit PCM from a WAV file, as a sound card would deliver them, each block
    saying its rate (``audio/pcm;rate=16000``; bare ``audio/pcm`` would mean 24 kHz)."""
    pcm, rate = sf.read(path, dtype="int16")
    step = rate * FRAME_MS // 1000
    for i in range(0, len(pcm), step):
        yield pcm_block(pcm[i : i + step].tobytes(), rate)
        await asyncio.sleep(0)


async def voice_loop(
    transport: OpenAIRealtimeTransport,
    microphone: AsyncIterator[AudioBlock],
    speaker: Callable[[bytes], None],
    show: Callable[[str], None],
    tools: list[Tool[Any]],
) -> None:
    """One spoken exchange: the user's turn from ``microphone``, the reply to ``speaker``, tools run on the way."""
    agent = RealtimeAgent(
        system="You are a helpful voice assistant.",
        transport=transport,
        tools=tools,
        input_audio_format="audio/pcm;rate=16000",
        output_audio_format="audio/pcm;rate=24000",
    )
    async with agent:

        async def listen() -> None:
            async for block in microphone:
                await agent.send(block)

        mic = asyncio.create_task(listen())
        role = ""
        try:
            async for event in agent.events():
                match event:
                    case SpeechStarted():
                        show("\n[user speaking]")
                    case TranscriptDelta(role=who, delta=delta):
                        if who != role:
                            role = who
                            show(f"\n{who}> ")
                        show(delta)
                    case AudioOutputDelta(data=data):
                        speaker(data)
                    case ToolUseStart(name=name):
                        show(f"\n(calls {name})")
                        role = ""
                    case TurnComplete(stop_reason=StopReason.end_turn):
                        show("\n")
                        break
        finally:
            mic.cancel()
            await asyncio.gather(mic, return_exceptions=True)


async def main(show: Callable[[str], None]) -> Path:
    """The loop against the emulator: the packaged question in, the reply written to a WAV file."""
    out = Path(tempfile.gettempdir()) / "axio-omni-realtime-reply.wav"
    weather: Tool[Any] = Tool(name="get_weather", handler=get_weather)
    async with Emulator() as emu:
        transport = OpenAIRealtimeTransport(base_url=emu.base_url, transcription_model="whisper-1")
        with sf.SoundFile(out, "w", samplerate=24000, channels=1, subtype="PCM_16") as wav:
            speaker = wav.buffer_write  # a sound card's output stream would take the same bytes
            await voice_loop(transport, wav_microphone(QUESTION), lambda b: speaker(b, "int16"), show, [weather])
    info = sf.info(out)
    show(f"reply audio> {out} ({info.duration:.1f} s at {info.samplerate} Hz)\n")
    return out


def say(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main(say))
