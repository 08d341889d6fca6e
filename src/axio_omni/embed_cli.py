"""``axio-omni embed FILE``: embed a text file (one text per line, or JSONL) into a ``.npy`` array."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from .errors import ConfigurationError, OmniError
from .fields import parse_setting
from .pool import TransportPool
from .transports.base import default_base_url
from .transports.embeddings import OpenAIEmbeddingTransport

__all__ = ["add_embed_command", "main_embed", "read_texts", "run_embed"]


def setting_arg(cls: type, name: str) -> Callable[[str], Any]:
    """An argparse ``type`` that reads a setting of ``cls`` by its field rule, as the constructor checks it."""

    def parse(text: str) -> Any:
        try:
            return parse_setting(cls, name, text)
        except ConfigurationError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = name
    return parse


def _setting_option(group: argparse._ArgumentGroup, flag: str, name: str, help: str, **options: Any) -> None:
    """``flag`` for the embedding transport's setting ``name``: read by its rule, defaulting to the
    transport's own default (which the help then shows)."""
    default = next(f.default for f in dataclasses.fields(OpenAIEmbeddingTransport) if f.name == name)
    shown = " (default: %(default)s)" if default is not None else ""
    setting_type = setting_arg(OpenAIEmbeddingTransport, name)
    group.add_argument(flag, type=setting_type, default=default, help=help + shown, **options)


def add_embed_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    embed = commands.add_parser(
        "embed",
        help="embed a file of texts into a .npy array (or, with --ray, .parquet)",
        description="Embed a file of texts: the vectors go to a .npy array (float32, a row per text, in order), "
        "or with --ray and an output ending in .parquet, to Parquet rows of id and embedding.",
    )
    embed.add_argument("file", type=Path, help="one text per line, or JSON Lines (.jsonl, or --jsonl)")
    embed.add_argument(
        "-o",
        "--output",
        type=Path,
        help="where to write the vectors: .npy, or with --ray .parquet (rows of id and embedding) (default: FILE.npy)",
    )
    embed.add_argument("--jsonl", action="store_true", help="read JSON Lines whatever the file name")
    embed.add_argument("--field", default="text", help="the JSONL field holding the text (default: %(default)s)")
    server = embed.add_argument_group("the server and the model")
    server.add_argument(
        "--base-url",
        type=setting_arg(OpenAIEmbeddingTransport, "base_url"),
        help="the server (default: OPENAI_BASE_URL or OpenAI)",
    )
    _setting_option(server, "--api-key-env", "api_key_env", "the variable holding the key")
    _setting_option(server, "--model", "model", "the embedding model")
    _setting_option(server, "--dimensions", "dimensions", "shorter vectors (default: the model's)")
    _setting_option(
        server, "--format", "encoding_format", "base64 or float, how the vectors travel", dest="encoding_format"
    )
    batching = embed.add_argument_group("batching and reruns")
    _setting_option(batching, "--batch-size", "max_inputs", "inputs per request")
    _setting_option(batching, "--concurrency", "max_concurrency", "requests at once")
    _setting_option(batching, "--cache", "cache", "a SQLite file: a rerun pays only for texts not in it")
    ray = embed.add_argument_group("Ray (the ray extra)")
    ray.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="embed on Ray Data: on this machine, or on the cluster at ADDRESS",
    )
    ray.add_argument(
        "--workers", type=_workers, default=4, help="Ray workers, each with its own connections (default: %(default)s)"
    )


def _workers(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"--workers must be a whole number of at least 1, got {text!r}")
    return int(text)


def read_texts(path: Path, *, jsonl: bool, field: str) -> list[str]:
    """The texts of ``path``, blank lines skipped; raises ValueError naming a line that has no text."""
    texts: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        if not jsonl:
            texts.append(line)
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc})") from None
        text = record.get(field) if isinstance(record, dict) else record
        if not isinstance(text, str) or not text:
            raise ValueError(f"{path}:{number}: no text (expected a string or an object with {field!r})")
        texts.append(text)
    return texts


class _Bar:
    """A one-line progress bar on a terminal (or a line every ten percent elsewhere)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started = time.monotonic()
        self.tty = out.isatty()
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 * done // max(total, 1)
        if not self.tty and percent // 10 == self.shown // 10 and done < total:
            return
        self.shown = percent
        filled = 30 * done // max(total, 1)
        rate = done / max(time.monotonic() - self.started, 1e-9)
        line = f"[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {percent:3d}% {rate:,.0f} texts/s"
        self.out.write(("\r" if self.tty else "") + line + ("" if self.tty and done < total else "\n"))
        self.out.flush()


async def run_embed(args: argparse.Namespace) -> int:
    jsonl = args.jsonl or args.file.suffix == ".jsonl"
    try:
        texts = read_texts(args.file, jsonl=jsonl, field=args.field)
    except (OSError, ValueError) as exc:
        print(f"axio-omni embed: {exc}", file=sys.stderr)
        return 2
    output = args.output or args.file.with_suffix(".npy")
    if getattr(args, "ray", None) is not None:
        return await asyncio.to_thread(_embed_on_ray, args, texts, output)
    async with TransportPool() as pool:
        transport = _transport(args, pool=pool)
        result = await transport.embed_batch(texts, progress=_Bar(sys.stderr))
    np.save(output, result.vectors)
    print(
        f"{len(texts)} texts -> {output} {result.vectors.shape}; {result.requests} requests, "
        f"{result.cached} from cache, {result.usage.prompt_tokens} tokens",
        file=sys.stderr,
    )
    return 0


def _transport(args: argparse.Namespace, **runtime: Any) -> OpenAIEmbeddingTransport:
    return OpenAIEmbeddingTransport(
        base_url=args.base_url or default_base_url(),
        api_key_env=args.api_key_env,
        model=args.model,
        dimensions=args.dimensions,
        encoding_format=args.encoding_format,
        max_inputs=args.batch_size,
        max_concurrency=args.concurrency,
        cache=args.cache,
        **runtime,
    )


def _embed_on_ray(args: argparse.Namespace, texts: list[str], output: Path) -> int:
    """``--ray``: the same embedding on Ray Data; a ``.parquet`` output gets ``id`` and ``embedding`` rows."""
    try:
        from .ray import embed_texts
    except ImportError as exc:
        print(f"axio-omni embed --ray needs the ray extra: pip install 'axio-omni[ray]' ({exc})", file=sys.stderr)
        return 2
    address = None if args.ray == "local" else args.ray
    parquet = str(output) if output.suffix == ".parquet" else None
    started = time.monotonic()
    vectors = embed_texts(texts, _transport(args), address=address, workers=args.workers, parquet=parquet)
    if vectors is not None:
        np.save(output, vectors)
    seconds = time.monotonic() - started
    print(
        f"{len(texts)} texts -> {output} on Ray ({args.workers} workers) in {seconds:.1f}s, "
        f"{len(texts) / max(seconds, 1e-9):,.0f} texts/s",
        file=sys.stderr,
    )
    return 0


def main_embed(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(run_embed(args))
    except OmniError as exc:
        print(f"axio-omni embed: {exc}", file=sys.stderr)
        return 1
