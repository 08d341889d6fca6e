"""<think> tags split across chunks separate reasoning from text without losing a character."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from axio_omni.wire.think import ThinkSplitter
from tests.helpers import split_at


def run(pieces: list[str]) -> list[tuple[bool, str]]:
    splitter = ThinkSplitter()
    out = [p for piece in pieces for p in splitter.feed(piece)] + splitter.flush()
    merged: list[tuple[bool, str]] = []
    for kind, text in out:
        if merged and merged[-1][0] == kind:
            merged[-1] = (kind, merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return merged


def test_tags_split_anywhere() -> None:
    assert run(["<th", "ink>I pon", "der</thi", "nk>The answer"]) == [(True, "I ponder"), (False, "The answer")]


def test_plain_text_passes_at_once() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed("a < b and c > d") == [(False, "a < b and c > d")]


def test_only_a_possible_tag_prefix_is_held() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed("x <thi") == [(False, "x ")]
    assert splitter.feed("s is not a tag") == [(False, "<this is not a tag")]


@given(
    st.lists(st.sampled_from(["<think>", "</think>", "<", ">", "a", "think", "</", " ", "é"]), max_size=40),
    st.lists(st.integers(min_value=0, max_value=200), max_size=10),
)
def test_split_points_do_not_matter(tokens: list[str], cuts: list[int]) -> None:
    text = "".join(tokens)
    pieces = split_at(text, cuts)
    assert run(pieces) == run([text])
    assert "".join(t for _, t in run(pieces)).replace("<think>", "").replace("</think>", "") == "".join(
        t for _, t in run([text])
    ).replace("<think>", "").replace("</think>", "")
