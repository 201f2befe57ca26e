"""Cheap structural checks of a CTranslate2 ``model.bin`` without loading its weights.

The file is a small header followed by the variables, each with its own header (name, shape,
dtype, byte count) and raw bytes. Walking those headers and seeking over the bytes reads a few
kilobytes even for a 600 MB model, and catches a truncated download, a file that is not a
CTranslate2 model at all, and a model written by a newer CTranslate2 than the one installed.
"""

from __future__ import annotations

import ast
import importlib.util
import struct
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import BinaryIO

from duta.models.errors import ModelDirError

# Layout handled by ``_read_variables`` (type ids and byte counts); older files are only
# version-checked, because their variable headers differ.
_MIN_WALKABLE_VERSION = 4
_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
_TRANSLATION_SPEC = "TransformerSpec"


@dataclass(frozen=True)
class ModelBinInfo:
    """What the headers of a model.bin say.

    Attributes:
        binary_version: Format version of the file.
        spec_name: Model specification, e.g. "TransformerSpec".
        spec_revision: Revision of that specification.
        shapes: Variable name → shape (empty when the format is too old to walk).
        dtypes: Variable name → stored dtype.
        aliases: Alias name → variable name it shares weights with.
    """

    binary_version: int
    spec_name: str
    spec_revision: int
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    dtypes: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    def shape(self, name: str) -> tuple[int, ...] | None:
        """Shape of variable ``name``, following aliases; None when absent."""
        return self.shapes.get(self.aliases.get(name, name))


class _Truncated(Exception):
    pass


def _read(stream: BinaryIO, fmt: str) -> int:
    size = struct.calcsize(fmt)
    data = stream.read(size)
    if len(data) != size:
        raise _Truncated
    return int(struct.unpack(fmt, data)[0])


def _read_string(stream: BinaryIO) -> str:
    length = _read(stream, "<H")
    data = stream.read(length)
    if len(data) != length or not data.endswith(b"\0"):
        raise _Truncated
    return data[:-1].decode("utf-8", errors="replace")


def _read_variables(stream: BinaryIO, size: int, info: ModelBinInfo) -> None:
    for _ in range(_read(stream, "<I")):
        name = _read_string(stream)
        rank = _read(stream, "<B")
        shape = tuple(_read(stream, "<I") for _ in range(rank))
        type_id = _read(stream, "<B")
        num_bytes = _read(stream, "<I")
        if type_id >= len(_DTYPES):
            raise ValueError(f"variable {name!r} has unknown dtype id {type_id}")
        end = stream.tell() + num_bytes
        if end > size:
            raise _Truncated
        stream.seek(end)
        info.shapes[name] = shape
        info.dtypes[name] = _DTYPES[type_id]
    if info.binary_version >= 3:
        for _ in range(_read(stream, "<I")):
            alias = _read_string(stream)
            info.aliases[alias] = _read_string(stream)


def read_model_bin(path: Path) -> ModelBinInfo:
    """Reads and checks the headers of ``path`` (a model.bin).

    Raises:
        ModelDirError: the file is unreadable, truncated, corrupt, or newer than the installed
            CTranslate2 can load.
    """
    runtime, _ = runtime_limits()
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            version = _read(stream, "<I")
            if version == 0 or version > 1000:
                raise ModelDirError(
                    f"{path}: not a CTranslate2 model (header says binary version {version}); "
                    "download or convert the model again"
                )
            if version > runtime:
                raise ModelDirError(
                    f"{path}: written in CTranslate2 binary format {version}, but the installed "
                    f"ctranslate2 reads format {runtime} at most; upgrade ctranslate2 or "
                    "re-convert the model with the installed version"
                )
            if version < 2:
                return ModelBinInfo(version, "", 1)
            info = ModelBinInfo(version, _read_string(stream), _read(stream, "<I"))
            _check_spec_revision(path, info)
            if version >= _MIN_WALKABLE_VERSION:
                _read_variables(stream, size, info)
                if stream.tell() != size:
                    raise ModelDirError(
                        f"{path}: {size - stream.tell()} unexpected bytes after the last "
                        "variable; the file is corrupt: download or convert it again"
                    )
            return info
    except _Truncated:
        raise ModelDirError(
            f"{path}: truncated ({size} bytes; the headers promise more); the download or "
            "conversion was interrupted: fetch or convert the model again"
        ) from None
    except ValueError as exc:
        raise ModelDirError(f"{path}: corrupt ({exc}); download or convert it again") from exc
    except OSError as exc:
        raise ModelDirError(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def _check_spec_revision(path: Path, info: ModelBinInfo) -> None:
    if info.spec_name != _TRANSLATION_SPEC:
        raise ModelDirError(
            f"{path}: holds a {info.spec_name!r} model; Duta serves encoder-decoder "
            f"translation models ({_TRANSLATION_SPEC})"
        )
    _, supported = runtime_limits()
    if info.spec_revision > supported:
        raise ModelDirError(
            f"{path}: {info.spec_name} revision {info.spec_revision} is newer than the installed "
            f"ctranslate2 supports (revision {supported}); upgrade ctranslate2"
        )


@cache
def runtime_limits() -> tuple[int, int]:
    """(binary format, TransformerSpec revision) the installed CTranslate2 reads at most.

    Read from the source of its spec modules rather than by importing them: ``ctranslate2.specs``
    imports torch whenever torch is installed (≈ 220 MB and 1.5 s), and a worker that only
    checks a model.bin must never carry torch. Should a CTranslate2 release lay its sources
    out otherwise, the modules are imported after all (correct, only heavier)."""
    if "ctranslate2.specs.transformer_spec" not in sys.modules:
        try:
            return _limits_from_source()
        except (OSError, SyntaxError, StopIteration, TypeError):
            pass
    from ctranslate2.specs import model_spec, transformer_spec

    revision = transformer_spec.TransformerSpec.revision.fget(None)  # type: ignore[attr-defined]
    return int(model_spec.CURRENT_BINARY_VERSION), int(revision)


def _limits_from_source() -> tuple[int, int]:
    binary = next(
        node.value.value
        for node in _spec_source("model_spec").body
        if isinstance(node, ast.Assign)
        and any(getattr(t, "id", "") == "CURRENT_BINARY_VERSION" for t in node.targets)
        and isinstance(node.value, ast.Constant)
    )
    spec = next(
        node
        for node in _spec_source("transformer_spec").body
        if isinstance(node, ast.ClassDef) and node.name == _TRANSLATION_SPEC
    )
    revision = next(
        stmt.value.value
        for fn in spec.body
        if isinstance(fn, ast.FunctionDef) and fn.name == "revision"
        for stmt in fn.body
        if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Constant)
    )
    if not isinstance(binary, int) or not isinstance(revision, int):
        raise TypeError("not integer constants")
    return binary, revision


def _spec_source(module: str) -> ast.Module:
    # find_spec of the top-level package imports nothing (of a submodule, it imports the parent)
    found = importlib.util.find_spec("ctranslate2")
    if found is None or found.origin is None:
        raise OSError("ctranslate2 is not installed")
    source = Path(found.origin).parent / "specs" / f"{module}.py"
    return ast.parse(source.read_text(encoding="utf-8"))
