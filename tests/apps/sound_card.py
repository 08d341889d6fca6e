"""A stand-in for ``sounddevice`` (these machines have no sound card, and PyPI's wheel has no PortAudio).

It has the three stream classes axio-audio opens, driven by threads as PortAudio drives them: an
input stream hands ``blocksize`` frames of :attr:`SoundCard.microphone` to its callback at ten
times real time, then silence; an output stream asks its callback for 20 ms at a time and keeps
what it was given in :attr:`SoundCard.played`.
"""

from __future__ import annotations

import threading
import time
import types
from collections.abc import Callable
from typing import Any

#: How much faster than real time the streams run.
SPEED = 10.0


class SoundCard:
    """One test's card: what the microphone hears, and what the speaker played."""

    def __init__(self, microphone: bytes) -> None:
        self.microphone = microphone
        self.played = bytearray()
        self.rates: list[int] = []
        self.module = self._module()

    def _module(self) -> types.ModuleType:
        card = self

        class CallbackFlags:
            pass

        class _Stream:
            def __init__(self, *, samplerate: int, callback: Callable[..., None], blocksize: int = 0, **_: Any) -> None:
                card.rates.append(samplerate)
                self.rate, self.callback = samplerate, callback
                self.blocksize = blocksize or samplerate // 50
                self._stop = threading.Event()
                self._thread = threading.Thread(target=self._run, daemon=True)

            def start(self) -> None:
                self._thread.start()

            def stop(self) -> None:
                self._stop.set()
                self._thread.join(timeout=5)

            def close(self) -> None:
                self._stop.set()

            def _tick(self) -> None:
                time.sleep(self.blocksize / self.rate / SPEED)

            def _run(self) -> None:
                raise NotImplementedError

        class RawInputStream(_Stream):
            def _run(self) -> None:
                at, size = 0, 2 * self.blocksize
                while not self._stop.is_set():
                    data = card.microphone[at : at + size]
                    at += size
                    self.callback(data + bytes(size - len(data)), self.blocksize, None, CallbackFlags())
                    self._tick()

        class RawOutputStream(_Stream):
            def _run(self) -> None:
                while not self._stop.is_set():
                    out = bytearray(2 * self.blocksize)
                    self.callback(out, self.blocksize, None, CallbackFlags())
                    card.played += out
                    self._tick()

        module = types.ModuleType("sounddevice")
        module.CallbackFlags = CallbackFlags  # type: ignore[attr-defined]
        module.RawInputStream = RawInputStream  # type: ignore[attr-defined]
        module.RawOutputStream = RawOutputStream  # type: ignore[attr-defined]
        module.RawStream = RawInputStream  # type: ignore[attr-defined]
        return module
