"""Keys for browsers and phones: the server mints a short-lived key bound to the session's
configuration, and only that key leaves it. Offline, against the emulator, which (like OpenAI)
refuses the key once it has expired.

From a clone (``make dev`` first)::

    .venv/bin/python examples/client_secret.py

In a web app, the server's route returns ``secret.value`` and ``secret.expires_at`` as JSON; the page
opens ``wss://api.openai.com/v1/realtime`` with it (or WebRTC), never seeing ``OPENAI_API_KEY``.
"""

from __future__ import annotations

import asyncio
import sys

from axio.blocks import TextBlock
from axio.events import TextDelta, TurnComplete

from axio_omni import OpenAIRealtimeTranscriptionTransport, OpenAIRealtimeTransport
from axio_omni.emulator import Emulator


def say(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


async def main() -> None:
    async with Emulator(api_key="sk-server-only") as emu:
        # The server's side: its own key, the session it allows, a key for the client.
        server = OpenAIRealtimeTransport(base_url=emu.base_url, api_key="sk-server-only", voice="marin")
        secret = await server.client_secret(expires_after_s=60, system="Answer in one short sentence.")
        model, left = secret.session["model"], secret.expires_in
        say(f"server> minted {secret.value[:6]}... for {model}, expires in {left:.0f} s\n")

        # The client's side: the ephemeral key only.
        client = OpenAIRealtimeTransport(base_url=emu.base_url, api_key=secret.value, modality="text")
        session = await client.connect(system="Answer in one short sentence.", tools=[])
        say("client> ")
        try:
            await session.send(TextBlock(text="Hello from the browser."))
            await session.commit()
            async for event in session.events():
                if isinstance(event, TextDelta):
                    say(event.delta)
                if isinstance(event, TurnComplete):
                    break
        finally:
            await session.close()

        captions = OpenAIRealtimeTranscriptionTransport(base_url=emu.base_url, api_key="sk-server-only")
        key = await captions.client_secret(expires_after_s=600)
        transcriber = key.session["audio"]["input"]["transcription"]["model"]
        say(f"\nserver> a captions key too: a {key.session['type']} session with {transcriber}\n")


if __name__ == "__main__":
    asyncio.run(main())
