"""Thin I/O layers: bytes in, ``wire`` in the middle, axio events out."""
