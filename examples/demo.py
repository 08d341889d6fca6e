"""The offline demo against the emulator: an axio Agent with a tool streaming through OpenAITransport,
the same question to a reasoning model over the Responses API, a small retrieval step through
OpenAIEmbeddingTransport, a spoken round trip (TTS to a WAV
file, then STT back), an image and a short video written to files, and a realtime voice turn (``voice_loop.py``:
a 16 kHz question in, a tool call, the reply's transcript as it streams and its audio to a WAV file),
and live captions of the same question (``live_captions.py``: a transcription session).

Run with ``make demo``. No key and no network: the emulator listens on a loopback port.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import numpy as np
from axio.agent import Agent
from axio.context import MemoryContextStore
from axio.events import IterationStart, ReasoningDelta, SessionEndEvent, TextDelta, ToolResult, ToolUseStart
from axio.tool import Tool
from live_captions import main as live_captions
from voice_loop import main as voice_turn

from axio_omni import (
    OpenAIEmbeddingTransport,
    OpenAIImageTransport,
    OpenAIResponsesTransport,
    OpenAISTTTransport,
    OpenAITransport,
    OpenAITTSTransport,
    OpenAIVideoTransport,
    PollPolicy,
    TransportPool,
)
from axio_omni.emulator import Emulator


async def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"18 degrees and sunny in {city}"


def say(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


async def main() -> None:
    async with Emulator() as emu, TransportPool() as pool:
        say(f"emulator listening on {emu.base_url}\n\n")
        transport = OpenAITransport(base_url=emu.base_url, model="emulator-1", pool=pool)
        weather: Tool[object] = Tool(name="get_weather", handler=get_weather, description="Current weather for a city.")
        agent = Agent(system="You are a helpful assistant.", transport=transport, tools=[weather])
        question = "What is the weather in Paris? Use get_weather."
        say(f"user> {question}\n")
        async for event in agent.run_stream(question, MemoryContextStore()):
            match event:
                case IterationStart(model=model):
                    say(f"\n[{model}] assistant> ")
                case TextDelta(delta=delta):
                    say(delta)
                case ToolUseStart(name=name):
                    say(f"(calls {name}) ")
                case ToolResult(name=name, input=args, content=content):
                    say(f"\n  tool {name}({args}) -> {content!r}")
                case SessionEndEvent(stop_reason=reason, total_usage=usage):
                    say(
                        f"\n\nstop: {reason.value}; usage: {usage.input_tokens} input + "
                        f"{usage.output_tokens} output = {usage.total_tokens} tokens\n"
                    )
        await reasoning_turn(OpenAIResponsesTransport(base_url=emu.base_url, model="o4-mini", pool=pool), weather)
        await retrieve(OpenAIEmbeddingTransport(base_url=emu.base_url, pool=pool))
        await round_trip(
            OpenAITTSTransport(base_url=emu.base_url, response_format="wav", pool=pool),
            OpenAISTTTransport(base_url=emu.base_url, pool=pool),
        )
        await picture(OpenAIImageTransport(base_url=emu.base_url, size="1024x1024", quality="low", pool=pool))
        await movie(OpenAIVideoTransport(base_url=emu.base_url, poll=PollPolicy(interval=0.1), pool=pool))
    say("\nrealtime> a spoken question at 16 kHz from examples/data/question-16k.wav")
    await voice_turn(say)
    say("\ncaptions> live captions of the same question, as it is heard\n")
    await live_captions(say)


async def reasoning_turn(transport: OpenAIResponsesTransport, weather: Tool[object]) -> None:
    """The same question through /v1/responses with a reasoning model: its reasoning summary streams,
    and its encrypted reasoning goes back with the tool's result (store is off)."""
    say("\nresponses> the same question to o4-mini over /v1/responses\n")
    agent = Agent(system="You are a helpful assistant.", transport=transport, tools=[weather])
    thinking = False
    async for event in agent.run_stream("What is the weather in Rome? Use get_weather.", MemoryContextStore()):
        match event:
            case ReasoningDelta(delta=delta):
                say(delta if thinking else f"  (reasoning) {delta}")
                thinking = True
            case TextDelta(delta=delta):
                say(("\n  assistant> " if thinking else "") + delta)
                thinking = False
            case ToolResult(name=name, content=content):
                say(f"\n  tool {name} -> {content!r}\n")
                thinking = False
    say("\n")


DOCUMENTS = [
    "Paris weather in spring is mild with frequent rain showers.",
    "The Louvre museum holds the Mona Lisa and thousands of other works.",
    "Sourdough bread needs a starter, flour, water and patience.",
    "Electric cars charge faster on DC fast chargers than at home.",
    "Tides are caused by the gravitational pull of the moon.",
]


async def retrieve(embeddings: OpenAIEmbeddingTransport) -> None:
    """Embed the documents and a question; the best match by cosine similarity answers it."""
    question = "How do I make sourdough bread?"
    docs = await embeddings.embed_batch(DOCUMENTS)
    query = (await embeddings.embed_array([question]))[0]
    scores = docs.vectors @ query / (np.linalg.norm(docs.vectors, axis=1) * np.linalg.norm(query))
    say(f"\nretrieval> {question}\n")
    for i in np.argsort(-scores)[:3]:
        say(f"  {scores[i]:.3f}  {DOCUMENTS[i]}\n")
    best = DOCUMENTS[int(np.argmax(scores))]
    say(f"best match: {best!r} ({docs.vectors.shape[1]} dimensions, {docs.usage.prompt_tokens} tokens)\n")


async def round_trip(tts: OpenAITTSTransport, stt: OpenAISTTTransport) -> None:
    """Speak a sentence into a WAV file, then transcribe the file back."""
    sentence = "Speech made offline comes back as the same words."
    path = Path(tempfile.gettempdir()) / "axio-omni-demo.wav"
    with path.open("wb") as out:
        async for chunk in tts.synthesize(sentence):
            out.write(chunk)
    heard = await stt.transcribe(path.read_bytes(), "audio/wav")
    say(f"\nspeech> {sentence!r} -> {path} ({path.stat().st_size:,} bytes)\n")
    say(f"heard>  {heard!r} ({'same words' if heard == sentence else 'DIFFERENT'})\n")


async def picture(images: OpenAIImageTransport) -> None:
    """Generate an image and write it to a file."""
    result = await images.generate_image_batch("A lighthouse at dusk, watercolour")
    path = Path(tempfile.gettempdir()) / "axio-omni-demo.png"
    path.write_bytes(result.images[0])
    say(f"\nimage> {path} ({len(result.images[0]):,} bytes, {result.usage.get('total_tokens', 0)} tokens)\n")


async def movie(videos: OpenAIVideoTransport) -> None:
    """Make a short video (a job: created, polled, downloaded) straight into a file."""
    path = Path(tempfile.gettempdir()) / "axio-omni-demo.mp4"
    video_id = await videos.generate_video_to(path, "A paper boat on a pond", duration_seconds=4, aspect_ratio="16:9")
    say(f"video> {path} ({path.stat().st_size:,} bytes, job {video_id})\n")


if __name__ == "__main__":
    asyncio.run(main())
