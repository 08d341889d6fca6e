"""The offline demo: an axio Agent with a tool, streaming through OpenAITransport from the emulator.

Run with ``make demo``. No key and no network: the emulator listens on a loopback port.
"""

from __future__ import annotations

import asyncio
import sys

from axio.agent import Agent
from axio.context import MemoryContextStore
from axio.events import IterationStart, SessionEndEvent, TextDelta, ToolResult, ToolUseStart
from axio.tool import Tool

from axio_omni import OpenAITransport, TransportPool
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


if __name__ == "__main__":
    asyncio.run(main())
