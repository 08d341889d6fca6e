"""The ``axio-omni`` command: ``serve`` runs the emulator, ``embed FILE`` embeds a file of texts."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from aiohttp import web

from .embed_cli import add_embed_command, main_embed
from .emulator import EmulatorState, make_app
from .emulator.quota import Quota

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="axio-omni", description="axio-omni tools")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the offline OpenAI-compatible emulator")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind, 0 for any free one (default: 8000)")
    serve.add_argument("--api-key", default=None, help="require this bearer key on every request")
    serve.add_argument(
        "--quota",
        default=None,
        metavar="N/SECONDS",
        help="a rate limit of N requests per SECONDS, with OpenAI's x-ratelimit-* headers and 429s (e.g. 3000/60)",
    )
    serve.add_argument(
        "--reuse-port",
        action="store_true",
        help="share the port with other emulators started so (SO_REUSEPORT): the kernel spreads connections",
    )
    add_embed_command(commands)
    args = parser.parse_args(argv)
    if args.command == "embed":
        return main_embed(args)
    if args.command == "serve":
        app = make_app(EmulatorState(api_key=args.api_key, quota=_quota(parser, args.quota)))
        try:
            return asyncio.run(_serve(app, args.host, args.port, args.reuse_port))
        except KeyboardInterrupt:
            return 0
    return 0


async def _serve(app: web.Application, host: str, port: int, reuse_port: bool) -> int:
    """Bind, then say where (the port actually bound, for ``--port 0``), then serve until Ctrl-C or
    SIGTERM. A port that cannot be bound is one line on stderr and exit status 1, not a traceback."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, reuse_port=reuse_port or None).start()
    except OSError as exc:
        await runner.cleanup()
        print(f"axio-omni serve: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr, flush=True)
        return 1
    bound = runner.addresses[0][1]
    shown = f"[{host}]" if ":" in host else host
    print(f"axio-omni emulator on http://{shown}:{bound}/v1 (Ctrl-C to stop)", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
    return 0


def _quota(parser: argparse.ArgumentParser, text: str | None) -> Quota | None:
    if text is None:
        return None
    limit, _, seconds = text.partition("/")
    try:
        quota = Quota(limit=int(limit), window=float(seconds or 60))
    except ValueError:
        parser.error(f"--quota takes N/SECONDS (like 3000/60), got {text!r}")
    if quota.limit < 1 or not quota.window > 0:
        parser.error(f"--quota needs N >= 1 and SECONDS > 0, got {text!r}")
    return quota


if __name__ == "__main__":
    raise SystemExit(main())
