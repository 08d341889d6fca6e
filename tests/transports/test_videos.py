"""OpenAIVideoTransport over real sockets against the emulator's job API (and LocalAI's dialect)."""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path
from typing import Any

import av
import openai
import pytest
from PIL import Image

from axio_omni import (
    ConfigurationError,
    IncompleteResultError,
    OmniError,
    OpenAIVideoTransport,
    PollPolicy,
    RetryPolicy,
    VideoJobFailedError,
    VideoJobTimeoutError,
)
from axio_omni.emulator import Emulator
from axio_omni.emulator.faults import Fault
from axio_omni.wire.images import image_type
from tests.helpers import schema_errors

FAST = RetryPolicy(max_retries=3, initial_delay=0.01, max_delay=0.02)
QUICK = PollPolicy(interval=0.02, min_interval=0.0, max_interval=0.2, deadline=20.0)


def transport(emu: Emulator, **kw: Any) -> OpenAIVideoTransport:
    kw.setdefault("poll", QUICK)
    return OpenAIVideoTransport(base_url=emu.base_url, api_key="sk-video-KEY-123456", retry=FAST, **kw)


def probe(data: bytes) -> tuple[int, int, float]:
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.video[0]
        return stream.width, stream.height, round(float(container.duration or 0) / 1e6, 2)


def polls(emu: Emulator) -> list[str]:
    return [r.path for r in emu.requests if r.method == "GET" and not r.path.endswith("/content")]


async def test_videos_are_made_polled_and_downloaded(emulator: Emulator) -> None:
    progress: dict[str, list[int]] = {}
    t = transport(emulator, on_progress=lambda video_id, p: progress.setdefault(video_id, []).append(p))
    videos = await t.generate_videos("a fox runs", n=2, duration_seconds=4, aspect_ratio="16:9")
    assert [probe(v) for v in videos] == [(1280, 720, 4.0)] * 2
    creates = [r for r in emulator.requests if r.method == "POST"]
    assert [r.body for r in creates] == [
        {"prompt": "a fox runs", "model": "sora-2", "seconds": "4", "size": "1280x720"}
    ] * 2
    assert all(r.headers["Content-Type"].startswith("multipart/form-data") for r in creates)
    assert len(progress) == 2 and emulator.state.videos_made == 2
    for seen in progress.values():  # each job's progress only rises, and ends at 100
        assert seen == sorted(seen) and seen[-1] == 100 and len(seen) >= 2


async def test_the_servers_poll_interval_is_honoured(emulator: Emulator) -> None:
    emulator.state.video_poll_after_ms = 150
    emulator.state.video_make_seconds = 0.6
    await transport(emulator, poll=PollPolicy(interval=0.005, min_interval=0.0, deadline=20)).generate_videos("x")
    # Without the header the policy's 5 ms would have polled about 120 times.
    assert 2 <= len(polls(emulator)) <= 8


async def test_failing_polls_are_retried_without_a_second_job(emulator: Emulator) -> None:
    emulator.fail_next(Fault.of(status=503, path="/v1/videos/*"), times=2)
    emulator.fail_next(Fault.of(disconnect=True, path="/v1/videos/*"))
    (video,) = await transport(emulator).generate_videos("a boat")
    assert probe(video)[2] == 4.0 and emulator.state.videos_made == 1


async def test_a_failed_job_raises_its_own_error(emulator: Emulator) -> None:
    emulator.fail_next("job_fail=true;path=/v1/videos")
    with pytest.raises(VideoJobFailedError) as info:
        await transport(emulator).generate_videos("a boat")
    assert info.value.code == "video_generation_failed" and info.value.video_id.startswith("video_")
    assert "could not be made" in str(info.value)


async def test_a_job_that_never_finishes_times_out_with_its_id(emulator: Emulator) -> None:
    emulator.fail_next("job_stall=true;path=/v1/videos")
    t = transport(emulator, poll=PollPolicy(interval=0.02, min_interval=0.0, deadline=0.4))
    with pytest.raises(VideoJobTimeoutError) as info:
        await t.generate_videos("a boat", aspect_ratio="9:16")
    assert info.value.video_id in emulator.state.videos and emulator.state.videos_made == 1
    assert len(polls(emulator)) >= 2


async def test_a_job_past_its_deadline_can_be_resumed_without_paying_twice(emulator: Emulator, tmp_path: Path) -> None:
    emulator.state.video_make_seconds = 1.0
    impatient = transport(emulator, poll=PollPolicy(interval=0.02, min_interval=0.0, deadline=0.15))
    with pytest.raises(VideoJobTimeoutError) as info:
        await impatient.generate_videos("a slow river")
    video_id = info.value.video_id
    assert f"resume('{video_id}')" in str(info.value)
    target = tmp_path / "river.mp4"
    await transport(emulator).resume(video_id, to=target)
    assert probe(target.read_bytes())[2] == 4.0 and emulator.state.videos_made == 1


async def test_several_jobs_keep_what_finished_when_one_fails(emulator: Emulator) -> None:
    t = transport(emulator, max_concurrency=1)
    with pytest.raises(IncompleteResultError) as info:
        await t.generate_videos("one", n=1) and await t.generate_videos("a [fail]", n=2)
    assert isinstance(info.value.errors[0], VideoJobFailedError) and emulator.state.videos_made == 2


