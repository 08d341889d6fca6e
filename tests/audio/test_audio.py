"""The audio toolkit: samples, files, media types and resampling, measured rather than assumed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from axio_omni.audio import (
    Resampler,
    decode_audio,
    encode_audio,
    extension_for,
    float_to_pcm16,
    mixdown,
    parse_media_type,
    pcm16_to_float,
    resample,
    sniff_media_type,
)

RATES = [8000, 16000, 22050, 24000, 44100, 48000]


def sine(freq: float, rate: int, seconds: float = 1.0) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate)).astype(np.float32)


def snr_db(signal: np.ndarray, reference: np.ndarray) -> float:
    n = min(len(signal), len(reference))
    s, r = signal[:n], reference[:n]
    noise = float(np.sum((s - r) ** 2))
    return float("inf") if noise == 0 else float(10 * np.log10(np.sum(r**2) / noise))


@given(st.lists(st.integers(-32768, 32767), max_size=200))
def test_pcm16_round_trip_is_exact(values: list[int]) -> None:
    raw = np.asarray(values, dtype="<i2").tobytes()
    assert float_to_pcm16(pcm16_to_float(raw)) == raw or all(v == -32768 for v in values if v < -32767)


def test_pcm_scaling_clipping_and_channels() -> None:
    assert pcm16_to_float(np.asarray([16384, -32768], "<i2").tobytes()).tolist() == [0.5, -1.0]
    assert np.frombuffer(float_to_pcm16([2.0, -2.0]), "<i2").tolist() == [32767, -32767]
    stereo = pcm16_to_float(np.asarray([100, 300, -100, -300], "<i2").tobytes(), channels=2)
    assert stereo.shape == (2, 2) and mixdown(stereo).tolist() == pytest.approx([200 / 32768, -200 / 32768])
    with pytest.raises(ValueError, match="whole"):
        pcm16_to_float(b"\x00\x01\x02", channels=1)


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "opus", "mp3"])
def test_encode_decode_round_trip(fmt: str) -> None:
    rate = 24000 if fmt in ("opus", "mp3") else 16000
    signal = sine(440, rate)
    data = encode_audio(signal, rate, fmt)
    back, got_rate = decode_audio(data)
    assert got_rate in (rate, 48000)  # Opus decoders may report 48 kHz
    if fmt in ("wav", "flac"):
        assert np.max(np.abs(back - signal)) < 1e-4
    else:
        assert abs(len(back) / got_rate - 1.0) < 0.1  # lossy: the duration survives


def test_raw_pcm_decodes_with_its_rate() -> None:
    samples, rate = decode_audio(float_to_pcm16(sine(100, 8000)), "Audio/PCM ; rate = 8000")
    assert rate == 8000 and len(samples) == 8000
    with pytest.raises(ValueError, match="rate"):
        decode_audio(b"\x00\x00", "audio/pcm")
    with pytest.raises(ValueError, match="cannot decode"):
        decode_audio(b"definitely not audio")


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3"])
def test_sniffing_by_magic_bytes(fmt: str) -> None:
    expected = {"wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg", "mp3": "audio/mpeg"}[fmt]
    assert sniff_media_type(encode_audio(sine(300, 24000, 0.2), 24000, fmt)) == expected


def test_sniffing_containers() -> None:
    assert sniff_media_type(b"\x00\x00\x00\x20ftypM4A \x00\x00") == "audio/mp4"
    assert sniff_media_type(b"\x1a\x45\xdf\xa3\x01\x00") == "audio/webm"
    assert sniff_media_type(b"ID3\x04\x00") == "audio/mpeg"
    assert sniff_media_type(b"hello world") is None


def test_media_type_parsing_is_tolerant() -> None:
    parsed = parse_media_type('AUDIO/PCM; Rate="16000";channels=1')
    assert (parsed.type, parsed.rate, parsed.params["channels"]) == ("audio/pcm", 16000, "1")
    assert parse_media_type("audio/wav").rate is None
    assert parse_media_type("audio/pcm;rate=abc").rate is None
    with pytest.raises(ValueError):
        parse_media_type("wav")
    assert extension_for("audio/x-m4a") == "m4a" and extension_for("audio/unknown") is None


def test_1khz_16k_to_24k_keeps_60db() -> None:
    """The issue's quality bar, measured: a 1 kHz sine resampled 16 kHz -> 24 kHz."""
    out = resample(sine(1000, 16000, 2.0), 16000, 24000)
    reference = sine(1000, 24000, 2.0)
    assert len(out) == 48000
    assert snr_db(out[2000:-2000], reference[2000:-2000]) >= 60


@pytest.mark.parametrize("src", RATES)
@pytest.mark.parametrize("dst", RATES)
def test_every_usual_rate_pair_keeps_speech_band_quality(src: int, dst: int) -> None:
    out = resample(sine(300, src, 1.0), src, dst)
    assert abs(len(out) - dst) <= 1
    assert snr_db(out[500:-500], sine(300, dst, 1.0)[500:-500]) >= 60


@given(st.lists(st.integers(1, 2000), min_size=1, max_size=20))
def test_chunked_resampling_equals_whole_no_clicks(sizes: list[int]) -> None:
    signal = sine(700, 16000, 1.0)
    stream = Resampler(16000, 24000)
    pieces, at = [], 0
    for size in sizes:
        pieces.append(stream.process(signal[at : at + size]))
        at += size
    pieces.append(stream.process(signal[at:]))
    pieces.append(stream.flush())
    chunked = np.concatenate(pieces)
    whole = resample(signal, 16000, 24000)
    assert len(chunked) == len(whole)
    assert np.max(np.abs(chunked - whole)) < 1e-5


def test_resampler_rejects_bad_rates_and_passes_equal_rates() -> None:
    with pytest.raises(ValueError, match="src_rate"):
        resample([0.0], 0, 16000)
    same = Resampler(16000, 16000)
    assert same.process([0.1, 0.2]).tolist() == pytest.approx([0.1, 0.2]) and len(same.flush()) == 0
