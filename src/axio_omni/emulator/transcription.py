"""``POST /v1/audio/transcriptions`` and ``POST /v1/audio/translations`` in the emulator.

The emulator hears its own tone voice (``voice.py``): each sentence, the voice that said it, and
when each word was said. So it answers every shape OpenAI does, with real content: ``json`` (with
token usage and, asked for, log-probabilities), ``text``, ``verbose_json`` (segments, words),
subtitles, ``diarized_json`` (speakers told apart by voice; a known speaker's reference sample names
its voice), and ``stream=true`` as ``transcript.text.delta`` / ``.segment`` / ``.done`` events
(whisper-1 ignores ``stream``, as OpenAI's does). What OpenAI refuses is refused with its status
and parameter. A translation is the text heard (the tone voice speaks English).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ..audio import decode_audio
from .forms import Form, read_form
from .shapes import error_response
from .state import CALL, Call
from .transcript_shapes import logprob, tokens, usage
from .voice import Burst, decode_speech
from .writer import BodyWriter, dumps, respond_bytes, respond_json

__all__ = ["handle_transcription", "handle_translation"]

_UPLOADS = "['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']"
_FORMATS = ("json", "text", "verbose_json", "srt", "vtt", "diarized_json")
#: OpenAI asks for a chunking strategy when diarizing more than this many seconds.
_DIARIZE_UNCHUNKED = 30.0


@dataclass(frozen=True, slots=True)
class _Heard:
    """What a request's file held: its sentences and its length in seconds."""

    bursts: list[Burst]
    duration: float

    @property
    def text(self) -> str:
        return " ".join(b.text for b in self.bursts)


async def _heard(request: web.Request, call: Call) -> tuple[Form, _Heard] | web.StreamResponse:
    """The form and what its file holds, or OpenAI's 400 for a missing or unreadable file."""
    record: dict[str, Any] = {}
    call.record.body = record
    if not request.content_type.startswith("multipart/"):
        return error_response(400, "the request must be multipart/form-data", param="file")
    form = await read_form(request, frozenset({"file"}))
    record.update({k: form.repeated[k] if k.endswith("[]") else v for k, v in form.fields.items()})
    upload = form.file("file")
    if upload is None:
        return error_response(400, "you must provide a file parameter", param="file")
    record["file"] = {"filename": upload.filename, "content_type": upload.content_type}
    if not form.fields.get("model"):
        return error_response(400, "you must provide a model parameter", param="model")
    try:
        samples, rate = decode_audio(upload.data)
    except ValueError:
        return error_response(400, f"Invalid file format. Supported formats: {_UPLOADS}", param="file")
    return form, _Heard(decode_speech(samples, rate), len(samples) / rate)


async def handle_transcription(request: web.Request) -> web.StreamResponse:
    """The call's record receives the form fields (not the file's bytes), for tests to inspect."""
    call: Call = request[CALL]
    got = await _heard(request, call)
    if isinstance(got, web.StreamResponse):
        return got
    form, heard = got
    fields = form.fields
    model, fmt = fields["model"], fields.get("response_format", "json")
    problem = _refusal(form, model, fmt, heard.duration)
    if problem is not None:
        return error_response(400, problem[0], param=problem[1])
    speakers = _speakers(form)
    if isinstance(speakers, tuple):
        return error_response(400, speakers[0], param=speakers[1])
    logprobs = "logprobs" in form.values("include")
    if fields.get("stream") == "true" and model != "whisper-1":
        return await _stream(request, call, heard, model, fmt, speakers, logprobs, fields.get("prompt"))
    if fmt == "diarized_json":
        segments = _diarized(heard, speakers)
        billed = usage(model, heard.duration, heard.text, fields.get("prompt"))
        answer = {"task": "transcribe", "duration": round(heard.duration, 3), "text": heard.text}
        return await respond_json(request, call, {**answer, "segments": segments, "usage": billed})
    granularities = form.values("timestamp_granularities") or ["segment"]
    return await _answer(request, call, heard, fmt, model, fields.get("language"), granularities, logprobs)


