"""The public surface: complete and sorted exports, and a wire layer free of I/O imports."""

from __future__ import annotations

import ast
import pathlib
import types

import axio_omni

SRC = pathlib.Path(axio_omni.__file__).parent


def test_all_is_sorted_and_complete() -> None:
    assert axio_omni.__all__ == sorted(axio_omni.__all__)
    for name in axio_omni.__all__:
        assert hasattr(axio_omni, name), name
    # Submodules become attributes of the package once imported; they are not exports.
    public = {n for n, v in vars(axio_omni).items() if not n.startswith("_") and not isinstance(v, types.ModuleType)}
    assert public <= set(axio_omni.__all__), public - set(axio_omni.__all__)


def test_wire_imports_no_io_library() -> None:
    for path in (SRC / "wire").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in ("aiohttp", "websockets", "asyncio", "socket"), f"{path.name}: {name}"


def test_modules_stay_small() -> None:
    for path in SRC.rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 420, f"{path.relative_to(SRC)} is too long"


def test_every_entry_point_is_declared_and_loads() -> None:
    from importlib.metadata import entry_points

    from axio_omni import presets, tui

    expected: dict[str, dict[str, type]] = {
        "axio.transport": {
            "omni": axio_omni.OpenAITransport,
            "omni-responses": axio_omni.OpenAIResponsesTransport,
            "omni-azure": presets.OmniAzure,
            "omni-openrouter": presets.OmniOpenRouter,
            "omni-ollama": presets.OmniOllama,
            "omni-lmstudio": presets.OmniLMStudio,
            "omni-llamacpp": presets.OmniLlamaCpp,
            "omni-vllm": presets.OmniVLLM,
        },
        "axio.transport.embedding": {
            "omni": axio_omni.OpenAIEmbeddingTransport,
            "omni-azure": presets.OmniAzureEmbedding,
        },
        "axio.transport.tts": {"omni": axio_omni.OpenAITTSTransport, "omni-azure": presets.OmniAzureTTS},
        "axio.transport.stt": {"omni": axio_omni.OpenAISTTTransport, "omni-azure": presets.OmniAzureSTT},
        "axio.transport.image": {"omni": axio_omni.OpenAIImageTransport, "omni-azure": presets.OmniAzureImages},
        "axio.transport.video": {"omni": axio_omni.OpenAIVideoTransport},
        "axio.transport.audio_gen": {"omni": axio_omni.OpenAIAudioGenTransport},
        "axio.transport.realtime": {
            "omni": axio_omni.OpenAIRealtimeTransport,
            "omni-transcription": axio_omni.OpenAIRealtimeTranscriptionTransport,
        },
    }
    for group, classes in expected.items():
        ours = {e.name: e.load() for e in entry_points(group=group) if e.value.startswith("axio_omni")}
        assert ours == classes, group
    screens = {
        e.name: e.load() for e in entry_points(group="axio.transport.settings") if e.value.startswith("axio_omni")
    }
    for name, cls in expected["axio.transport"].items():
        assert screens[name].transport is cls  # every chat entry has its own settings screen
    for kind in ("embedding", "tts", "stt", "image", "video", "audio_gen", "realtime"):
        assert screens[f"omni.{kind}"].transport is expected[f"axio.transport.{kind}"]["omni"]
    assert set(screens.values()) <= {getattr(tui, n) for n in tui.__all__}