async def test_a_video_goes_to_a_file_and_other_variants_download(emulator: Emulator, tmp_path: Path) -> None:
    t = transport(emulator, size="720x1280")
    target = tmp_path / "out.mp4"
    video_id = await t.generate_video_to(target, "a tall tower", duration_seconds=8)
    assert probe(target.read_bytes()) == (720, 1280, 8.0)
    buffer = io.BytesIO()
    await t.download(video_id, to=buffer)
    assert buffer.getvalue() == target.read_bytes()
    assert image_type(await t.download(video_id, variant="thumbnail") or b"") == "webp"
    assert image_type(await t.download(video_id, variant="spritesheet") or b"") == "jpeg"


async def test_a_cut_download_leaves_no_file_behind(emulator: Emulator, tmp_path: Path) -> None:
    t = transport(emulator)
    video_id = await t.create("a cat")
    await t.wait(video_id)
    emulator.fail_next(Fault.of(drop_after_bytes=5000, path=f"/v1/videos/{video_id}/content"))
    target = tmp_path / "cut.mp4"
    with pytest.raises(OmniError):
        await t.download(video_id, to=target)
    assert not target.exists()
    await t.download(video_id, to=target)  # asked again, the same job: nothing paid twice
    assert probe(target.read_bytes())[2] == 4.0 and emulator.state.videos_made == 1


async def test_remix_and_delete_after_download(emulator: Emulator) -> None:
    t = transport(emulator, delete_after_download=True)
    (video,) = await t.generate_videos("a cat")
    first_id = next(iter(emulator.requests)).path  # the create
    assert first_id == "/v1/videos" and emulator.state.videos == {}  # deleted once downloaded
    keep = transport(emulator)
    video_id = await keep.generate_video_to(io.BytesIO(), "a dog")
    remixed = await keep.remix(video_id, "the dog at night")
    assert probe(remixed)[2] == 4.0
    (job,) = [j for j in emulator.state.videos.values() if j.remixed_from == video_id]
    assert job.prompt == "the dog at night" and video


async def test_an_input_reference_goes_as_a_file(emulator: Emulator) -> None:
    frame = io.BytesIO()
    Image.new("RGB", (1280, 720), (1, 2, 3)).save(frame, "PNG")
    (video,) = await transport(emulator).generate_videos("move it", image=frame.getvalue(), aspect_ratio="16:9")
    assert probe(video)[:2] == (1280, 720)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"aspect_ratio": "4:3"}, "aspect_ratio"),
        ({"duration_seconds": 5}, "4, 8 or 12"),
        ({"image": b"not an image"}, "PNG, JPEG or WebP"),
        ({"n": 0}, "n must be"),
        ({"prompt": ""}, "prompt"),
    ],
)
async def test_arguments_are_checked_before_any_request(
    emulator: Emulator, kwargs: dict[str, Any], needle: str
) -> None:
    prompt = kwargs.pop("prompt", "a cat")
    with pytest.raises(ConfigurationError, match=needle):
        await transport(emulator).generate_videos(prompt, **kwargs)
    assert emulator.requests == []


def test_settings_are_checked_and_round_trip() -> None:
    with pytest.raises(ConfigurationError, match="size"):
        OpenAIVideoTransport(size="640x480")
    t = OpenAIVideoTransport(api_key="sk-secret-video-999", model="sora-2-pro", seconds=8, delete_after_download=True)
    assert "sk-secret" not in json.dumps(t.to_dict()) and "sk-secret" not in repr(t)
    assert OpenAIVideoTransport.from_dict(t.to_dict()) == OpenAIVideoTransport(
        model="sora-2-pro", seconds=8, delete_after_download=True
    )


async def test_localai_dialect(emulator: Emulator) -> None:
    t = transport(emulator, dialect="localai", model="wan-2.1", size="320x240", num_frames=16, fps=8, seed=7)
    (video,) = await t.generate_videos("a wave")
    assert probe(video) == (320, 240, 2.0)
    (sent,) = emulator.requests
    assert sent.path == "/v1/video" and sent.body == {
        "model": "wan-2.1", "prompt": "a wave", "width": 320, "height": 240, "num_frames": 16, "fps": 8, "seed": 7,
    }  # fmt: skip


async def test_the_official_sdk_and_the_schema(emulator: Emulator) -> None:
    # The SDK warns that OpenAI's own video API is deprecated; the servers that copy it are not.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The Sora API", DeprecationWarning)
        await _sdk_session(emulator)


async def _sdk_session(emulator: Emulator) -> None:
    async with openai.AsyncOpenAI(api_key="sk-sdk", base_url=emulator.base_url) as client:
        job = await client.videos.create(prompt="a kite", model="sora-2", seconds="4", size="720x1280")
        assert schema_errors("VideoResource", job.model_dump()) == []
        done = await client.videos.poll(job.id, poll_interval_ms=20)
        assert done.status == "completed" and schema_errors("VideoResource", done.model_dump()) == []
        content = await client.videos.download_content(job.id)
        assert probe(await content.aread())[:2] == (720, 1280)
