"""``POST /v1/images/generations`` and ``/v1/images/edits`` in the emulator, with real pictures.

Requests are checked as OpenAI checks them, by model family (``wire/images.py`` holds the rules:
sizes, ``n`` caps, gpt-image-only fields, ``response_format`` refused by gpt-image models), with
OpenAI's 400 shape naming the field. A prompt containing ``[blocked]`` is refused with
``moderation_blocked``, for tests of content-policy handling. Pictures come from ``picture.py``
(Pillow, the ``media`` extra). ``response_format=url`` answers link to ``/v1/images/files/{id}``,
which expire after ``EmulatorState.image_url_ttl`` seconds on the emulator's clock and need no key,
as a storage host's signed URLs do. ``stream=true`` sends ``partial_images`` partial pictures, then
the completed one, as SSE without ``[DONE]``. ``EmulatorState.images_made`` counts every image made
(what a server would bill).
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from typing import Any

from aiohttp import web

from ..errors import ConfigurationError
from ..wire.image_files import check_edit_sources
from ..wire.images import IMAGE_MEDIA_TYPES, ImageOptions, family, image_type, max_per_request
from .forms import read_form
from .picture import MediaMissing, draw, edit, image_size_of
from .shapes import error_response
from .state import CALL, STATE, Call, EmulatorState
from .writer import BodyWriter, dumps, respond_json

__all__ = ["handle_edit", "handle_generation", "handle_image_file"]

_FIELDS = ("size", "quality", "background", "output_format", "output_compression", "moderation",
           "response_format", "style", "input_fidelity", "user")  # fmt: skip
_OUTPUT_TOKENS = {"low": 272, "medium": 1056, "high": 4160}


def _refusal(exc: ConfigurationError) -> web.Response:
    field = re.match(r"[a-z_]+", exc.message)
    return error_response(400, exc.message, code="invalid_value", param=field.group(0) if field else None)


def _size(model: str, size: str | None) -> tuple[int, int]:
    if size in (None, "auto"):
        return (1024, 1024) if family(model) != "other" else (256, 256)
    w, h = str(size).split("x")
    return int(w), int(h)


def _options(values: dict[str, Any]) -> ImageOptions:
    kwargs = {k: values.get(k) for k in _FIELDS}
    if isinstance(kwargs["output_compression"], str):
        kwargs["output_compression"] = int(kwargs["output_compression"])
    return ImageOptions(**kwargs)


def _check(values: dict[str, Any], *, edit_call: bool) -> tuple[str, int, ImageOptions] | web.Response:
    prompt, model = values.get("prompt"), values.get("model") or ("gpt-image-1" if edit_call else "dall-e-2")
    if not isinstance(prompt, str) or not prompt.strip():
        return error_response(
            400, "Missing required parameter: 'prompt'.", code="missing_required_parameter", param="prompt"
        )
    try:
        n = int(values.get("n") or 1)
        options = _options(values)
        options.check(model, n, edit=edit_call, stream=str(values.get("stream")).lower() == "true")
    except ConfigurationError as exc:
        return _refusal(exc)
    except (TypeError, ValueError):
        return error_response(400, "n and output_compression must be integers.", code="invalid_type", param="n")
    if n > max_per_request(model, None):
        return error_response(
            400, f"You must provide n<={max_per_request(model, None)} for {model}.", code="invalid_value", param="n"
        )
    if "[blocked]" in prompt:
        message = "Your request was rejected as a result of our safety system."
        return error_response(400, message, code="moderation_blocked", type="image_generation_user_error")
    return model, n, options


def _answer(
    state: EmulatorState, request: web.Request, model: str, options: ImageOptions, images: list[bytes], prompt: str
) -> dict[str, Any]:
    data: list[dict[str, Any]] = []
    for image in images:
        if options.response_format == "url":
            ident = uuid.uuid4().hex
            state.image_files[ident] = (image, state.clock.now())
            data.append({"url": f"{request.scheme}://{request.host}/v1/images/files/{ident}"})
        else:
            data.append({"b64_json": base64.b64encode(image).decode()})
        if family(model) == "dall-e-3":
            data[-1]["revised_prompt"] = f"A picture of: {prompt}"
    answer: dict[str, Any] = {"created": int(time.time()), "data": data}
    if family(model) == "gpt-image":
        answer.update(_gpt_image_fields(options, len(images), prompt))
    return answer


def _gpt_image_fields(options: ImageOptions, n: int, prompt: str) -> dict[str, Any]:
    quality = options.quality if options.quality in _OUTPUT_TOKENS else "medium"
    out: dict[str, Any] = {
        "background": "transparent" if options.background == "transparent" else "opaque",
        "output_format": options.output_format or "png",
        "quality": quality,
        "usage": _usage(prompt, n, quality, images_in=0),
    }
    if options.size in ("1024x1024", "1024x1536", "1536x1024"):
        out["size"] = options.size
    return out


def _usage(prompt: str, n: int, quality: str, *, images_in: int) -> dict[str, Any]:
    text, image = len(prompt.split()), 323 * images_in
    output = _OUTPUT_TOKENS.get(quality, 1056) * n
    return {"total_tokens": text + image + output, "input_tokens": text + image, "output_tokens": output,
            "input_tokens_details": {"text_tokens": text, "image_tokens": image}}  # fmt: skip


async def handle_generation(request: web.Request) -> web.StreamResponse:
    call: Call = request[CALL]
    body = call.body if isinstance(call.body, dict) else {}
    checked = _check(body, edit_call=False)
    if isinstance(checked, web.Response):
        return checked
    model, n, options = checked
    prompt, fmt, size = body["prompt"], options.output_format or "png", _size(model, options.size)
    transparent, compression = options.background == "transparent", options.output_compression

    def picture(index: int, detail: float = 1.0) -> bytes:
        return draw(prompt, index, size, fmt, transparent=transparent, compression=compression, detail=detail)

    try:
        if body.get("stream"):
            return await _stream(request, call, "image_generation", body, options, size, lambda d: picture(0, d))
        images = [picture(i) for i in range(n)]
    except MediaMissing as exc:
        return error_response(501, str(exc), type="server_error")
    state = request.app[STATE]
    state.images_made += n
    return await respond_json(request, call, _answer(state, request, model, options, images, prompt))


async def handle_edit(request: web.Request) -> web.StreamResponse:
    call: Call = request[CALL]
    if not request.content_type.startswith("multipart/"):
        return error_response(400, "the request must be multipart/form-data", param="image")
    form = await read_form(request, frozenset({"image", "image[]", "mask"}))
    fields = form.fields
    sources = [u.data for name in ("image", "image[]") for u in form.files.get(name, ())]
    mask = upload.data if (upload := form.file("mask")) else None
    call.record.body = dict(fields)
    checked = _check(fields, edit_call=True)
    if isinstance(checked, web.Response):
        return checked
    model, n, options = checked
    try:
        kinds = [(IMAGE_MEDIA_TYPES.get(image_type(s) or "", "application/octet-stream"), s) for s in sources]
        check_edit_sources(family(model), kinds, None if mask is None else ("image/png", mask))
        fmt = options.output_format or "png"
        size = None if options.size in (None, "auto") else _size(model, options.size)
        prompt = fields["prompt"]
        if fields.get("stream") == "true":
            return await _stream(
                request,
                call,
                "image_edit",
                fields,
                options,
                size or image_size_of(sources[0]),
                lambda d: edit(prompt, 0, sources[0], mask, fmt, size),
            )
        images = [edit(prompt, i, sources[0], mask, fmt, size) for i in range(n)]
    except ConfigurationError as exc:
        return _refusal(exc)
    except MediaMissing as exc:
        return error_response(501, str(exc), type="server_error")
    state = request.app[STATE]
    state.images_made += n
    answer = _answer(state, request, model, options, images, prompt)
    if "usage" in answer:
        answer["usage"] = _usage(prompt, n, answer["quality"], images_in=len(sources))
    return await respond_json(request, call, answer)


async def _stream(request: web.Request, call: Call, kind: str, values: dict[str, Any], options: ImageOptions,
                  size: tuple[int, int], picture: Any) -> web.StreamResponse:  # fmt: skip
    """``partial_images`` partial pictures (more shapes each time), then the completed one, as SSE."""
    partial = int(values.get("partial_images") or 0)
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await resp.prepare(request)
    writer = BodyWriter(request, resp, call, sse=True)
    shown = f"{size[0]}x{size[1]}"
    quality = options.quality if options.quality in _OUTPUT_TOKENS else "medium"
    common = {
        "created_at": int(time.time()),
        "size": shown if shown in ("1024x1024", "1024x1536", "1536x1024") else "auto",
        "quality": quality,
        "background": "transparent" if options.background == "transparent" else "opaque",
        "output_format": options.output_format or "png",
    }
    for i in range(partial):
        event = {
            "type": f"{kind}.partial_image",
            "b64_json": base64.b64encode(picture((i + 1) / (partial + 1))).decode(),
            **common,
            "partial_image_index": i,
        }
        if not await writer.send(f"event: {event['type']}\n".encode() + b"data: " + dumps(event) + b"\n\n"):
            return resp
    request.app[STATE].images_made += 1
    usage = _usage(str(values["prompt"]), 1, quality, images_in=0)
    done = {"type": f"{kind}.completed", "b64_json": base64.b64encode(picture(1.0)).decode(), **common, "usage": usage}
    if await writer.send(f"event: {done['type']}\n".encode() + b"data: " + dumps(done) + b"\n\n"):
        await writer.end()
    return resp


async def handle_image_file(request: web.Request) -> web.StreamResponse:
    """A generated image by its URL: no key needed, expired after the state's ``image_url_ttl``."""
    state = request.app[STATE]
    found = state.image_files.get(request.match_info["ident"])
    if found is None:
        return error_response(404, "The specified blob does not exist.", code="BlobNotFound")
    image, made = found
    if state.clock.now() - made > state.image_url_ttl:
        return error_response(
            403, "Server failed to authenticate the request: the signed URL has expired.", code="AuthenticationFailed"
        )
    return web.Response(body=image, content_type=IMAGE_MEDIA_TYPES[image_type(image) or "png"])
