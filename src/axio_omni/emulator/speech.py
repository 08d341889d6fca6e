"""``POST /v1/audio/speech`` and ``POST /v1/audio/transcriptions`` in the emulator.

Speech is real audio in the format asked for (pcm is 24 kHz 16-bit mono, as OpenAI's), streamed
in chunks; its content is the tone code of ``voice.py``, so the emulator's own transcription
returns the same text. AAC has no encoder here and is refused with ``unsupported_response_format``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..audio import decode_audio, encode_audio
from .forms import read_form
from .shapes import error_response
from .state import CALL, Call
from .voice import RATE, Burst, decode_speech, encode_speech
from .writer import respond_bytes, respond_json

__all__ = ["handle_speech", "handle_transcription"]

_CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
_CHUNK = 8192
_UPLOADS = "['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']"


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
    audio = encode_audio(encode_speech(body["input"], RATE), RATE, fmt)
    # Streamed in chunks without a length, as OpenAI streams speech.
    return await respond_bytes(
        request, call, audio, _CONTENT_TYPES[fmt], headers={"x-sample-rate": str(RATE)}, chunk=_CHUNK, length=False
    )


async def handle_transcription(request: web.Request) -> web.StreamResponse:
    """The call's record receives the form fields (not the file's bytes), for tests to inspect."""
    call: Call = request[CALL]
    record: dict[str, Any] = {}
    call.record.body = record
    if not request.content_type.startswith("multipart/"):
        return error_response(400, "the request must be multipart/form-data", param="file")
    form = await read_form(request, frozenset({"file"}))
    fields, upload = form.fields, form.file("file")
    record.update(fields)
    if upload is None:
        return error_response(400, "you must provide a file parameter", param="file")
    record["file"] = {"filename": upload.filename, "content_type": upload.content_type}
    if not fields.get("model"):
        return error_response(400, "you must provide a model parameter", param="model")
    fmt = fields.get("response_format", "json")
    if fmt not in ("json", "text", "verbose_json", "srt", "vtt"):
        return error_response(400, f"Invalid 'response_format': {fmt!r}", param="response_format")
    try:
        samples, rate = decode_audio(upload.data)
    except ValueError:
        return error_response(400, f"Invalid file format. Supported formats: {_UPLOADS}", param="file")
    bursts = decode_speech(samples, rate)
    return await _transcript(request, call, bursts, len(samples) / rate, fmt, fields.get("language"))


async def _transcript(
    request: web.Request, call: Call, bursts: list[Burst], duration: float, fmt: str, language: str | None
) -> web.StreamResponse:
    """The sentences heard, in the ``response_format`` asked for."""
    text = " ".join(b.text for b in bursts)
    if fmt in ("text", "srt", "vtt"):
        plain = text + "\n" if fmt == "text" else _subtitles(bursts, fmt)
        return await respond_bytes(request, call, plain.encode(), "text/plain; charset=utf-8")
    if fmt == "json":
        usage = {"type": "duration", "seconds": round(duration)}
        return await respond_json(request, call, {"text": text, "usage": usage})
    segments = [
        {
            "id": i,
            "seek": 0,
            "start": round(b.start, 3),
            "end": round(b.end, 3),
            "text": b.text,
            "tokens": list(b.text.encode())[:64],
            "temperature": 0.0,
            "avg_logprob": -0.1,
            "compression_ratio": 1.0,
            "no_speech_prob": 0.0,
        }
        for i, b in enumerate(bursts)
    ]
    verbose = {"task": "transcribe", "language": language or "english", "duration": round(duration, 3)}
    return await respond_json(request, call, {**verbose, "text": text, "segments": segments})


def _subtitles(bursts: list[Burst], fmt: str) -> str:
    def stamp(seconds: float) -> str:
        ms = int(round(seconds * 1000))
        sep = "," if fmt == "srt" else "."
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"

    cues = [f"{stamp(b.start)} --> {stamp(b.end)}\n{b.text}\n" for b in bursts]
    if fmt == "srt":
        return "\n".join(f"{i + 1}\n{cue}" for i, cue in enumerate(cues))
    return "WEBVTT\n\n" + "\n".join(cues)
