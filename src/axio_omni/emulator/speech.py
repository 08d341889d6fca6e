"""``POST /v1/audio/speech`` and ``POST /v1/audio/transcriptions`` in the emulator.

Speech is real audio in the format asked for (pcm is 24 kHz 16-bit mono, as OpenAI's), streamed
in chunks; its content is the tone code of ``voice.py``, so the emulator's own transcription
returns the same text. AAC has no encoder here and is refused with ``unsupported_response_format``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..audio import decode_audio, encode_audio
from .faults import Fault
from .shapes import error_response
from .voice import RATE, Burst, decode_speech, encode_speech

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


async def handle_speech(request: web.Request, body: Any, fault: Fault | None) -> web.StreamResponse:
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
    resp = web.StreamResponse(headers={"Content-Type": _CONTENT_TYPES[fmt], "x-sample-rate": str(RATE)})
    await resp.prepare(request)
    for n, at in enumerate(range(0, len(audio), _CHUNK)):
        if fault is not None and fault.drop_after == n and request.transport is not None:
            request.transport.close()
            return resp
        await resp.write(audio[at : at + _CHUNK])
    await resp.write_eof()
    return resp


async def handle_transcription(request: web.Request, record: dict[str, Any]) -> web.Response:
    """``record`` receives the form fields (not the file), for tests to inspect."""
    form = await request.post()
    upload = form.get("file")
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    record.update(fields)
    if not isinstance(upload, web.FileField):
        return error_response(400, "you must provide a file parameter", param="file")
    record["file"] = {"filename": upload.filename, "content_type": upload.content_type}
    if not fields.get("model"):
        return error_response(400, "you must provide a model parameter", param="model")
    fmt = fields.get("response_format", "json")
    if fmt not in ("json", "text", "verbose_json", "srt", "vtt"):
        return error_response(400, f"Invalid 'response_format': {fmt!r}", param="response_format")
    data = upload.file.read()
    try:
        samples, rate = decode_audio(data)
    except ValueError:
        return error_response(400, f"Invalid file format. Supported formats: {_UPLOADS}", param="file")
    return _transcript(decode_speech(samples, rate), len(samples) / rate, fmt, fields.get("language"))


def _transcript(bursts: list[Burst], duration: float, fmt: str, language: str | None) -> web.Response:
    """The sentences heard, in the ``response_format`` asked for."""
    text = " ".join(b.text for b in bursts)
    if fmt == "text":
        return web.Response(text=text + "\n", content_type="text/plain")
    if fmt in ("srt", "vtt"):
        return web.Response(text=_subtitles(bursts, fmt), content_type="text/plain")
    if fmt == "json":
        return web.json_response({"text": text, "usage": {"type": "duration", "seconds": round(duration)}})
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
    return web.json_response({**verbose, "text": text, "segments": segments})


def _subtitles(bursts: list[Burst], fmt: str) -> str:
    def stamp(seconds: float) -> str:
        ms = int(round(seconds * 1000))
        sep = "," if fmt == "srt" else "."
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"

    cues = [f"{stamp(b.start)} --> {stamp(b.end)}\n{b.text}\n" for b in bursts]
    if fmt == "srt":
        return "\n".join(f"{i + 1}\n{cue}" for i, cue in enumerate(cues))
    return "WEBVTT\n\n" + "\n".join(cues)
