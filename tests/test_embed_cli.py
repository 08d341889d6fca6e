"""``axio-omni embed FILE`` writes the corpus's vectors to .npy, in order, with progress and a cache."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pathlib
import sys

import numpy as np
import pytest

from axio_omni.embed_cli import add_embed_command, read_texts
from axio_omni.emulator import Emulator
from axio_omni.emulator.embeddings import embedding_vector
from axio_omni.transports.embeddings import OpenAIEmbeddingTransport


async def run(*args: str) -> tuple[int, str]:
    env = {**os.environ, "OPENAI_API_KEY": "sk-cli"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "axio_omni.cli",
        "embed",
        *args,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    _, err = await proc.communicate()
    return proc.returncode or 0, err.decode()


async def test_text_file_to_npy_with_progress_and_cache(emulator: Emulator, tmp_path: pathlib.Path) -> None:
    texts = [f"line {i} of the corpus" for i in range(25)]
    source = tmp_path / "corpus.txt"
    source.write_text("\n".join(texts[:10]) + "\n\n" + "\n".join(texts[10:]) + "\n")
    cache = str(tmp_path / "cache.sqlite")
    args = [str(source), "--base-url", emulator.base_url, "--dimensions", "16", "--batch-size", "10", "--cache", cache]
    code, err = await run(*args)
    assert code == 0, err
    vectors = np.load(tmp_path / "corpus.npy")
    assert np.allclose(vectors, np.stack([embedding_vector(t, 16) for t in texts]))
    assert "25/25 100%" in err and "3 requests, 0 from cache" in err
    code, err = await run(*args)
    assert code == 0 and "0 requests, 25 from cache" in err
    assert all(r.headers["Authorization"] == "Bearer sk-cli" for r in emulator.requests)


async def test_jsonl_with_a_field(emulator: Emulator, tmp_path: pathlib.Path) -> None:
    source = tmp_path / "docs.jsonl"
    source.write_text("\n".join(json.dumps({"body": f"doc {i}"}) for i in range(3)))
    out = tmp_path / "out.npy"
    code, err = await run(
        str(source), "--field", "body", "-o", str(out), "--base-url", emulator.base_url, "--dimensions", "4"
    )
    assert code == 0, err
    assert np.load(out).shape == (3, 4)


async def test_server_errors_are_reported_not_tracebacks(emulator: Emulator, tmp_path: pathlib.Path) -> None:
    source = tmp_path / "x.txt"
    source.write_text("hello\n")
    emulator.fail_next("status=401;message=bad key", times=5)
    code, err = await run(str(source), "--base-url", emulator.base_url)
    assert code == 1 and "bad key" in err and "Traceback" not in err


def test_bad_jsonl_names_the_line(tmp_path: pathlib.Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text('{"text": "ok"}\n{"other": 1}\n')
    with pytest.raises(ValueError, match="bad.jsonl:2"):
        read_texts(source, jsonl=True, field="text")


def test_the_help_shows_the_transports_own_defaults_and_the_parser_uses_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = argparse.ArgumentParser(prog="axio-omni")
    add_embed_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["embed", "corpus.txt"])
    transport = OpenAIEmbeddingTransport(api_key="sk-test")
    assert (args.model, args.batch_size, args.concurrency) == (transport.model, transport.max_inputs, 4)
    assert (args.encoding_format, args.api_key_env, args.cache) == ("base64", "OPENAI_API_KEY", None)
    with pytest.raises(SystemExit):
        parser.parse_args(["embed", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for default in ("text-embedding-3-small", "OPENAI_API_KEY", "2048", "base64", "FILE.npy"):
        assert f"(default: {default})" in shown
    assert "(default: None)" not in shown
    with pytest.raises(SystemExit):
        parser.parse_args(["embed", "corpus.txt", "--batch-size", "0"])
    assert "--batch-size" in capsys.readouterr().err
