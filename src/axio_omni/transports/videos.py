"""``OpenAIVideoTransport``: axio's ``VideoGenTransport`` over the ``/v1/videos`` job API.

A video is a job: create it (multipart, even without a file, as real servers require), poll it as
a :class:`~axio_omni.poll.PollPolicy` says (the server's ``openai-poll-after-ms`` honoured, backing
off otherwise, one deadline for the whole job), download its content. Nobody pays twice:

- The create is ``UNSTARTED``: sent again only when the server provably did not take it.
- Polls and downloads are ``GET``s: a 5xx or a dropped connection is retried without a second job.
- A job that outlives the deadline raises :class:`~axio_omni.errors.VideoJobTimeoutError` carrying
  ``video_id``; :meth:`OpenAIVideoTransport.resume` waits for that same job and downloads it.
- A job that ends ``failed`` raises :class:`~axio_omni.errors.VideoJobFailedError` with its error.

LocalAI's synchronous dialect (``POST /video``, JSON, answered like the image API) is the
``dialect="localai"`` setting.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar, Literal, NamedTuple

import aiohttp
from axio.transport import VideoGenTransport

from .. import telemetry
from ..calls import watched_call
from ..errors import (
    APITimeoutError,
    ConfigurationError,
    MalformedResponseError,
    VideoJobFailedError,
    VideoJobTimeoutError,
)
from ..fields import setting
from ..poll import PollPolicy, parse_poll_after, poll_until
from ..retry import Repeat
from ..rules import Choice, Flag, Function, Nested, Number, Text
from ..wire.images import IMAGE_MEDIA_TYPES, image_type, read_images
from ..wire.videos import VideoJob, read_job, video_seconds, video_size
from .base import HTTPTransport
from .http import finish, open_response, read_all, read_chunk
from .paid import check_count, check_prompt, paid_batch
from .request import Request

__all__ = ["OpenAIVideoTransport"]

Target = str | Path | IO[bytes]


class _Job(NamedTuple):
    """A video job's create request, checked: its form fields and its reference frame."""

    fields: dict[str, str]
    image: bytes | None


def _form(fields: dict[str, str], image: bytes | None) -> Callable[[], aiohttp.MultipartWriter]:
    """A multipart body built part by part: aiohttp's ``FormData`` sends urlencoded when no file is in it."""

    def build() -> aiohttp.MultipartWriter:
        writer = aiohttp.MultipartWriter("form-data")
        for name, value in fields.items():
            writer.append(value).set_content_disposition("form-data", name=name)
        if image is not None:
            part = writer.append(image, {"Content-Type": IMAGE_MEDIA_TYPES[image_type(image) or "png"]})
            part.set_content_disposition("form-data", name="input_reference", filename="reference")
        return writer

    return build


