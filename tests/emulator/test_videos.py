"""The emulator's video jobs on the wire: refusals in OpenAI's shape, a job's life on a clock the test moves."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from axio_omni.emulator import Emulator, ManualClock
from tests.helpers import schema_errors


async def call(
    emu: Emulator, method: str, path: str, *, form: dict[str, str] | None = None, **kw: Any
) -> tuple[int, Any]:
    data = kw.pop("data", None)
    if form is not None:
        data = aiohttp.FormData()
        for k, v in form.items():
            data.add_field(k, v, content_type="text/plain")  # a content type makes it multipart
    async with aiohttp.ClientSession() as s, s.request(method, emu.base_url + path, data=data, **kw) as r:
        body = await r.read()
        return r.status, json.loads(body) if r.content_type == "application/json" else body


@pytest.mark.parametrize(
    ("form", "param"),
    [
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x", "size": "640x480"}, "size"),
        ({"prompt": "x", "seconds": "5"}, "seconds"),
    ],
)
async def test_bad_creates_are_refused_naming_the_field(emulator: Emulator, form: dict[str, str], param: str) -> None:
    status, body = await call(emulator, "POST", "/videos", form=form)
    assert status == 400 and body["error"]["param"] == param and emulator.state.videos_made == 0


async def test_a_create_that_is_not_multipart_is_refused(emulator: Emulator) -> None:
    status, body = await call(emulator, "POST", "/videos", data={"prompt": "x"})
    assert status == 400 and "multipart" in body["error"]["message"]


async def test_a_job_lives_on_the_emulators_clock() -> None:
    clock = ManualClock()
    async with Emulator(clock=clock) as emu:
        emu.state.video_make_seconds = 10.0
        status, job = await call(emu, "POST", "/videos", form={"prompt": "a cat", "seconds": "8"})
        assert status == 200 and job["status"] == "queued" and job["seconds"] == "8"
        assert schema_errors("VideoResource", job) == [] and job["completed_at"] is None and job["error"] is None
        status, early = await call(emu, "GET", f"/videos/{job['id']}/content")
        assert status == 404 and early["error"]["code"] == "video_not_ready"
        await clock.advance(5.0)
        status, half = await call(emu, "GET", f"/videos/{job['id']}")
        assert (half["status"], half["progress"]) == ("in_progress", 50)
        await clock.advance(6.0)
        async with aiohttp.ClientSession() as s, s.get(f"{emu.base_url}/videos/{job['id']}") as r:
            done = await r.json()
            assert r.headers["openai-poll-after-ms"] == "50"
        assert done["status"] == "completed" and isinstance(done["completed_at"], int)
        status, remix = await call(emu, "POST", f"/videos/{job['id']}/remix", json={"prompt": "at night"})
        assert remix["remixed_from_video_id"] == job["id"] and schema_errors("VideoResource", remix) == []
        status, gone = await call(emu, "DELETE", f"/videos/{job['id']}")
        assert schema_errors("DeletedVideoResource", gone) == [] and gone["deleted"] is True
        status, missing = await call(emu, "GET", f"/videos/{job['id']}")
        assert status == 404 and missing["error"]["code"] == "video_not_found"


async def test_a_failed_job_carries_its_error_in_the_schemas_shape(emulator: Emulator) -> None:
    emulator.state.video_make_seconds = 0.0
    _, job = await call(emulator, "POST", "/videos", form={"prompt": "a [fail] cat"})
    _, failed = await call(emulator, "GET", f"/videos/{job['id']}")
    assert failed["status"] == "failed" and failed["error"]["code"] == "video_generation_failed"
    assert schema_errors("VideoResource", failed) == []
