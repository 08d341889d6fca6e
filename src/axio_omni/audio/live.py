"""Live sample-rate conversion with about 1 ms of delay: a polyphase windowed-sinc filter.

soxr (``resample.py``) holds up to 37 ms of audio inside its streaming buffer at its HQ setting,
and a realtime voice turn cannot afford that twice (once in, once out). This converter holds only
half its filter: 12 zero crossings of the lower rate's sinc, 0.75 ms at 16 kHz. It works in exact
rational steps (``src_rate / dst_rate`` reduced), so the output count follows the input count
without drift however long the stream runs, and a stream fed in chunks of any size equals the
same stream fed whole, so chunk edges make no clicks.

:class:`LivePcm` wraps it for 16-bit little-endian mono bytes, carrying an odd trailing byte over to
the next chunk.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from .pcm import Samples

__all__ = ["LivePcm", "LiveResampler", "live_delay_ms"]

#: Zero crossings of the sinc on each side, counted at the lower of the two rates.
_HALF_WIDTH = 12
#: Kaiser window shape: about 80 dB of signal-to-noise on a 1 kHz tone with this width.
_BETA = 7.0
#: The passband edge as a share of the lower rate's Nyquist frequency.
_CUTOFF = 0.92


def live_delay_ms(src_rate: int, dst_rate: int) -> float:
    """The audio one converter holds back, in milliseconds (0 when the rates are equal)."""
    if src_rate == dst_rate:
        return 0.0
    return 1000.0 * _HALF_WIDTH / min(src_rate, dst_rate)


def _bank(up: int, down: int) -> tuple[npt.NDArray[np.float32], int]:
    """The filter as one matrix over a period of ``up`` outputs, and the number of taps per output.

    Output ``k*up + o`` sits ``o*down/up`` inputs into period ``k``: its taps occupy column ``o``,
    shifted down by ``o*down//up`` rows, so a period's outputs are one window times this matrix.
    """
    scale = min(1.0, up / down)  # below 1 when downsampling: the sinc widens to cut the lower Nyquist
    taps = 2 * math.ceil(_HALF_WIDTH / scale)
    matrix = np.zeros((taps + (up - 1) * down // up, up), np.float64)
    offsets = np.arange(taps) - (taps // 2 - 1)
    for o in range(up):
        x = offsets - ((o * down) % up) / up  # each tap's distance from the output, in input samples
        # The Kaiser window evaluated at each tap's own distance, which differs per phase.
        w = np.i0(_BETA * np.sqrt(np.clip(1.0 - (2.0 * x / taps) ** 2, 0.0, None))) / np.i0(_BETA)
        h = scale * _CUTOFF * np.sinc(scale * _CUTOFF * x) * w
        shift = o * down // up
        matrix[shift : shift + taps, o] = h / h.sum()  # unit gain at DC for every phase
    return matrix.astype(np.float32), taps


class LiveResampler:
    """Streaming rate conversion of mono float32 samples; ``process`` a chunk, ``flush`` at the end."""

    __slots__ = ("src_rate", "dst_rate", "_up", "_down", "_bank", "_taps", "_history", "_next", "_consumed")

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        for name, rate in (("src_rate", src_rate), ("dst_rate", dst_rate)):
            if not isinstance(rate, int) or isinstance(rate, bool) or rate <= 0:
                raise ValueError(f"{name} must be a positive integer, got {rate!r}")
        self.src_rate, self.dst_rate = src_rate, dst_rate
        g = math.gcd(src_rate, dst_rate)
        self._up, self._down = dst_rate // g, src_rate // g
        self._bank, self._taps = _bank(self._up, self._down)
        # Input kept from earlier chunks, starting with silence before the stream's first sample.
        self._history = np.zeros(self._taps // 2 - 1, np.float32)
        #: Index of the next output sample, counted from the start of the stream.
        self._next = 0
        #: Input samples dropped from the front of ``_history`` so far (minus the silent lead).
        self._consumed = -(self._taps // 2 - 1)

    def process(self, chunk: npt.ArrayLike) -> Samples:
        """The converted samples that ``chunk`` completes; the filter's half-width waits for more input."""
        if self._up == self._down:
            return np.array(chunk, dtype=np.float32)
        data = np.concatenate((self._history, np.asarray(chunk, dtype=np.float32)))
        return self._run(data)

    def flush(self) -> Samples:
        """The samples still held at the end of the stream (the input is padded with silence)."""
        if self._up == self._down:
            return np.zeros(0, np.float32)
        data = np.concatenate((self._history, np.zeros(self._taps // 2, np.float32)))
        out = self._run(data)
        self._history = np.zeros(0, np.float32)
        return out

    def _periods(self, data: Samples, first: int, final: int) -> Samples:
        """Every output of periods ``first`` to ``final``; inputs outside ``data`` read as silence
        (only outputs the caller drops ever read them)."""
        down, taps, width = self._down, self._taps, self._bank.shape[0]
        start = first * down - (taps // 2 - 1) - self._consumed  # the first window's place in ``data``
        end = final * down - (taps // 2 - 1) - self._consumed + width
        front, back = max(0, -start), max(0, end - len(data))
        if front or back:
            data = np.concatenate((np.zeros(front, np.float32), data, np.zeros(back, np.float32)))
        data = np.ascontiguousarray(data, np.float32)
        # The windows as a view (rows ``down`` inputs apart), copied once: a product over a strided
        # view runs outside BLAS, twice as slow as the copy and the product together.
        rows = np.ndarray((final - first + 1, width), np.float32, data, (start + front) * 4, (down * 4, 4))
        periods: Samples = (np.ascontiguousarray(rows) @ self._bank).reshape(-1)
        return periods

    def _run(self, data: Samples) -> Samples:
        up, down, taps = self._up, self._down, self._taps
        # Output n sits at input position n*down/up; it needs inputs base-(taps/2-1) .. base+taps/2.
        available = self._consumed + len(data)  # absolute index one past the last input held
        # The last output whose window is complete: floor(n*down/up) <= available - taps/2 - 1.
        last = ((available - taps // 2) * up - 1) // down
        if last < self._next:
            out = np.zeros(0, np.float32)
        else:
            out = self._periods(data, self._next // up, last // up)[self._next % up :][: last + 1 - self._next]
            self._next = last + 1
        # Keep what the next output still needs.
        keep_from = self._next * down // up - (taps // 2 - 1) - self._consumed
        keep_from = max(0, min(keep_from, len(data)))
        self._history = data[keep_from:]
        self._consumed += keep_from
        return out


class LivePcm:
    """16-bit little-endian mono PCM bytes from one rate to another, chunk by chunk.

    Chunks may hold any number of bytes, odd ones included: a trailing half sample waits for the
    next chunk. Samples are clipped to 16 bits and rounded to the nearest step.
    """

    __slots__ = ("src_rate", "dst_rate", "_resampler", "_carry", "frames_in", "frames_out")

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        self.src_rate, self.dst_rate = src_rate, dst_rate
        self._resampler = None if src_rate == dst_rate else LiveResampler(src_rate, dst_rate)
        self._carry = b""
        #: Samples taken in and given out so far.
        self.frames_in = 0
        self.frames_out = 0

    def convert(self, data: bytes) -> bytes:
        """The converted bytes available after ``data`` (whole 16-bit samples, possibly none)."""
        if self._carry:
            data = self._carry + data
            self._carry = b""
        if len(data) % 2:
            data, self._carry = data[:-1], data[-1:]
        self.frames_in += len(data) // 2
        if self._resampler is None:
            self.frames_out += len(data) // 2
            return bytes(data)
        samples = np.frombuffer(data, dtype="<i2").astype(np.float32)
        return self._pack(self._resampler.process(samples))

    def flush(self) -> bytes:
        """The samples still held by the filter; a dangling half sample is dropped."""
        self._carry = b""
        if self._resampler is None:
            return b""
        return self._pack(self._resampler.flush())

    def _pack(self, samples: Samples) -> bytes:
        self.frames_out += len(samples)
        # In place (the samples are this converter's own), and by the ufuncs themselves: np.clip's
        # Python wrapper costs more than the clipping of a 20 ms frame.
        np.rint(samples, out=samples)
        np.maximum(samples, -32768.0, out=samples)
        np.minimum(samples, 32767.0, out=samples)
        return samples.astype("<i2").tobytes()
