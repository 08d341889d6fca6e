"""``OpenAIAudioGenTransport``: axio's ``AudioGenTransport`` over ``POST /v1/sound-generation``.

The endpoint as LocalAI and ElevenLabs serve it: a JSON body with ``text`` and, where set,
``model_id``, ``duration_seconds`` and ``prompt_influence``; raw audio back (LocalAI answers
``audio/x-wav``, ElevenLabs ``audio/mpeg``), whose content type must be ``audio/*`` (or, from a server
that labels it ``application/octet-stream``, bytes that are recognisably audio). ElevenLabs'
``xi-api-key`` goes in ``secret_headers`` and its ``output_format`` in ``query``.

``n`` sounds are ``n`` requests, ``max_concurrency`` at a time, in order; each is ``UNSTARTED`` (a
paid generation is sent again only when the server provably did not start it), and a failure keeps
the sounds already made (``IncompleteResultError.results``, or ``partial=True``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from axio.transport import AudioGenTransport

from .. import telemetry
from ..audio.media import sniff_media_type
from ..errors import ConfigurationError, MalformedResponseError
from ..fields import setting
from ..retry import Repeat
from ..rules import JsonMap, Number, Text
from .base import HTTPTransport
from .http import read_all
from .paid import check_count, check_prompt, paid_batch

__all__ = ["OpenAIAudioGenTransport"]


@dataclass(slots=True, kw_only=True)
class OpenAIAudioGenTransport(HTTPTransport, AudioGenTransport):
    """Sound effects and music from a ``/sound-generation`` endpoint (LocalAI, ElevenLabs, proxies)."""

    type_name = "openai-audio-gen"
    display_name: ClassVar[str] = "Sound generation (omni)"

    #: Sent as ``model_id``; None sends none (the server's default).
    model: str | None = setting(None, Text(optional=True))
    duration_seconds: float | None = setting(None, Number(0.5, 300, optional=True, unit="seconds"))
    #: How closely the sound follows the prompt (ElevenLabs), 0 to 1.
    prompt_influence: float | None = setting(None, Number(0, 1, optional=True))
    #: Requests of one call in flight at once.
    max_concurrency: int = setting(4, Number(1, 64, integer=True))
    extra_body: Mapping[str, Any] = setting(default_factory=dict, rule=JsonMap(reserved=("text",)))

    async def generate_audios(
        self, prompt: str, *, model: str | None = None, n: int = 1, partial: bool = False
    ) -> list[bytes]:
        """``n`` sounds for ``prompt``, in order; arguments are checked before any request."""
        check_prompt(prompt)
        check_count(n, "sounds")
        if model is not None and (not isinstance(model, str) or not model.strip()):
            raise ConfigurationError(f"model must be a non-empty string or None, got {model!r}")
        body: dict[str, Any] = {"text": prompt}
        for key, value in (
            ("model_id", model or self.model),
            ("duration_seconds", self.duration_seconds),
            ("prompt_influence", self.prompt_influence),
        ):
            if value is not None:
                body[key] = value
        body.update(self.extra_body)
        what = f"sound generation ({body.get('model_id', 'default model')})"
        request = self._request(
            "POST", "/sound-generation", json_body=body, repeat=Repeat.UNSTARTED, what=what, accept="audio/*"
        )
        session = self._session()

        async def fetch(i: int, count: int) -> list[bytes]:
            answer = await read_all(session, request, self.retry)
            kind = answer.content_type.split(";")[0].strip().lower()
            if not kind.startswith("audio/") and sniff_media_type(answer.data) is None:
                raise MalformedResponseError(f"the sound generation answered {kind or 'no content type'}, not audio")
            if not answer.data:
                raise MalformedResponseError("the sound generation answered no audio")
            return [answer.data]

        asked = {"gen_ai.output.type": "audio", "gen_ai.request.choice.count": n}
        call = telemetry.Call("generate_content", str(body.get("model_id", "default")), self.base_url, asked)
        with telemetry.span(lambda: call):
            sounds, _errors = await paid_batch(
                [1] * n, fetch, concurrency=self.max_concurrency, partial=partial, what="sounds"
            )
        return sounds
