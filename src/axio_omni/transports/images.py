"""``OpenAIImageTransport``: axio's ``ImageGenTransport`` and ``ImageEditTransport`` over ``/v1/images``.

Images are slow and billed per result, so nobody pays twice:

- Every generation is an ``UNSTARTED`` request (``retry.Repeat``): sent again only when the server
  provably did not start it (no connection, 408, 429, 503), never after it accepted the work.
- ``n`` above what one request may ask for (the model's cap, or ``max_images_per_request`` for a
  server) is split into requests run a few at a time, results in order. When one fails, no further
  request starts, those running finish, and :class:`~axio_omni.errors.IncompleteResultError` carries
  every image that did arrive (paid for) with what was lost named; ``partial=True`` returns them instead.
- ``url`` answers are downloaded through the same pool; an expired URL is a typed error that says so.

Everything a request would carry is checked against the model family first (``wire/images.py``).
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import aiohttp
from axio.blocks import ImageBlock
from axio.transport import ImageEditTransport, ImageGenTransport

from .. import telemetry
from ..calls import watched_call
from ..errors import ConfigurationError, IncompleteResultError, MalformedResponseError, OmniError
from ..fields import setting
from ..retry import Repeat
from ..rules import Choice, Nested, Number, Text
from ..timeouts import Timeouts
from ..wire.image_files import check_edit_sources
from ..wire.images import (
    IMAGE_MEDIA_TYPES,
    ImageAnswer,
    ImageOptions,
    ImagePart,
    ImageStreamDecoder,
    family,
    image_type,
    max_per_request,
    read_images,
    split_count,
)
from .base import HTTPTransport
from .http import finish, open_response, read_all, read_chunk
from .paid import check_prompt, paid_batch

__all__ = ["ImageResult", "OpenAIImageTransport"]


@dataclass(frozen=True, slots=True)
class ImageResult:
    """The images of one call in order, with what the server said about them."""

    images: list[bytes]
    revised_prompts: list[str | None] = field(default_factory=list)
    #: Token counts summed over the call's requests (gpt-image models), else empty.
    usage: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    #: The failures of a call made with ``partial=True`` (empty when every request succeeded).
    errors: list[OmniError] = field(default_factory=list)


def _image_timeouts() -> Timeouts:
    # A high-quality image can take minutes before its first byte.
    return Timeouts(read=600.0)


@dataclass(slots=True, kw_only=True)
class OpenAIImageTransport(HTTPTransport, ImageGenTransport, ImageEditTransport):
    """Images from any OpenAI-compatible ``/images`` endpoint (OpenAI, LocalAI, stable-diffusion.cpp, LiteLLM)."""

    type_name = "openai-image"
    display_name: ClassVar[str] = "OpenAI images (omni)"

    model: str = setting("gpt-image-1", Text())
    size: str | None = setting(None, Text(optional=True))
    quality: str | None = setting(None, Choice("low", "medium", "high", "auto", "standard", "hd", optional=True))
    background: Literal["transparent", "opaque", "auto"] | None = setting(
        None, Choice("transparent", "opaque", "auto", optional=True)
    )
    output_format: Literal["png", "jpeg", "webp"] | None = setting(None, Choice("png", "jpeg", "webp", optional=True))
    output_compression: int | None = setting(None, Number(0, 100, integer=True, optional=True))
    moderation: Literal["low", "auto"] | None = setting(None, Choice("low", "auto", optional=True))
    #: Edits with gpt-image models: how closely the result keeps the sources' faces and details.
    input_fidelity: Literal["high", "low"] | None = setting(None, Choice("high", "low", optional=True))
    #: For dall-e models and compatible servers; gpt-image models refuse it (they answer b64_json).
    response_format: Literal["url", "b64_json"] | None = setting(None, Choice("url", "b64_json", optional=True))
    style: Literal["vivid", "natural"] | None = setting(None, Choice("vivid", "natural", optional=True))
    user: str | None = setting(None, Text(optional=True))
    #: Images one request may ask for at most; None for the model's own cap (dall-e-3: 1, others: 10).
    max_images_per_request: int | None = setting(None, Number(1, 100, integer=True, optional=True))
    #: Requests of one call in flight at once.
    max_concurrency: int = setting(4, Number(1, 64, integer=True))
    timeouts: Timeouts = setting(default_factory=_image_timeouts, rule=Nested(Timeouts))

    def __post_init__(self) -> None:
        self._validate_common()
        self._options().check(self.model, 1, edit=self.input_fidelity is not None)

    def _options(self) -> ImageOptions:
        return ImageOptions(
            size=self.size,
            quality=self.quality,
            background=self.background,
            output_format=self.output_format,
            output_compression=self.output_compression,
            moderation=self.moderation,
            response_format=self.response_format,
            style=self.style,
            input_fidelity=self.input_fidelity,
            user=self.user,
        )

    # ── axio's protocols ────────────────────────────────────────────────────────────────────────

    async def generate_images(
        self, prompt: str, *, model: str | None = None, n: int = 1, partial: bool = False
    ) -> list[bytes]:
        """``n`` images for ``prompt``, in order; see :meth:`generate_image_batch`."""
        return (await self.generate_image_batch(prompt, model=model, n=n, partial=partial)).images

    async def edit_images(
        self,
        prompt: str,
        *,
        images: list[ImageBlock],
        mask: ImageBlock | None = None,
        model: str | None = None,
        n: int = 1,
        partial: bool = False,
    ) -> list[bytes]:
        """``n`` edits of ``images`` (and ``mask``, never dropped); see :meth:`edit_image_batch`."""
        return (await self.edit_image_batch(prompt, images=images, mask=mask, model=model, n=n, partial=partial)).images

    async def generate_image_batch(
        self, prompt: str, *, model: str | None = None, n: int = 1, partial: bool = False
    ) -> ImageResult:
        """``n`` images with their revised prompts and usage; arguments are checked before any request."""
        model, options = self._checked(prompt, model, n)

        def request(count: int) -> Any:
            body = {"model": model, "prompt": prompt, "n": count, **options.fields(edit=False)}
            return self._request(
                "POST",
                "/images/generations",
                json_body=body,
                repeat=Repeat.UNSTARTED,
                what=f"image generation ({model})",
            )

        return await self._traced_run(model, n, request, partial)

    async def edit_image_batch(
        self,
        prompt: str,
        *,
        images: list[ImageBlock],
        mask: ImageBlock | None = None,
        model: str | None = None,
        n: int = 1,
        partial: bool = False,
    ) -> ImageResult:
        """``n`` edits with their revised prompts and usage; sources and mask are checked before any request."""
        model, options = self._checked(prompt, model, n, edit=True)
        _check_sources(model, images, mask)

        def request(count: int) -> Any:
            form = self._edit_form(model, prompt, count, options, images, mask)
            return self._request(
                "POST", "/images/edits", body=form, repeat=Repeat.UNSTARTED, what=f"image edit ({model})"
            )

        return await self._traced_run(model, n, request, partial)

    # ── streaming ───────────────────────────────────────────────────────────────────────────────

    def stream_images(
        self, prompt: str, *, partial_images: int = 2, model: str | None = None
    ) -> AsyncIterator[ImagePart]:
        """Partial images as they are drawn, then the final one (``.final``, with ``.usage``)."""
        model, options = self._checked(prompt, model, 1, stream=True, partial_images=partial_images)
        body = {
            "model": model,
            "prompt": prompt,
            "stream": True,
            "partial_images": partial_images,
            **options.fields(edit=False),
        }
        req = self._request(
            "POST",
            "/images/generations",
            json_body=body,
            repeat=Repeat.UNSTARTED,
            what=f"image stream ({model})",
            accept="text/event-stream",
        )
        return self._stream(req)

    def stream_image_edits(
        self,
        prompt: str,
        *,
        images: list[ImageBlock],
        mask: ImageBlock | None = None,
        partial_images: int = 2,
        model: str | None = None,
    ) -> AsyncIterator[ImagePart]:
        """An edit's partial images as they are drawn, then the final one."""
        model, options = self._checked(prompt, model, 1, edit=True, stream=True, partial_images=partial_images)
        _check_sources(model, images, mask)
        form = self._edit_form(model, prompt, 1, options, images, mask, stream=partial_images)
        req = self._request(
            "POST",
            "/images/edits",
            body=form,
            repeat=Repeat.UNSTARTED,
            what=f"image edit stream ({model})",
            accept="text/event-stream",
        )
        return self._stream(req)

    async def _stream(self, req: Any) -> AsyncIterator[ImagePart]:
        record = watched_call(req.what)
        resp = await open_response(self._session(), req, self.retry, record=record)
        decoder, complete = ImageStreamDecoder(), False
        try:
            while chunk := await read_chunk(resp):
                for part in decoder.feed(chunk):
                    yield part
            for part in decoder.feed(b"", final=True):
                yield part
            if not decoder.done:
                raise MalformedResponseError("the image stream ended without its completed event")
            complete = True
        finally:
            finish(resp, complete, record)

    async def _traced_run(self, model: str, n: int, request: Callable[[int], Any], partial: bool) -> ImageResult:
        """``_run`` in an OpenTelemetry span when tracing is on."""
        asked = {"gen_ai.output.type": "image", "gen_ai.request.choice.count": n}
        with telemetry.span(lambda: telemetry.Call("generate_content", model, self.base_url, asked)) as traced:
            result = await self._run(n, max_per_request(model, self.max_images_per_request), request, partial)
            if traced is not None:
                if result.usage:
                    traced.used(result.usage.get("input_tokens", 0), result.usage.get("output_tokens"))
                traced.set("axio_omni.requests", result.requests)
                traced.set("axio_omni.images", len(result.images))
            return result

    # ── plumbing ────────────────────────────────────────────────────────────────────────────────

    def _checked(
        self,
        prompt: str,
        model: str | None,
        n: int,
        *,
        edit: bool = False,
        stream: bool = False,
        partial_images: int | None = None,
    ) -> tuple[str, ImageOptions]:
        """The call's model and options, everything checked before any request."""
        if model is not None and (not isinstance(model, str) or not model.strip()):
            raise ConfigurationError(f"model must be a non-empty string or None, got {model!r}")
        check_prompt(prompt)
        options = self._options()
        options.check(model or self.model, n, edit=edit, stream=stream)
        if partial_images is not None and (
            not isinstance(partial_images, int) or isinstance(partial_images, bool) or not 0 <= partial_images <= 3
        ):
            raise ConfigurationError(f"partial_images must be 0 to 3, got {partial_images!r}")
        return model or self.model, options

    def _edit_form(
        self,
        model: str,
        prompt: str,
        count: int,
        options: ImageOptions,
        images: list[ImageBlock],
        mask: ImageBlock | None,
        stream: int | None = None,
    ) -> Callable[[], aiohttp.FormData]:
        fields: dict[str, Any] = {"model": model, "prompt": prompt, "n": str(count), **options.fields(edit=True)}
        if stream is not None:
            fields.update(stream="true", partial_images=str(stream))
        name = "image[]" if len(images) > 1 else "image"

        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            for i, block in enumerate(images):
                ext = image_type(block.data) or "png"
                data.add_field(
                    name, io.BytesIO(block.data), filename=f"image-{i}.{ext}", content_type=IMAGE_MEDIA_TYPES[ext]
                )
            if mask is not None:
                data.add_field("mask", io.BytesIO(mask.data), filename="mask.png", content_type="image/png")
            for key, value in fields.items():
                data.add_field(key, str(value))
            return data

        return form

    async def _run(self, n: int, cap: int, request: Callable[[int], Any], partial: bool) -> ImageResult:
        """``n`` images in requests of at most ``cap`` (``paid.py``: what arrived is kept whatever fails)."""
        session = self._session()
        plan = split_count(n, cap)
        answers: list[ImageAnswer | None] = [None] * len(plan)

        async def fetch(i: int, count: int) -> list[bytes]:
            body = await read_all(session, request(count), self.retry)
            answers[i] = answer = read_images(body.data, asked=count)
            images = await self._fetch_all(session, answer.items)
            if len(answer.items) < count:
                # What came is kept (paid for); the shortfall fails the request.
                raise IncompleteResultError(
                    f"asked for {count} images, the server returned {len(answer.items)}", results=images
                )
            return images

        got, errors = await paid_batch(plan, fetch, concurrency=self.max_concurrency, partial=partial, what="images")
        return ImageResult(
            images=got,
            revised_prompts=[p for a in answers if a for p in a.revised_prompts],
            usage=_sum_usage(a.usage for a in answers if a and a.usage),
            requests=sum(a is not None for a in answers),
            errors=errors,
        )

    async def _fetch_all(self, session: aiohttp.ClientSession, items: list[bytes | str]) -> list[bytes]:
        return [item if isinstance(item, bytes) else await self._download(session, item) for item in items]

    async def _download(self, session: aiohttp.ClientSession, url: str) -> bytes:
        """An image answered as a URL, fetched through the same pool (a GET: safe to repeat; the key only
        for the transport's own server, which is how LocalAI serves its files)."""
        req = self._url_request(url, accept="image/*", what="image download")
        try:
            body = await read_all(session, req, self.retry)
        except OmniError as exc:
            exc.message = (
                f"downloading an image from its URL failed ({exc.message}); OpenAI's URLs expire after an hour"
            )
            raise
        if image_type(body.data) is None:
            raise MalformedResponseError(f"the image URL answered {body.content_type or 'no type'}, not an image")
        return body.data


def _check_sources(model: str, images: list[ImageBlock], mask: ImageBlock | None) -> None:
    if not isinstance(images, list) or not all(isinstance(b, ImageBlock) for b in images):
        raise ConfigurationError("images must be a list of axio ImageBlocks")
    if mask is not None and not isinstance(mask, ImageBlock):
        raise ConfigurationError(f"mask must be an axio ImageBlock or None, got {type(mask).__name__}")
    sources = [(str(b.media_type), b.data) for b in images]
    check_edit_sources(family(model), sources, None if mask is None else (str(mask.media_type), mask.data))


def _sum_usage(usages: Any) -> dict[str, int]:
    total: dict[str, int] = {}
    for usage in usages:
        for key in ("input_tokens", "output_tokens", "total_tokens"):
            if isinstance(usage.get(key), int):
                total[key] = total.get(key, 0) + usage[key]
    return total
