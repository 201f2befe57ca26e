"""Pulling from a folder instead of the hub (``duta models pull … --from DIR``), for machines
with no network.

``DIR`` is either a copy of one repository (what ``hf download REPO --local-dir DIR`` writes on
a connected machine) or a mirror folder holding ``DIR/<org>/<name>/`` for several. When the copy
kept huggingface_hub's download records (``.cache/huggingface/download/*.metadata``: commit and
ETag — the sha256 of an LFS file, the git blob id of another), every copied file is checked
against them and the commit becomes the recorded revision.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from duta.models.errors import PullError
from duta.models.hub import RemoteFile
from duta.models.integrity import check_remote

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SHA1 = re.compile(r"^[0-9a-f]{40}$")


def _repo_root(source: Path, repo_id: str) -> Path:
    for candidate in (source / repo_id, source):
        if (candidate / "config.json").is_file():
            return candidate
    raise PullError(
        f"{source}: holds neither a copy of {repo_id} (config.json at its top) nor "
        f"{source / repo_id}; copy the repository there, e.g. on a connected machine: "
        f"hf download {repo_id} --local-dir DIR"
    )


def _recorded(root: Path, path: str) -> tuple[str | None, RemoteFile | None]:
    record = root / ".cache" / "huggingface" / "download" / f"{path}.metadata"
    if not record.is_file():
        return None, None
    lines = record.read_text(encoding="utf-8").splitlines()
    commit, etag = (lines + ["", ""])[:2]
    etag = etag.strip().strip('"')
    if _SHA256.match(etag):
        return commit.strip() or None, RemoteFile(path=path, sha256=etag)
    if _SHA1.match(etag):
        return commit.strip() or None, RemoteFile(path=path, blob_id=etag)
    return commit.strip() or None, None


def copy_local_repo(
    source: Path, repo_id: str, allow: list[str], ignore: list[str], staging: Path
) -> str:
    """Copies the files of ``repo_id`` that the patterns keep from ``source`` into ``staging``,
    checked against the download records when present; returns the revision.

    Raises:
        PullError: no copy of the repository in ``source``, no weights, or a file that does
            not match its download record.
    """
    from huggingface_hub.utils import filter_repo_objects

    root = _repo_root(source, repo_id)
    paths = [
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".cache" not in p.relative_to(root).parts
    ]
    kept = sorted(filter_repo_objects(paths, allow_patterns=allow, ignore_patterns=ignore))
    if not any(p.endswith(("model.bin", ".safetensors")) for p in kept):
        raise PullError(f"{root}: no model weights (model.bin) in the copy of {repo_id}")
    commits: set[str] = set()
    expected: list[RemoteFile] = []
    for path in kept:
        (staging / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / path, staging / path)
        commit, remote = _recorded(root, path)
        commits.update([commit] if commit else [])
        expected.extend([remote] if remote else [])
    try:
        check_remote(staging, expected)
    except PullError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    print(f"copied {len(kept)} files of {repo_id} from {root} ({len(expected)} checked)")
    return commits.pop() if len(commits) == 1 else f"local:{root}"
