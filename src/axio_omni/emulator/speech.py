"""``POST /v1/audio/speech`` in the emulator.

Speech is real audio in the format asked for (pcm is 24 kHz 16-bit mono, as OpenAI's), streamed
in chunks; its content is the tone code of ``voice.py`` in the voice asked for, so the emulator's
own transcription returns the same text and tells voices apart. ``stream_format="sse"`` sends the
same bytes as ``speech.audio.delta`` events and ends with ``speech.audio.done`` and its usage
(tts-1 and tts-1-hd refuse it, as OpenAI's do). AAC has no encoder here and is refused with
``unsupported_response_format``.
"""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web

from ..audio import encode_audio
from .shapes import error_response
from .state import CALL, Call
from .voice import RATE, encode_speech
from .writer import BodyWriter, dumps, respond_bytes

__all__ = ["handle_speech"]

_CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
_CHUNK = 8192
#: Audio tokens per second of speech the usage of ``speech.audio.done`` counts.
_TOKENS_PER_SECOND = 20


def _speech_problem(body: Any) -> tuple[str, str] | None:
    if not isinstance(body, dict):
        return "The request body must be a JSON object.", "input"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter", "model"
    text = body.get("input")
    if not isinstance(text, str) or not text.strip():
        return "'input' must be a non-empty string", "input"
    if len(text) > 4096:
        return f"'input' is too long: {len(text)} characters, the maximum is 4096", "input"
    voice = body.get("voice")
    if not (isinstance(voice, str) and voice) and not (isinstance(voice, dict) and voice.get("id")):
        return "you must provide a voice parameter", "voice"
    if body.get("response_format", "mp3") not in _CONTENT_TYPES:
        return f"Invalid 'response_format': {body.get('response_format')!r}", "response_format"
    speed = body.get("speed", 1.0)
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0.25 <= speed <= 4.0:
        return f"Invalid 'speed': {speed!r}; it must be between 0.25 and 4.0", "speed"
    stream_format = body.get("stream_format", "audio")
    if stream_format not in ("audio", "sse"):
        return f"Invalid 'stream_format': {stream_format!r}; use 'audio' or 'sse'", "stream_format"
    if stream_format == "sse" and body["model"] in ("tts-1", "tts-1-hd"):
        return f"stream_format 'sse' is not supported for model '{body['model']}'.", "stream_format"
    return None


async def handle_speech(request: web.Request) -> web.StreamResponse:
    call: Call = request[CALL]
    body = call.body
    problem = _speech_problem(body)
    if problem:
        return error_response(400, problem[0], param=problem[1])
    fmt = body.get("response_format", "mp3")
    if fmt == "aac":
        return error_response(
            400,
            "response_format 'aac' is not available in the emulator (no AAC encoder); use mp3, opus, flac, wav or pcm",
            param="response_format",
            code="unsupported_response_format",
        )
    voice = body["voice"] if isinstance(body["voice"], str) else str(body["voice"]["id"])
    samples = encode_speech(body["input"], RATE, voice)
    audio = encode_audio(samples, RATE, fmt)
    if body.get("stream_format") == "sse":
        usage = _usage(body["input"], len(samples) / RATE)
        return await _sse(request, call, audio, usage)
    # Streamed in chunks without a length, as OpenAI streams speech.
    return await respond_bytes(
        request, call, audio, _CONTENT_TYPES[fmt], headers={"x-sample-rate": str(RATE)}, chunk=_CHUNK, length=False
    )


def _usage(text: str, seconds: float) -> dict[str, int]:
    prompt, audio = max(1, len(text) // 4), max(1, round(seconds * _TOKENS_PER_SECOND))
    return {"input_tokens": prompt, "output_tokens": audio, "total_tokens": prompt + audio}


async def _sse(request: web.Request, call: Call, audio: bytes, usage: dict[str, int]) -> web.StreamResponse:
    """The audio as ``speech.audio.delta`` events, then ``speech.audio.done`` with the usage."""
    resp = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "x-sample-rate": str(RATE)}
    )
    await resp.prepare(request)
    writer = BodyWriter(request, resp, call, sse=True)
    for at in range(0, len(audio), _CHUNK):
        delta = {"type": "speech.audio.delta", "audio": base64.b64encode(audio[at : at + _CHUNK]).decode()}
        if not await writer.send(b"data: " + dumps(delta) + b"\n\n"):
            return resp
    if await writer.send(b"data: " + dumps({"type": "speech.audio.done", "usage": usage}) + b"\n\n"):
        await writer.end()
    return resp
