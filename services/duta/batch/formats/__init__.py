"""Document formats: each turns a file into segments of prose and puts translations back.

One module per format; `FORMATS` maps file extensions to them. An extension not listed is
reported as unsupported, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath

from duta.batch.formats import docx, html, jsonfmt, markdown, po, pptx, srt, text, webvtt, xliff
from duta.batch.formats.base import Extracted, FormatError, FormatOptions, Segment

__all__ = [
    "FORMATS",
    "Extracted",
    "Format",
    "FormatError",
    "FormatOptions",
    "Segment",
    "format_for",
    "supported_extensions",
]


@dataclass(frozen=True)
class Format:
    """A document format: its name and its extract function."""

    name: str
    extract: Callable[[bytes, FormatOptions], Extracted]


_BY_NAME = {
    "text": (text.extract, (".txt", ".text")),
    "markdown": (markdown.extract, (".md", ".markdown")),
    "html": (html.extract, (".html", ".htm", ".xhtml")),
    "docx": (docx.extract, (".docx",)),
    "pptx": (pptx.extract, (".pptx",)),
    "srt": (srt.extract, (".srt",)),
    "webvtt": (webvtt.extract, (".vtt",)),
    "po": (po.extract, (".po", ".pot")),
    "xliff": (xliff.extract, (".xlf", ".xliff")),
    "json": (jsonfmt.extract_json, (".json",)),
    "jsonl": (jsonfmt.extract_jsonl, (".jsonl", ".ndjson")),
}

FORMATS: dict[str, Format] = {
    extension: Format(name, extract)
    for name, (extract, extensions) in _BY_NAME.items()
    for extension in extensions
}


def format_for(path: PurePath) -> Format | None:
    """The format of a file, by its extension (case-insensitive); None when unsupported."""
    return FORMATS.get(path.suffix.lower())


def supported_extensions() -> str:
    """The extensions, for messages."""
    return " ".join(sorted(FORMATS))