async def handle_translation(request: web.Request) -> web.StreamResponse:
    """English text of the speech: the tone voice speaks English, so the text heard."""
    call: Call = request[CALL]
    got = await _heard(request, call)
    if isinstance(got, web.StreamResponse):
        return got
    form, heard = got
    model, fmt = form.fields["model"], form.fields.get("response_format", "json")
    if model != "whisper-1":
        return error_response(400, f"Translations are available with whisper-1 only, not '{model}'.", param="model")
    if fmt not in ("json", "text", "verbose_json", "srt", "vtt"):
        return error_response(400, f"Invalid 'response_format': {fmt!r}", param="response_format")
    if fmt == "json":
        return await respond_json(request, call, {"text": heard.text})
    return await _answer(request, call, heard, fmt, model, "english", ["segment"], False, task="translate")


def _refusal(form: Form, model: str, fmt: str, duration: float) -> tuple[str, str] | None:
    """What OpenAI refuses in a transcription request: a message and the parameter."""
    diarize = "diarize" in model
    if fmt not in _FORMATS:
        return f"Invalid 'response_format': {fmt!r}", "response_format"
    if fmt == "diarized_json" and not diarize:
        return "response_format 'diarized_json' is only available with gpt-4o-transcribe-diarize.", "response_format"
    if diarize and fmt not in ("json", "text", "diarized_json"):
        return f"response_format '{fmt}' is not compatible with model '{model}'.", "response_format"
    granularities = form.values("timestamp_granularities")
    if granularities and (fmt != "verbose_json" or any(g not in ("word", "segment") for g in granularities)):
        return "timestamp_granularities needs response_format 'verbose_json' and takes word, segment.", (
            "timestamp_granularities"
        )
    include = form.values("include")
    if include and (include != ["logprobs"] or fmt != "json" or model == "whisper-1" or diarize):
        return "include ['logprobs'] is available with response_format 'json' and the gpt-4o models only.", "include"
    if diarize and form.fields.get("prompt"):
        return f"prompt is not supported with model '{model}'.", "prompt"
    if form.values("known_speaker_names") and not diarize:
        return "known_speaker_names is only available with gpt-4o-transcribe-diarize.", "known_speaker_names"
    chunking = form.fields.get("chunking_strategy") or form.object("chunking_strategy")
    if chunking not in (None, "auto") and (not isinstance(chunking, dict) or chunking.get("type") != "server_vad"):
        return "chunking_strategy must be 'auto' or a server_vad object.", "chunking_strategy"
    if diarize and chunking is None and duration > _DIARIZE_UNCHUNKED:
        return "chunking_strategy is required for diarization of audio longer than 30 seconds.", "chunking_strategy"
    return None


def _speakers(form: Form) -> dict[str, str] | tuple[str, str]:
    """Each known speaker's voice, heard in its reference sample, and the name it is given."""
    names, references = form.values("known_speaker_names"), form.values("known_speaker_references")
    if len(names) != len(references) or len(names) > 4:
        return "known_speaker_names and known_speaker_references must pair up, at most 4.", "known_speaker_names"
    voices: dict[str, str] = {}
    for i, (name, url) in enumerate(zip(names, references, strict=True)):
        head, _, payload = url.partition(",")
        try:
            if not head.startswith("data:audio/") or not head.endswith(";base64"):
                raise ValueError
            samples, rate = decode_audio(base64.b64decode(payload, validate=True))
        except (ValueError, binascii.Error):
            return f"known_speaker_references[{i}] is not a data URL of audio.", f"known_speaker_references[{i}]"
        for burst in decode_speech(samples, rate)[:1]:
            voices[burst.voice] = name
    return voices


def _labels(heard: _Heard, known: dict[str, str]) -> list[str]:
    """Each sentence's speaker: a known speaker's name, else A, B ... in order of first speaking."""
    letters: dict[str, str] = {}
    out = []
    for burst in heard.bursts:
        if burst.voice in known:
            out.append(known[burst.voice])
        else:
            out.append(letters.setdefault(burst.voice, chr(ord("A") + len(letters) % 26)))
    return out


