"""JSON and JSON Lines: the string values named by ``--fields`` (all of them when none are).

The document is edited as text — only the chosen string literals are rewritten — so keys,
numbers, key order, indentation and every other byte stay as they are. A field is a key name
(``title``: that key at any depth, and the items of a list under it) or a path from the root
(``$.items[*].title``, ``items.*.title``, ``$.title``; ``*`` matches any key or index).
Nested i18n files (``{"menu": {"open": "Open {name}"}}``) are translated whole with no
``--fields``. App placeholders (``{name}``, ``{{count}}``, ``%s``, tags) and URLs are protected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from duta.batch.formats.base import (
    Extracted,
    FormatError,
    FormatOptions,
    Segment,
    decode_text,
    encode_text,
)
from duta.batch.formats.markers import APP_PLACEHOLDERS, Masked, has_prose, mask

__all__ = ["extract_json", "extract_jsonl", "parse_field"]

Path = tuple[str | int, ...]

_TOKEN = re.compile(
    r'\s*(?:("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)|([{}\[\]:,]))',
    re.S,
)
_PATH_PART = re.compile(r"\[(\*|\d+)\]|\.?([^.\[\]]+)")


@dataclass(frozen=True)
class _Value:
    start: int
    end: int
    masked: Masked


def parse_field(spec: str) -> tuple[str | int, ...]:
    """A field spec as path parts from the root; a bare key name becomes ``("**", name)``."""
    spec = spec.strip()
    if spec and not set(spec) & set("$.[]*"):
        return ("**", spec)  # that key at any depth
    if spec.startswith("$"):
        spec = spec[1:]
    parts: list[str | int] = []
    for index, name in _PATH_PART.findall(spec):
        if index:
            parts.append("*" if index == "*" else int(index))
        else:
            parts.append(name)
    if not parts:
        raise ValueError(f"empty --fields entry {spec!r}")
    return tuple(parts)


def extract_json(data: bytes, options: FormatOptions) -> Extracted:
    """The chosen string values of one JSON document."""
    text, bom = decode_text(data, "JSON")
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"JSON does not parse (line {exc.lineno}, column {exc.colno})") from None
    return _extracted(text, bom, _values(text, 0, options.fields))


def extract_jsonl(data: bytes, options: FormatOptions) -> Extracted:
    """The chosen string values of every line of a JSON Lines file."""
    text, bom = decode_text(data, "JSON Lines")
    values: list[_Value] = []
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        if line.strip():
            try:
                json.loads(line)
            except json.JSONDecodeError:
                raise FormatError(f"JSON Lines: line {number} is not valid JSON") from None
            values.extend(_values(line, offset, options.fields))
        offset += len(line)
    return _extracted(text, bom, values)


def _extracted(text: str, bom: bool, values: list[_Value]) -> Extracted:
    def render(translations: Sequence[str]) -> bytes:
        out, last = [], 0
        for value, translated in zip(values, translations, strict=True):
            out.append(text[last : value.start])
            out.append(json.dumps(value.masked.unmask(translated), ensure_ascii=False))
            last = value.end
        out.append(text[last:])
        return encode_text("".join(out), bom)

    return Extracted([Segment(v.masked.text, protect=v.masked.markers) for v in values], render)


def _values(text: str, offset: int, fields: tuple[str, ...]) -> list[_Value]:
    specs = [parse_field(f) for f in fields]
    found = []
    for path, start, end in _strings(text):
        if specs and not any(_matches(spec, path) for spec in specs):
            continue
        masked = mask(json.loads(text[start:end]), APP_PLACEHOLDERS)
        if has_prose(masked.text):
            found.append(_Value(offset + start, offset + end, masked))
    return found


def _matches(spec: tuple[str | int, ...], path: Path) -> bool:
    if spec[0] == "**":  # that key's value, or the items of a list (of lists) under it
        keys = list(path)
        while keys and isinstance(keys[-1], int):
            keys.pop()
        return bool(keys) and keys[-1] == spec[1]
    return len(spec) == len(path) and all(s in ("*", p) for s, p in zip(spec, path, strict=True))


def _strings(text: str) -> Iterator[tuple[Path, int, int]]:
    """(path, start, end) of every string value (not key) of a valid JSON text."""
    stack: list[list[str | int]] = []  # per open container: [kind, key or index]
    expect_key = False
    pending_key: str | None = None
    for match in _TOKEN.finditer(text):
        string, _, punct = match.groups()
        if punct in ("{", "["):
            stack.append(["{", ""] if punct == "{" else ["[", 0])
            expect_key = punct == "{"
        elif punct in ("}", "]"):
            stack.pop()
        elif punct == ",":
            if stack and stack[-1][0] == "[":
                stack[-1][1] = int(stack[-1][1]) + 1
            expect_key = bool(stack) and stack[-1][0] == "{"
        elif punct == ":":
            expect_key = False
            stack[-1][1] = pending_key or ""
        elif string is not None and expect_key:
            pending_key = json.loads(string)
        elif string is not None:
            yield tuple(level[1] for level in stack), match.start(1), match.end(1)
