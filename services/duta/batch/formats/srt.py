"""SubRip (.srt): numbered cues, ``00:00:01,000 --> 00:00:04,000`` timings, text lines."""

from __future__ import annotations

from duta.batch.formats.base import Extracted, FormatOptions
from duta.batch.formats.subtitles import extract_cues

__all__ = ["extract"]


def extract(data: bytes, options: FormatOptions) -> Extracted:
    """Every cue's text is one segment; indices and timings are kept."""
    return extract_cues(data, "SRT", lambda lines: False)
