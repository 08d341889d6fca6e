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


def test_entry_point_is_declared() -> None:
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="axio.transport") if e.value.startswith("axio_omni")]
    assert ep.load() is axio_omni.OpenAITransport


def test_embedding_entry_point_is_declared() -> None:
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="axio.transport.embedding") if e.value.startswith("axio_omni")]
    assert ep.load() is axio_omni.OpenAIEmbeddingTransport


def test_speech_entry_points_are_declared() -> None:
    from importlib.metadata import entry_points

    for group, cls in (
        ("axio.transport.tts", axio_omni.OpenAITTSTransport),
        ("axio.transport.stt", axio_omni.OpenAISTTTransport),
    ):
        (ep,) = [e for e in entry_points(group=group) if e.value.startswith("axio_omni")]
        assert ep.load() is cls
