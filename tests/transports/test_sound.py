"""OpenAIAudioGenTransport over real sockets: the emulator, and servers with LocalAI's and ElevenLabs' ways."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import soundfile as sf
from aiohttp import web

from axio_omni import (
    ConfigurationError,
    IncompleteResultError,
    InternalServerError,
    MalformedResponseError,
    OpenAIAudioGenTransport,
    RetryPolicy,
    UnprocessableEntityError,
)
from axio_omni.emulator import Emulator
from axio_omni.emulator.sound import make_sound

FAST = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02)


def transport(base_url: str, **kw: Any) -> OpenAIAudioGenTransport:
    return OpenAIAudioGenTransport(base_url=base_url, retry=FAST, **kw)


async def test_sounds_of_the_asked_length_in_order(emulator: Emulator) -> None:
    t = transport(emulator.base_url, model="musicgen-small", duration_seconds=1.5)
    sounds = await t.generate_audios("rain on a tin roof", n=3)
    assert len(sounds) == 3 and len(set(sounds)) == 1  # the same prompt makes the same sound
    with sf.SoundFile(io.BytesIO(sounds[0])) as f:
        assert abs(f.frames / f.samplerate - 1.5) < 0.01
    bodies = [r.body for r in emulator.requests]
    assert bodies == [{"text": "rain on a tin roof", "model_id": "musicgen-small", "duration_seconds": 1.5}] * 3
    assert emulator.state.sounds_made == 3


async def test_unset_fields_are_not_sent_and_elevenlabs_style_auth_goes_in_headers(emulator: Emulator) -> None:
    t = transport(
        emulator.base_url, secret_headers={"xi-api-key": "xi-secret-987654"}, query={"output_format": "mp3_44100_128"}
    )
    await t.generate_audios("a door creaks")
    (sent,) = emulator.requests
    assert sent.body == {"text": "a door creaks"} and sent.headers["xi-api-key"] == "xi-secret-987654"
    assert "xi-secret" not in json.dumps(t.to_dict()) and "xi-secret" not in repr(t)


async def test_a_validation_error_under_detail_reaches_the_typed_error(emulator: Emulator) -> None:
    t = transport(emulator.base_url, duration_seconds=100)
    with pytest.raises(UnprocessableEntityError, match="duration_seconds"):
        await t.generate_audios("long")
    assert emulator.state.sounds_made == 0


async def test_arguments_are_checked_before_any_request(emulator: Emulator) -> None:
    for bad in ({"prompt": " "}, {"prompt": "x", "n": 0}, {"prompt": "x", "model": ""}):
        with pytest.raises(ConfigurationError):
            await transport(emulator.base_url).generate_audios(**bad)
    assert emulator.requests == []


class LocalAI:
    """LocalAI's dialect: ``audio/x-wav``, and errors with a numeric ``code``; scripted per request."""

    def __init__(self) -> None:
        self.script: list[str] = []
        self.made = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        await request.json()
        step = self.script.pop(0) if self.script else "ok"
        if step == "500":
            return web.json_response(
                {"error": {"code": 500, "message": "could not load model", "type": ""}}, status=500
            )
        if step == "html":
            return web.Response(text="<html>proxy</html>", content_type="text/html")
        self.made += 1
        return web.Response(body=make_sound(f"{self.made}", 0.5), content_type="audio/x-wav")


@pytest.fixture
async def localai() -> AsyncIterator[tuple[str, LocalAI]]:
    server = LocalAI()
    app = web.Application()
    app.router.add_post("/v1/sound-generation", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/v1", server
    await runner.cleanup()


async def test_a_numeric_error_code_reaches_the_typed_error_and_made_sounds_are_kept(
    localai: tuple[str, LocalAI],
) -> None:
    url, server = localai
    server.script = ["ok", "500"]
    t = transport(url, model="musicgen", max_concurrency=1)
    with pytest.raises(IncompleteResultError, match="could not load model") as info:
        await t.generate_audios("x", n=3)
    assert isinstance(info.value.__cause__, InternalServerError) and info.value.__cause__.code == "500"
    assert len(info.value.results) == 1 and server.made == 1  # the third was never asked for
    assert [e.status for e in info.value.errors] == [500]
    server.script = ["ok", "500", "ok"]
    assert len(await t.generate_audios("x", n=3, partial=True)) == 1


async def test_an_answer_that_is_not_audio_is_refused(localai: tuple[str, LocalAI]) -> None:
    url, server = localai
    server.script = ["html"]
    with pytest.raises(MalformedResponseError, match="text/html"):
        await transport(url).generate_audios("x")
