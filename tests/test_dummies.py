"""Dummy placeholders: instances of their protocols, serializable, loud on first use."""

from __future__ import annotations

from typing import Any

import pytest
from axio.blocks import TextBlock
from axio.messages import Message
from axio.transport import (
    AudioGenTransport,
    CompletionTransport,
    EmbeddingTransport,
    ImageEditTransport,
    ImageGenTransport,
    RealtimeTransport,
    STTTransport,
    TTSTransport,
    VideoGenTransport,
)

from axio_omni import dummies as D
from axio_omni import from_dict
from axio_omni.errors import PlaceholderUsedError

CASES: list[tuple[Any, type, str]] = [
    (D.DummyCompletion, CompletionTransport, "stream"),
    (D.DummyEmbedding, EmbeddingTransport, "embed"),
    (D.DummyImageGen, ImageGenTransport, "generate_images"),
    (D.DummyImageEdit, ImageEditTransport, "edit_images"),
    (D.DummyVideoGen, VideoGenTransport, "generate_videos"),
    (D.DummyAudioGen, AudioGenTransport, "generate_audios"),
    (D.DummyTTS, TTSTransport, "synthesize"),
    (D.DummySTT, STTTransport, "transcribe"),
    (D.DummyRealtime, RealtimeTransport, "connect"),
    (D.DummyRealtime, RealtimeTransport, "client_secret"),
    (D.DummyRealtimeTranscription, RealtimeTransport, "connect"),
    (D.DummyRealtimeTranscription, RealtimeTransport, "client_secret"),
]


@pytest.mark.parametrize(("cls", "protocol", "method"), CASES, ids=[f"{c[0].__name__}.{c[2]}" for c in CASES])
async def test_dummy_is_its_protocol_serializes_and_fails_loudly(cls: Any, protocol: type, method: str) -> None:
    dummy = cls(purpose="prototype agent")
    assert from_dict(dummy.to_dict()) == dummy
    assert isinstance(dummy, protocol)
    args: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
        "stream": (([Message("user", [TextBlock("x")])], [], ""), {}),
        "embed": ((["x"],), {}),
        "edit_images": (("x",), {"images": []}),
        "transcribe": ((b"",), {}),
        "connect": ((), {"system": "", "tools": []}),
        "client_secret": ((), {"expires_after_s": 60}),
    }
    a, kw = args.get(method, (("x",), {}))
    with pytest.raises(PlaceholderUsedError, match=f"{cls.__name__}.{method}.*prototype agent.*Replace it"):
        result = getattr(dummy, method)(*a, **kw)
        if hasattr(result, "__await__"):
            await result
    assert issubclass(PlaceholderUsedError, RuntimeError)


async def test_the_live_captions_placeholder_takes_what_its_transport_takes_and_is_its_own_type() -> None:
    """``connect()`` with no arguments, as live captions are opened, fails as a placeholder, not a TypeError;
    the two realtime placeholders keep their own types through a round trip."""
    captions = D.DummyRealtimeTranscription()
    with pytest.raises(PlaceholderUsedError, match="DummyRealtimeTranscription.connect.*live captions"):
        await captions.connect()
    assert type(from_dict(captions.to_dict())) is D.DummyRealtimeTranscription
    assert type(from_dict(D.DummyRealtime().to_dict())) is D.DummyRealtime
    assert captions != D.DummyRealtime()
