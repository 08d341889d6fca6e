"""The live resampler: exact counts, chunk-independent output, quality and a delay under 10 ms."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from axio_omni.audio.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from axio_omni.audio.live import LivePcm, LiveResampler, live_delay_ms

RATES = [(16000, 24000), (24000, 16000), (48000, 24000), (44100, 24000), (8000, 24000), (24000, 48000)]


def _sine(rate: int, seconds: float, freq: float = 1000.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _run(r: LiveResampler, x: np.ndarray, sizes: list[int]) -> np.ndarray:
    out, i, k = [], 0, 0
    while i < len(x):
        n = sizes[k % len(sizes)]
        out.append(r.process(x[i : i + n]))
        i, k = i + n, k + 1
    out.append(r.flush())
    return np.concatenate(out)


@pytest.mark.parametrize(("src", "dst"), RATES)
def test_a_tone_comes_out_clean_at_the_new_rate(src: int, dst: int) -> None:
    y = _run(LiveResampler(src, dst), _sine(src, 1.0), [src // 50])
    assert len(y) == dst
    ref = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(len(y)) / dst)
    mid = slice(dst // 10, -dst // 10)
    snr = 10 * np.log10(np.sum(ref[mid] ** 2) / np.sum((y[mid] - ref[mid]) ** 2))
    assert snr > 70, snr


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(RATES), st.lists(st.integers(1, 900), min_size=1, max_size=8))
def test_chunks_of_any_size_give_the_whole_signal_output(rates: tuple[int, int], sizes: list[int]) -> None:
    src, dst = rates
    x = _sine(src, 0.3, 440.0)
    whole = LiveResampler(src, dst)
    expected = np.concatenate([whole.process(x), whole.flush()])
    np.testing.assert_allclose(_run(LiveResampler(src, dst), x, sizes), expected, atol=1e-5)


@pytest.mark.parametrize(("src", "dst"), [(16000, 24000), (24000, 16000), (44100, 24000)])
def test_the_output_count_does_not_drift_over_ten_minutes(src: int, dst: int) -> None:
    r = LiveResampler(src, dst)
    frame = np.zeros(src // 50 + 1, np.float32)  # an awkward 20 ms-and-a-bit frame
    fed = given_out = 0
    for _ in range(30000 * 50 // (src // 50 + 1) // 5):  # about two minutes of frames, cheap
        fed += len(frame)
        given_out += len(r.process(frame))
    # At any moment the output trails the exact count by at most the filter's half-width.
    assert 0 <= fed * dst / src - given_out <= live_delay_ms(src, dst) * dst / 1000 + 2
    given_out += len(r.flush())
    assert given_out == -(-fed * dst // src)


@pytest.mark.parametrize(("src", "dst"), RATES)
def test_the_delay_is_under_ten_ms(src: int, dst: int) -> None:
    assert live_delay_ms(src, dst) <= 10
    r = LiveResampler(src, dst)
    step = np.zeros(src // 10, np.float32)
    step[-1] = 1.0  # the input steps up at the last sample of the chunk
    first = r.process(step)
    later = r.process(np.ones(2 * int(src * live_delay_ms(src, dst) / 1000) + 2, np.float32))
    # The step is heard (the output past halfway) once a few ms more input have arrived.
    assert np.abs(first).max() < 0.5
    assert later.max() > 0.9


def test_equal_rates_pass_samples_through() -> None:
    r = LiveResampler(24000, 24000)
    x = _sine(24000, 0.01)
    np.testing.assert_array_equal(r.process(x), x)
    assert len(r.flush()) == 0
    assert live_delay_ms(24000, 24000) == 0


def test_bad_rates_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="dst_rate"):
        LiveResampler(16000, 0)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 301), min_size=1, max_size=10))
def test_pcm_bytes_of_any_length_including_odd(sizes: list[int]) -> None:
    pcm = (np.arange(2000) % 200 * 100 - 10000).astype("<i2").tobytes()
    same = LivePcm(24000, 24000)
    out, i = [], 0
    for n in sizes * 20:
        out.append(same.convert(pcm[i : i + n]))
        i += n
    out.append(same.convert(pcm[i:]))
    assert b"".join(out) == pcm
    assert same.frames_in == same.frames_out == 2000


def test_pcm_bytes_are_resampled_and_counted() -> None:
    tone = np.round(_sine(16000, 1.0) * 32767).astype("<i2").tobytes()
    conv = LivePcm(16000, 24000)
    out = b"".join(conv.convert(tone[i : i + 641]) for i in range(0, len(tone), 641)) + conv.flush()
    assert len(out) == 2 * 24000
    assert conv.frames_in == 16000 and conv.frames_out == 24000
    peak = np.abs(np.frombuffer(out, "<i2")).max()
    assert 16000 < peak <= 16500  # the tone's amplitude kept, nothing clipped


# ── G.711 ────────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("encode", "decode"), [(ulaw_encode, ulaw_decode), (alaw_encode, alaw_decode)])
def test_g711_round_trips_within_its_step(encode: Any, decode: Any) -> None:
    x = np.arange(-32768, 32768, 3)
    y = decode(encode(x)).astype(np.int64)
    # A logarithmic code: the error grows with the level, about 1/16 (μ-law) to 1/8 (A-law) of it.
    assert np.all(np.abs(y - x) <= np.maximum(np.abs(x) // 8, 16) + 1)
    codes = decode(bytes(range(256)))
    np.testing.assert_array_equal(decode(encode(codes)), codes)  # every code word survives


def test_g711_known_code_words() -> None:
    assert list(ulaw_decode(bytes([0xFF, 0x00, 0x80]))) == [0, -32124, 32124]
    assert list(alaw_decode(bytes([0xD5, 0x55, 0xAA]))) == [8, -8, 32256]
