"""``/v1/videos`` in the emulator: jobs with a lifecycle on the emulator's clock, and LocalAI's ``/video``.

A job is ``queued`` for the first tenth of ``EmulatorState.video_make_seconds``, then ``in_progress``
with its progress, then ``completed`` (its MP4 made then, from ``movie.py``). A job created with
the fault ``job_fail=true`` (or a prompt containing ``[fail]``) ends ``failed`` with an error; one
with ``job_stall=true`` (or ``[stall]``) never finishes. Polls carry
``openai-poll-after-ms``. The create must be multipart (as real servers require). Every video
object has all its fields, nulls included, with ``seconds`` a string, as the published schema says.
``EmulatorState.videos_made`` counts created jobs (what a server would bill).
"""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ..wire.images import image_type
from .forms import read_form
from .movie import make_mp4, spritesheet, thumbnail
from .picture import MediaMissing, image_size_of
from .shapes import error_response
from .state import CALL, STATE, Call, EmulatorState
from .writer import respond_bytes, respond_json

__all__ = ["VideoJobState", "handle_video_content", "handle_video_create", "handle_video_delete",
           "handle_video_get", "handle_video_localai", "handle_video_remix"]  # fmt: skip

_SIZES = ("720x1280", "1280x720", "1024x1792", "1792x1024")
_SECONDS = ("4", "8", "12")


@dataclass(slots=True)
class VideoJobState:
    id: str
    model: str
    prompt: str
    size: str
    seconds: str
    started: float
    created_at: int
    remixed_from: str | None = None
    content: bytes | None = None
    completed_at: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _status(state: EmulatorState, job: VideoJobState) -> tuple[str, int]:
    elapsed = state.clock.now() - job.started
    total = state.video_make_seconds
    stall, fail = job.extra.get("stall", False), job.extra.get("fail", False)
    if elapsed < total / 10:
        return "queued", 0
    if elapsed < total or stall:
        return "in_progress", 50 if stall else min(99, int(100 * elapsed / total))
    return ("failed", 100) if fail else ("completed", 100)


def _resource(state: EmulatorState, job: VideoJobState) -> dict[str, Any]:
    status, progress = _status(state, job)
    if status == "completed" and job.completed_at is None:
        job.completed_at = int(time.time())
    error = (
        {"code": "video_generation_failed", "message": "The video could not be made."} if status == "failed" else None
    )
    return {
        "id": job.id, "object": "video", "model": job.model, "status": status, "progress": progress,
        "created_at": job.created_at, "completed_at": job.completed_at if status == "completed" else None,
        "expires_at": None, "prompt": job.prompt, "size": job.size, "seconds": job.seconds,
        "remixed_from_video_id": job.remixed_from, "error": error,
    }  # fmt: skip


def _new_job(
    state: EmulatorState, model: str, prompt: str, size: str, seconds: str, remixed_from: str | None = None
) -> VideoJobState:
    job = VideoJobState(
        f"video_{uuid.uuid4().hex[:24]}",
        model,
        prompt,
        size,
        seconds,
        state.clock.now(),
        int(time.time()),
        remixed_from,
    )
    state.videos[job.id] = job
    state.videos_made += 1
    return job


async def handle_video_create(request: web.Request) -> web.StreamResponse:
    call: Call = request[CALL]
    if not request.content_type.startswith("multipart/form-data"):
        return error_response(400, "The request must be multipart/form-data.", param="prompt")
    form = await read_form(request, frozenset({"input_reference"}))
    fields = form.fields
    image = upload.data if (upload := form.file("input_reference")) else None
    call.record.body = dict(fields)
    prompt, size, seconds = fields.get("prompt", ""), fields.get("size", "720x1280"), fields.get("seconds", "4")
    if not prompt.strip():
        return error_response(
            400, "Missing required parameter: 'prompt'.", code="missing_required_parameter", param="prompt"
        )
    if size not in _SIZES:
        return error_response(
            400,
            f"Invalid value: '{size}'. Supported values are: {', '.join(_SIZES)}.",
            code="invalid_value",
            param="size",
        )
    if seconds not in _SECONDS:
        return error_response(
            400,
            f"Invalid value: '{seconds}'. Supported values are: '4', '8', and '12'.",
            code="invalid_value",
            param="seconds",
        )
    if image is not None:
        try:
            w, h = image_size_of(image) if image_type(image) else (0, 0)
        except MediaMissing as exc:
            return error_response(501, str(exc), type="server_error")
        if f"{w}x{h}" != size:
            return error_response(
                400,
                f"input_reference must be an image of the video's size {size}, not {w}x{h}.",
                code="invalid_value",
                param="input_reference",
            )
    job = _new_job(request.app[STATE], fields.get("model", "sora-2"), prompt, size, seconds)
    job.extra.update(
        fail=call.fault.job.job_fail or "[fail]" in prompt, stall=call.fault.job.job_stall or "[stall]" in prompt
    )
    return await respond_json(request, call, _resource(request.app[STATE], job))


