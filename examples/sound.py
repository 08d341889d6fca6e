"""Sound generation (music, effects, ambience: not speech) with OpenAIAudioGenTransport, against the
offline emulator, which answers LocalAI's ``/v1/sound-generation`` with a WAV of the asked length.

From a clone (``make dev`` first)::

    .venv/bin/python examples/sound.py
"""

from __future__ import annotations

import asyncio
import io
import sys
import tempfile
from pathlib import Path

import soundfile as sf

from axio_omni import OpenAIAudioGenTransport
from axio_omni.emulator import Emulator


async def main() -> list[Path]:
    paths = []
    async with Emulator() as emu:
        sounds = OpenAIAudioGenTransport(base_url=emu.base_url, duration_seconds=2.5)
        for n, clip in enumerate(await sounds.generate_audios("rain on a tin roof", n=2)):
            path = Path(tempfile.gettempdir()) / f"axio-omni-sound-{n}.wav"
            path.write_bytes(clip)
            info = sf.info(io.BytesIO(clip))
            sys.stdout.write(f"sound> {path} ({info.duration:.1f} s at {info.samplerate} Hz)\n")
            paths.append(path)
    return paths


if __name__ == "__main__":
    asyncio.run(main())
