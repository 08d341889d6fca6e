"""Audio toolkit (numpy, soundfile, soxr; sans-I/O): samples, files, media types, resampling."""

from .codecs import ENCODABLE, decode_audio, encode_audio
from .media import MediaType, extension_for, parse_media_type, sniff_media_type
from .pcm import Samples, float_to_pcm16, mixdown, pcm16_to_float, pcm_block
from .resample import Resampler, resample

__all__ = [
    "ENCODABLE",
    "MediaType",
    "Resampler",
    "Samples",
    "decode_audio",
    "encode_audio",
    "extension_for",
    "float_to_pcm16",
    "mixdown",
    "parse_media_type",
    "pcm16_to_float",
    "pcm_block",
    "resample",
    "sniff_media_type",
]