def _job(request: web.Request) -> VideoJobState | web.Response:
    job: VideoJobState | None = request.app[STATE].videos.get(request.match_info["video_id"])
    if job is None:
        return error_response(
            404, f"Video '{request.match_info['video_id']}' not found.", code="video_not_found", param="video_id"
        )
    return job


async def handle_video_get(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    job = _job(request)
    if isinstance(job, web.Response):
        return job
    headers = {"openai-poll-after-ms": str(int(state.video_poll_after_ms))}
    return await respond_json(request, request[CALL], _resource(state, job), headers=headers)


async def handle_video_content(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    job = _job(request)
    if isinstance(job, web.Response):
        return job
    if _status(state, job)[0] != "completed":
        return error_response(
            404, "Video is not ready yet; poll it until it is completed.", code="video_not_ready", param="video_id"
        )
    variant = request.query.get("variant", "video")
    size = tuple(int(v) for v in job.size.split("x"))
    try:
        if variant == "video":
            job.content = job.content or make_mp4(job.prompt, float(job.seconds), (size[0], size[1]))
            return await respond_bytes(request, request[CALL], job.content, "video/mp4", chunk=64 * 1024)
        if variant in ("thumbnail", "spritesheet"):
            picture = (thumbnail if variant == "thumbnail" else spritesheet)(job.prompt, (size[0], size[1]))
            return await respond_bytes(
                request, request[CALL], picture, "image/webp" if variant == "thumbnail" else "image/jpeg"
            )
    except MediaMissing as exc:
        return error_response(501, str(exc), type="server_error")
    return error_response(
        400,
        f"Invalid value: '{variant}'. Supported values are: 'video', 'thumbnail', and 'spritesheet'.",
        code="invalid_value",
        param="variant",
    )


async def handle_video_delete(request: web.Request) -> web.StreamResponse:
    job = _job(request)
    if isinstance(job, web.Response):
        return job
    del request.app[STATE].videos[job.id]
    return await respond_json(request, request[CALL], {"object": "video.deleted", "deleted": True, "id": job.id})


async def handle_video_remix(request: web.Request) -> web.StreamResponse:
    state, call = request.app[STATE], request[CALL]
    source = _job(request)
    if isinstance(source, web.Response):
        return source
    prompt = call.body.get("prompt") if isinstance(call.body, dict) else None
    if not isinstance(prompt, str) or not prompt.strip():
        return error_response(
            400, "Missing required parameter: 'prompt'.", code="missing_required_parameter", param="prompt"
        )
    if _status(state, source)[0] != "completed":
        return error_response(400, "Only a completed video can be remixed.", code="invalid_value", param="video_id")
    job = _new_job(state, source.model, prompt, source.size, source.seconds, remixed_from=source.id)
    return await respond_json(request, call, _resource(state, job))


async def handle_video_localai(request: web.Request) -> web.StreamResponse:
    """LocalAI's synchronous ``POST /video``: JSON in, an images-style answer with the MP4 out."""
    call: Call = request[CALL]
    body = call.body if isinstance(call.body, dict) else {}
    if not isinstance(body.get("prompt"), str) or not body["prompt"].strip():
        return error_response(400, "prompt is required", shape="string")
    width, height = int(body.get("width") or 512), int(body.get("height") or 512)
    seconds = int(body.get("num_frames") or 16) / int(body.get("fps") or 8)
    try:
        video = make_mp4(body["prompt"], seconds, (width - width % 2, height - height % 2))
    except MediaMissing as exc:
        return error_response(501, str(exc), type="server_error")
    request.app[STATE].videos_made += 1
    return await respond_json(
        request, call, {"created": int(time.time()), "data": [{"b64_json": base64.b64encode(video).decode()}]}
    )
