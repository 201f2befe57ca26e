"""What every format module gives the runner: segments to translate and a way to put them back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["Extracted", "FormatError", "FormatOptions", "Segment", "decode_text", "encode_text"]


class FormatError(ValueError):
    """A file that cannot be read as its format (corrupt, undecodable, wrong structure).

    The message names what is wrong and never quotes the file's text.
    """


@dataclass(frozen=True)
class Segment:
    """One unit of prose sent to the router.

    Attributes:
        text: the text, with protected pieces replaced by markers (see `markers.Masked`).
        html: True when `text` is HTML for the router's HTML mode.
        protect: the markers in `text`, sent as do-not-translate terms so they survive.
    """

    text: str
    html: bool = False
    protect: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormatOptions:
    """Per-job settings a format may need.

    Attributes:
        target: target language (BCP-47), written where the format records it (PO, XLIFF).
        fields: JSON/JSONL keys or paths to translate; empty means every string value.
    """

    target: str
    fields: tuple[str, ...] = ()


@dataclass
class Extracted:
    """A parsed document.

    Attributes:
        segments: the prose to translate, in document order.
        render: builds the translated document from one translation per segment.
    """

    segments: list[Segment]
    render: Callable[[Sequence[str]], bytes] = field(repr=False)


def decode_text(data: bytes, what: str = "text") -> tuple[str, bool]:
    """Decodes UTF-8 (with or without a BOM); returns (text, had_bom)."""
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        return data[3 if bom else 0 :].decode("utf-8"), bom
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"{what} is not valid UTF-8 (byte {exc.start}); convert the file to UTF-8"
        ) from None


def encode_text(text: str, bom: bool) -> bytes:
    """The inverse of `decode_text`."""
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
