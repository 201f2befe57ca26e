"""File integrity: sizes, sha256 and git blob ids of a model's files.

The hub publishes, for every file, its size and git blob id, and for LFS files (the weights,
the SentencePiece models) the sha256 of the content. :func:`check_remote` compares downloaded
files with that; :func:`digest_files` records size and sha256 in ``duta.json`` at install
time, and :func:`check_recorded` compares the files with that record later
(``duta models verify``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from duta.models.errors import ModelDirError, PullError
from duta.models.hub import RemoteFile
from duta.models.metadata import METADATA_FILE, FileDigest

_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    """sha256 of a file's content, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def git_blob_id(path: Path) -> str:
    """Git object id of a file: sha1 of ``blob <size>\\0`` followed by the content."""
    digest = hashlib.sha1(b"blob %d\0" % path.stat().st_size)
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_remote(directory: Path, files: Iterable[RemoteFile]) -> None:
    """Checks every file in ``directory`` against what the hub published for it.

    Raises:
        PullError: a file is missing, or its size, sha256 or blob id differs; the message
            names the file and both values.
    """
    for remote in files:
        path = directory / remote.path
        if not path.is_file():
            raise PullError(f"{remote.path}: listed by the hub but not downloaded")
        size = path.stat().st_size
        if remote.size is not None and size != remote.size:
            raise PullError(
                f"{remote.path}: {size} bytes downloaded, the hub says {remote.size}; "
                "the download is corrupt and was discarded, pull again"
            )
        if remote.sha256 is not None:
            actual = sha256_of(path)
            if actual != remote.sha256:
                raise PullError(
                    f"{remote.path}: sha256 {actual} does not match the hub's {remote.sha256}; "
                    "the download is corrupt (or the mirror serves other bytes) and was discarded"
                )
        elif remote.blob_id is not None and git_blob_id(path) != remote.blob_id:
            raise PullError(
                f"{remote.path}: content does not match the hub's git blob id {remote.blob_id}; "
                "the download is corrupt and was discarded"
            )


def digest_files(directory: Path) -> dict[str, FileDigest]:
    """Size and sha256 of every file of a model directory (``duta.json`` excluded)."""
    return {
        path.relative_to(directory).as_posix(): FileDigest(
            size=path.stat().st_size, sha256=sha256_of(path)
        )
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name != METADATA_FILE
    }


def check_recorded(directory: Path, files: Mapping[str, FileDigest]) -> None:
    """Checks a model directory's files against the digests its ``duta.json`` records.

    Raises:
        ModelDirError: a recorded file is missing or differs, naming it.
    """
    for name, expected in files.items():
        path = directory / name
        if not path.is_file():
            raise ModelDirError(f"{path}: recorded in {METADATA_FILE} but missing; pull again")
        if path.stat().st_size != expected.size or sha256_of(path) != expected.sha256:
            raise ModelDirError(
                f"{path}: differs from the size/sha256 recorded in {METADATA_FILE} at install "
                "time (changed or damaged since); pull the model again"
            )
