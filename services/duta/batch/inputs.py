"""Input discovery: files, directories (recursive) and globs → files with their output paths.

A directory's files keep their path below it; a file given by name, or matched by a glob, keeps
its path below the glob's fixed part (its bare name for a plain file). The list is sorted, so
every run — and every shard of an Indexed Job — sees the same order.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = ["InputError", "InputFile", "discover"]

_MAGIC = set("*?[")


class InputError(ValueError):
    """An input that names nothing, or two inputs that would write the same output."""


@dataclass(frozen=True, order=True)
class InputFile:
    """One file to translate.

    Attributes:
        relative: its path in the output tree (POSIX, the identity used by manifest and shards).
        path: where it is read from.
    """

    relative: str
    path: Path


def discover(inputs: list[str], exclude: Path | None = None) -> list[InputFile]:
    """Every file named by `inputs`, sorted by output path; hidden files and `exclude` skipped."""
    found: dict[str, InputFile] = {}
    for spec in inputs:
        if exclude is not None and Path(spec).exists() and _inside(Path(spec), exclude):
            raise InputError(
                f"input {spec!r} is inside the output directory {str(exclude)!r}; "
                "write the translations to another directory"
            )
        matches = _expand(spec)
        if not matches:
            raise InputError(f"input {spec!r} matches no file or directory")
        for item in matches:
            if exclude is not None and _inside(item.path, exclude):
                continue
            other = found.get(item.relative)
            if other is not None and other.path.resolve() != item.path.resolve():
                raise InputError(
                    f"{other.path} and {item.path} would both be written to {item.relative}; "
                    "pass their common parent directory instead"
                )
            found[item.relative] = item
    return sorted(found.values())


def _expand(spec: str) -> list[InputFile]:
    path = Path(spec)
    if path.is_dir():
        return _walk(path)
    if path.is_file():
        return [InputFile(path.name, path)]
    if not _MAGIC & set(spec):
        return []
    base = _fixed_prefix(spec)
    files: list[InputFile] = []
    for match in sorted(glob.glob(spec, recursive=True)):
        hit = Path(match)
        if hit.is_dir():
            files.extend(InputFile(_posix(hit / f.relative, base), f.path) for f in _walk(hit))
        elif hit.is_file() and not _hidden(hit.relative_to(base)):
            files.append(InputFile(_posix(hit, base), hit))
    return files


def _walk(root: Path) -> list[InputFile]:
    files = []
    for directory, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                full = Path(directory) / name
                files.append(InputFile(_posix(full, root), full))
    return files


def _fixed_prefix(spec: str) -> Path:
    """The directory part of a glob before its first wildcard."""
    parts = Path(spec).parts
    fixed = []
    for part in parts:
        if _MAGIC & set(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


def _posix(path: Path, base: Path) -> str:
    return str(PurePosixPath(*path.relative_to(base).parts))


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _inside(path: Path, directory: Path) -> bool:
    return path.resolve().is_relative_to(directory.resolve())
