"""Speech wire logic: text cut at sentences, WAV pieces joined, transcriptions read, recordings cut."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given
from hypothesis import strategies as st

from axio_omni.audio import encode_audio
from axio_omni.audio.split import iter_pieces
from axio_omni.errors import MalformedResponseError
from axio_omni.wire.speech import WavJoiner, split_text
from tests.helpers import split_at

WORDS = st.text(alphabet="abcdefghij", min_size=1, max_size=30)
SENTENCES = st.lists(
    st.builds(
        lambda ws, end: " ".join(ws) + end,
        st.lists(WORDS, min_size=1, max_size=12),
        st.sampled_from([".", "!", "?", ","]),
    ),
    min_size=1,
    max_size=40,
)


@given(SENTENCES, st.integers(20, 400))
def test_split_text_keeps_every_word_within_the_limit(sentences: list[str], limit: int) -> None:
    text = " ".join(sentences)
    pieces = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())  # no character lost or moved
    if all(len(w) <= limit for w in text.split()):
        assert " ".join(pieces).split() == text.split()  # and no word cut when every word fits


def test_split_prefers_sentence_boundaries() -> None:
    text = "One two three. Four five six! Seven eight nine?"
    assert split_text(text, 30) == ["One two three.", "Four five six! Seven eight", "nine?"] or all(
        p.endswith((".", "!", "?")) for p in split_text(text, 30)
    )
    assert split_text(text, 31) == ["One two three. Four five six!", "Seven eight nine?"]
    assert split_text("x" * 10, 4) == ["xxxx", "xxxx", "xx"]


@given(st.lists(st.integers(1, 3000), min_size=1, max_size=4), st.lists(st.integers(0, 20000), max_size=8))
def test_wav_pieces_join_into_one_readable_stream(lengths: list[int], cuts: list[int]) -> None:
    rng = np.random.default_rng(len(lengths))
    signals = [(rng.standard_normal(n) * 0.1).astype(np.float32) for n in lengths]
    joiner, out = WavJoiner(), b""
    for signal in signals:
        joiner.start_piece()
        for part in split_at(encode_audio(signal, 16000, "wav"), cuts):
            out += joiner.feed(part)
    back, rate = sf.read(io.BytesIO(out), dtype="float32")
    assert rate == 16000 and len(back) == sum(lengths)
    assert np.max(np.abs(back - np.concatenate(signals))) < 1e-3


def test_wav_pieces_of_different_formats_are_refused() -> None:
    joiner = WavJoiner()
    joiner.start_piece()
    joiner.feed(encode_audio(np.zeros(10, np.float32), 16000, "wav"))
    joiner.start_piece()
    with pytest.raises(MalformedResponseError, match="different formats"):
        joiner.feed(encode_audio(np.zeros(10, np.float32), 22050, "wav"))
    with pytest.raises(MalformedResponseError, match="RIFF"):
        WavJoiner().feed(b"ID3 not a wav")


def speechlike(rate: int, seconds: float, pause_every: float) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.3 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * t / pause_every) > -0.5)).astype(np.float32)


def test_cuts_fall_in_pauses() -> None:
    rate = 8000
    signal = speechlike(rate, 120, 9)
    pieces = list(iter_pieces(encode_audio(signal, rate, "wav"), max_seconds=40))
    cuts = [round(p.start * rate) for p in pieces[1:]]
    assert cuts and all(abs(float(signal[c])) < 1e-6 for c in cuts)
    assert all(p.duration <= 40 for p in pieces)


def test_pieces_reassemble_exactly_and_stay_within_the_limit() -> None:
    rate = 16000
    signal = speechlike(rate, 200, 7)
    pieces = list(iter_pieces(encode_audio(signal, rate, "wav"), max_seconds=45))
    assert len(pieces) >= 5 and all(p.duration <= 45 for p in pieces)
    assert [round(p.start, 6) for p in pieces] == [
        round(sum(q.duration for q in pieces[:i]), 6) for i in range(len(pieces))
    ]
    back = np.concatenate([sf.read(io.BytesIO(p.data), dtype="float32")[0] for p in pieces])
    assert len(back) == len(signal) and np.max(np.abs(back - signal)) < 1e-3
    assert all(p.duration > 30 for p in pieces[:-1])  # cut late in each window, not early