@dataclass(slots=True, kw_only=True)
class OpenAIVideoTransport(HTTPTransport, VideoGenTransport):
    """Videos from an OpenAI-compatible ``/videos`` job API, or LocalAI's ``/video``."""

    type_name = "openai-video"
    display_name: ClassVar[str] = "OpenAI videos (omni)"

    model: str = setting("sora-2", Text())
    size: str | None = setting(None, Text(optional=True))
    seconds: int | None = setting(None, Number(1, 600, integer=True, optional=True))
    poll: PollPolicy = setting(default_factory=PollPolicy, rule=Nested(PollPolicy))
    #: Delete the job on the server once its video is downloaded.
    delete_after_download: bool = setting(False, Flag())
    #: ``openai`` (the job API) or ``localai`` (LocalAI's synchronous ``POST /video``).
    dialect: Literal["openai", "localai"] = setting("openai", Choice("openai", "localai"))
    #: LocalAI: frames, their rate, and a seed.
    num_frames: int | None = setting(None, Number(1, 10_000, integer=True, optional=True))
    fps: int | None = setting(None, Number(1, 120, integer=True, optional=True))
    seed: int | None = setting(None, Number(0, integer=True, optional=True))
    max_concurrency: int = setting(2, Number(1, 16, integer=True))
    #: Called with ``(video_id, progress)`` after every poll.
    on_progress: Callable[[str, int], None] | None = setting(None, Function(), runtime=True)

    def __post_init__(self) -> None:
        self._validate_common()
        video_size(self.model, self.size, None)
        video_seconds(self.model, self.seconds)

    async def generate_videos(
        self,
        prompt: str,
        *,
        model: str | None = None,
        n: int = 1,
        image: bytes | None = None,
        duration_seconds: int | None = None,
        aspect_ratio: str | None = None,
        partial: bool = False,
    ) -> list[bytes]:
        """``n`` videos (one job each, run a few at a time); arguments are checked before any request."""
        check_count(n, "videos")
        job = self._plan(prompt, model, image, duration_seconds, aspect_ratio)

        async def one(i: int, count: int) -> list[bytes]:
            return [await self._make(job)]

        videos, _ = await paid_batch([1] * n, one, concurrency=self.max_concurrency, partial=partial, what="videos")
        return videos

    async def generate_video_to(
        self,
        target: Target,
        prompt: str,
        *,
        model: str | None = None,
        image: bytes | None = None,
        duration_seconds: int | None = None,
        aspect_ratio: str | None = None,
    ) -> str:
        """One video written to ``target`` (a path or a binary file) as it downloads; its job id
        (empty for the LocalAI dialect, which has no jobs)."""
        job = self._plan(prompt, model, image, duration_seconds, aspect_ratio)
        with telemetry.span(lambda: self._call(job)):
            if self.dialect == "localai":
                _write(target, await self._untraced_make(job))
                return ""
            video_id = await self._create(job)
            await self.wait(video_id)
            await self.download(video_id, to=target)
            return video_id

    # ── the job's steps ─────────────────────────────────────────────────────────────────────────

    def _plan(
        self, prompt: str, model: str | None, image: bytes | None, seconds: int | None, aspect: str | None
    ) -> _Job:
        check_prompt(prompt)
        if image is not None and (not isinstance(image, bytes) or image_type(image) not in ("png", "jpeg", "webp")):
            raise ConfigurationError("image must be the bytes of a PNG, JPEG or WebP reference frame")
        model = model or self.model
        size = video_size(model, self.size, aspect)
        fields = {"prompt": prompt, "model": model}
        if (length := video_seconds(model, seconds if seconds is not None else self.seconds)) is not None:
            fields["seconds"] = length
        if size is not None:
            fields["size"] = size
        self._require_key()
        return _Job(fields, image)

    def _call(self, job: _Job) -> telemetry.Call:
        """What a video's span says: one span per video, its job's create, polls and download inside."""
        asked = {"gen_ai.output.type": "video", "axio_omni.video.seconds": job.fields.get("seconds")}
        return telemetry.Call("generate_content", str(job.fields["model"]), self.base_url, asked)

    async def _make(self, job: _Job) -> bytes:
        with telemetry.span(lambda: self._call(job)) as traced:
            data = await self._untraced_make(job)
            if traced is not None:
                traced.set("axio_omni.response.bytes", len(data))
            return data

    async def _untraced_make(self, job: _Job) -> bytes:
        if self.dialect == "localai":
            return await self._localai(job)
        return await self._finish(await self._create(job))

    async def _finish(self, video_id: str) -> bytes:
        """Wait for ``video_id`` and download its video."""
        await self.wait(video_id)
        data = await self._content(video_id, "video")
        if self.delete_after_download:
            await self.delete(video_id)
        return data

    async def create(
        self,
        prompt: str,
        *,
        model: str | None = None,
        image: bytes | None = None,
        duration_seconds: int | None = None,
        aspect_ratio: str | None = None,
    ) -> str:
        """Start a job (the one paid step) and return its id, for :meth:`wait` and :meth:`download`."""
        return await self._create(self._plan(prompt, model, image, duration_seconds, aspect_ratio))

    async def _create(self, job: _Job) -> str:
        what = f"video job ({job.fields['model']})"
        req = self._request("POST", "/videos", body=_form(job.fields, job.image), repeat=Repeat.UNSTARTED, what=what)
        return read_job((await read_all(self._session(), req, self.retry)).data).id

    async def wait(self, video_id: str) -> VideoJob:
        """Poll ``video_id`` until it is ``completed``; a failed job raises with its error."""

        async def probe() -> tuple[VideoJob | None, float | None]:
            req = self._request("GET", f"/videos/{video_id}", repeat=Repeat.SAFE, what="video job poll")
            body = await read_all(self._session(), req, self.retry)
            job = read_job(body.data)
            if self.on_progress is not None:
                self.on_progress(video_id, job.progress)
            if job.status == "failed":
                raise VideoJobFailedError(
                    f"video job {video_id} failed: {job.error_message or 'no reason given'}",
                    video_id=video_id, code=job.error_code, body=body.data.decode(errors="replace")[:2000],
                )  # fmt: skip
            return (job if job.status == "completed" else None), parse_poll_after(body.headers)

        try:
            return await poll_until(self.poll, probe, what=f"video job {video_id}")
        except APITimeoutError as exc:
            if isinstance(exc, VideoJobTimeoutError):
                raise
            raise VideoJobTimeoutError(
                f"{exc.message}; resume('{video_id}') waits for it without a new job", video_id=video_id
            ) from exc

    async def download(
        self,
        video_id: str,
        *,
        variant: Literal["video", "thumbnail", "spritesheet"] = "video",
        to: Target | None = None,
    ) -> bytes | None:
        """The job's content (``variant``): returned, or written to ``to`` as it arrives (memory stays flat)."""
        if to is None:
            data: bytes | None = await self._content(video_id, variant)
        else:
            await self._stream_to(self._content_request(video_id, variant), to)
            data = None
        if self.delete_after_download and variant == "video":
            await self.delete(video_id)
        return data

    def _content_request(self, video_id: str, variant: str) -> Request:
        if variant not in ("video", "thumbnail", "spritesheet"):
            raise ConfigurationError(f"variant must be video, thumbnail or spritesheet, got {variant!r}")
        path = f"/videos/{video_id}/content" + ("" if variant == "video" else f"?variant={variant}")
        return self._request("GET", path, repeat=Repeat.SAFE, what=f"video download ({variant})", accept="*/*")

    async def _content(self, video_id: str, variant: str) -> bytes:
        return (await read_all(self._session(), self._content_request(video_id, variant), self.retry)).data

    async def _stream_to(self, req: Request, to: Target) -> None:
        record = watched_call(req.what)
        resp = await open_response(self._session(), req, self.retry, record=record)
        complete = False
        # Opened off the loop; the writes are small and go to the page cache.
        handle = await asyncio.to_thread(Path(to).open, "wb") if isinstance(to, (str, Path)) else to
        try:
            while chunk := await read_chunk(resp):
                handle.write(chunk)
            complete = True
        finally:
            finish(resp, complete, record)
            if handle is not to:
                handle.close()
                if not complete:
                    # A cut download leaves no file that could pass for the video.
                    await asyncio.to_thread(Path(str(to)).unlink, True)

    async def resume(self, video_id: str, *, to: Target | None = None) -> bytes | None:
        """Wait for a job made earlier (after a :class:`VideoJobTimeoutError`, or by another process) and
        download it: never a new job."""
        await self.wait(video_id)
        return await self.download(video_id, to=to)

    async def remix(self, video_id: str, prompt: str) -> bytes:
        """A new job that changes a finished video as ``prompt`` says; waited for and downloaded."""
        check_prompt(prompt)
        req = self._request(
            "POST",
            f"/videos/{video_id}/remix",
            json_body={"prompt": prompt},
            repeat=Repeat.UNSTARTED,
            what="video remix",
        )
        asked = {"gen_ai.output.type": "video", "axio_omni.remix_of": video_id}
        with telemetry.span(lambda: telemetry.Call("generate_content", self.model, self.base_url, asked)):
            return await self._finish(read_job((await read_all(self._session(), req, self.retry)).data).id)

    async def delete(self, video_id: str) -> None:
        req = self._request("DELETE", f"/videos/{video_id}", repeat=Repeat.SAFE, what="video delete")
        await read_all(self._session(), req, self.retry)

    async def _localai(self, job: _Job) -> bytes:
        fields = job.fields
        body: dict[str, Any] = {"model": fields["model"], "prompt": fields["prompt"]}
        if "size" in fields:
            width, height = fields["size"].split("x")
            body.update(width=int(width), height=int(height))
        for key in ("num_frames", "fps", "seed"):
            if getattr(self, key) is not None:
                body[key] = getattr(self, key)
        if job.image is not None:
            body["start_image"] = base64.b64encode(job.image).decode()
        req = self._request(
            "POST", "/video", json_body=body, repeat=Repeat.UNSTARTED, what=f"video ({fields['model']})"
        )
        answer = read_images((await read_all(self._session(), req, self.retry)).data, asked=1, check=_is_video)
        if not answer.items:
            raise MalformedResponseError("the video answer held no video")
        item = answer.items[0]
        if isinstance(item, bytes):
            return item
        req = self._url_request(item, accept="video/*", what="video download")
        return (await read_all(self._session(), req, self.retry)).data


def _is_video(data: bytes) -> bool:
    return data[4:8] == b"ftyp" or data[:4] == b"\x1aE\xdf\xa3"  # MP4 / WebM


def _write(target: Target, data: bytes) -> None:
    if isinstance(target, (str, Path)):
        Path(target).write_bytes(data)
    else:
        target.write(data)
