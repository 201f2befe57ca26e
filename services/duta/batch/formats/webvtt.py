"""WebVTT (.vtt): the header and NOTE/STYLE/REGION blocks are kept; cue text is translated."""

from __future__ import annotations

from duta.batch.formats.base import Extracted, FormatError, FormatOptions
from duta.batch.formats.subtitles import extract_cues

__all__ = ["extract"]

_KEPT_BLOCKS = ("WEBVTT", "NOTE", "STYLE", "REGION")


def extract(data: bytes, options: FormatOptions) -> Extracted:
    """Every cue's text is one segment; identifiers, timings and cue settings are kept."""
    if not data.lstrip(b"\xef\xbb\xbf").startswith(b"WEBVTT"):
        raise FormatError("WebVTT: the file does not start with `WEBVTT`")
    return extract_cues(data, "WebVTT", _kept)


def _kept(lines: list[str]) -> bool:
    first = lines[0]
    return any(first == k or first.startswith((k + " ", k + "\t")) for k in _KEPT_BLOCKS)