def _diarized(heard: _Heard, known: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "type": "transcript.text.segment",
            "id": f"seg_{i}",
            "start": round(b.start, 3),
            "end": round(b.end, 3),
            "text": b.text,
            "speaker": speaker,
        }
        for i, (b, speaker) in enumerate(zip(heard.bursts, _labels(heard, known), strict=True))
    ]


async def _stream(
    request: web.Request,
    call: Call,
    heard: _Heard,
    model: str,
    fmt: str,
    known: dict[str, str],
    logprobs: bool,
    prompt: str | None,
) -> web.StreamResponse:
    """``transcript.text.delta`` per word (diarized: per sentence, each followed by its segment), then
    ``transcript.text.done`` with usage and, asked for, log-probabilities."""
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await resp.prepare(request)
    writer = BodyWriter(request, resp, call, sse=True)
    events: list[dict[str, Any]] = []
    if fmt == "diarized_json":
        for i, segment in enumerate(_diarized(heard, known)):
            events.append({"type": "transcript.text.delta", "delta": (" " if i else "") + segment["text"]})
            events.append(segment)
    else:
        for token in tokens(heard.text):
            delta: dict[str, Any] = {"type": "transcript.text.delta", "delta": token}
            if logprobs:
                delta["logprobs"] = [logprob(token)]
            events.append(delta)
    done: dict[str, Any] = {
        "type": "transcript.text.done",
        "text": heard.text,
        "usage": usage(model, heard.duration, heard.text, prompt),
    }
    if logprobs:
        done["logprobs"] = [logprob(t) for t in tokens(heard.text)]
    for event in [*events, done]:
        if not await writer.send(b"data: " + dumps(event) + b"\n\n"):
            return resp
    await writer.end()
    return resp


async def _answer(
    request: web.Request,
    call: Call,
    heard: _Heard,
    fmt: str,
    model: str,
    language: str | None,
    granularities: list[str],
    logprobs: bool,
    *,
    task: str = "transcribe",
) -> web.StreamResponse:
    """The sentences heard, in the ``response_format`` asked for."""
    if fmt in ("text", "srt", "vtt"):
        plain = heard.text + "\n" if fmt == "text" else _subtitles(heard.bursts, fmt)
        return await respond_bytes(request, call, plain.encode(), "text/plain; charset=utf-8")
    if fmt == "json":
        answer: dict[str, Any] = {"text": heard.text, "usage": usage(model, heard.duration, heard.text)}
        if logprobs:
            answer["logprobs"] = [logprob(t) for t in tokens(heard.text)]
        return await respond_json(request, call, answer)
    verbose: dict[str, Any] = {"task": task, "language": language or "english", "duration": round(heard.duration, 3)}
    verbose["text"] = heard.text
    if "segment" in granularities:
        verbose["segments"] = [_segment(i, b) for i, b in enumerate(heard.bursts)]
    if "word" in granularities:
        verbose["words"] = [{"word": w, "start": s, "end": e} for b in heard.bursts for (w, s, e) in b.words]
    if task == "transcribe":
        verbose["usage"] = {"type": "duration", "seconds": round(heard.duration, 3)}
    return await respond_json(request, call, verbose)


def _segment(i: int, burst: Burst) -> dict[str, Any]:
    return {
        "id": i,
        "seek": 0,
        "start": round(burst.start, 3),
        "end": round(burst.end, 3),
        "text": burst.text,
        "tokens": list(burst.text.encode())[:64],
        "temperature": 0.0,
        "avg_logprob": -0.1,
        "compression_ratio": 1.0,
        "no_speech_prob": 0.0,
    }


def _subtitles(bursts: list[Burst], fmt: str) -> str:
    def stamp(seconds: float) -> str:
        ms = int(round(seconds * 1000))
        sep = "," if fmt == "srt" else "."
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"

    cues = [f"{stamp(b.start)} --> {stamp(b.end)}\n{b.text}\n" for b in bursts]
    if fmt == "srt":
        return "\n".join(f"{i + 1}\n{cue}" for i, cue in enumerate(cues))
    return "WEBVTT\n\n" + "\n".join(cues)
