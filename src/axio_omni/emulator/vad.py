"""The emulator's server VAD: speech found in appended 24 kHz PCM by its energy, 20 ms at a time.

Sans-I/O. ``threshold`` (0 to 1, OpenAI's scale) maps to a level from -60 dBFS (0) to -10 dBFS (1);
the default 0.5 is -35 dBFS, well above a quiet room and well below a voice. Speech starts at the
first loud frame (reported ``prefix_padding_ms`` earlier, as OpenAI does) and stops after
``silence_duration_ms`` of quiet frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["EnergyVad", "VadEvent"]

_FRAME = 480  # 20 ms at 24 kHz


@dataclass(frozen=True, slots=True)
class VadEvent:
    """``started`` or ``stopped``, at ``ms`` into the session's input audio."""

    kind: str
    ms: int


class EnergyVad:
    """Feed PCM16 bytes; get speech starts and stops."""

    def __init__(self, *, threshold: float = 0.5, prefix_padding_ms: int = 300, silence_duration_ms: int = 500) -> None:
        self.level = 10 ** ((-60.0 + 50.0 * threshold) / 20.0)
        self.prefix_padding_ms, self.silence_duration_ms = prefix_padding_ms, silence_duration_ms
        self.speaking = False
        self._pending = np.zeros(0, np.float32)
        self._frames = 0
        self._quiet_ms = 0

    @property
    def ms(self) -> int:
        """The input audio seen so far, in ms (whole frames)."""
        return self._frames * 20

    def feed(self, pcm: bytes) -> list[VadEvent]:
        samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], "<i2").astype(np.float32) / 32768.0
        data = np.concatenate((self._pending, samples))
        whole = len(data) // _FRAME * _FRAME
        self._pending = data[whole:]
        out: list[VadEvent] = []
        if not whole:
            return out
        rms = np.sqrt(np.mean(data[:whole].reshape(-1, _FRAME) ** 2, axis=1))
        for loud in rms > self.level:
            self._frames += 1
            if loud:
                self._quiet_ms = 0
                if not self.speaking:
                    self.speaking = True
                    out.append(VadEvent("started", max(0, self.ms - 20 - self.prefix_padding_ms)))
            elif self.speaking:
                self._quiet_ms += 20
                if self._quiet_ms >= self.silence_duration_ms:
                    self.speaking = False
                    out.append(VadEvent("stopped", self.ms - self._quiet_ms))
        return out

    def reset(self) -> None:
        """Forget the speech in progress (the buffer was cleared or committed)."""
        self.speaking, self._quiet_ms = False, 0
