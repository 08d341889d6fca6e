"""``POST /v1/sound-generation`` in the emulator: a WAV of the asked duration, the same for the same prompt.

As LocalAI serves it (``audio/x-wav``), and as ElevenLabs takes its body: ``text`` (required),
``model_id``, ``duration_seconds`` (0.5 to 30; 2 when not given) and ``prompt_influence`` (0 to 1).
The sound is a chord whose notes come from a hash of the prompt, with a gentle attack and release.
``EmulatorState.sounds_made`` counts what a server would bill.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

import numpy as np
import soundfile as sf
from aiohttp import web

from .shapes import error_response
from .state import CALL, STATE, Call
from .writer import respond_bytes

__all__ = ["handle_sound", "make_sound"]

_RATE = 44100


def make_sound(prompt: str, seconds: float) -> bytes:
    """A 16-bit mono WAV of ``seconds``: three notes picked by the prompt's hash."""
    digest = hashlib.sha256(prompt.encode()).digest()
    t = np.arange(int(seconds * _RATE)) / _RATE
    notes = [110.0 * 2 ** (digest[i] % 36 / 12) for i in range(3)]
    wave = sum(np.sin(2 * np.pi * f * t) for f in notes) / 3
    ramp = np.minimum(1.0, np.minimum(t, t[-1] - t + 1 / _RATE) / 0.05) if len(t) else t
    out = io.BytesIO()
    sf.write(out, (0.5 * wave * ramp).astype(np.float32), _RATE, format="WAV", subtype="PCM_16")
    return out.getvalue()


def _problem(body: Any) -> tuple[str, str] | None:
    if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"].strip():
        return "text is required", "text"
    seconds = body.get("duration_seconds", 2.0)
    if seconds is not None and (not isinstance(seconds, (int, float)) or not 0.5 <= seconds <= 30):
        return "duration_seconds must be from 0.5 to 30", "duration_seconds"
    influence = body.get("prompt_influence", 0.3)
    if not isinstance(influence, (int, float)) or not 0 <= influence <= 1:
        return "prompt_influence must be from 0 to 1", "prompt_influence"
    return None


async def handle_sound(request: web.Request) -> web.StreamResponse:
    call: Call = request[CALL]
    problem = _problem(call.body)
    if problem is not None:
        # ElevenLabs answers validation errors under ``detail``.
        return error_response(422, problem[0], param=problem[1], shape="detail")
    request.app[STATE].sounds_made += 1
    audio = make_sound(call.body["text"], float(call.body.get("duration_seconds") or 2.0))
    return await respond_bytes(request, call, audio, "audio/x-wav")
