"""Talking to the model hub (or a mirror of it) through ``huggingface_hub``.

:func:`fetch_snapshot` asks for a repository's files at a revision, with the sizes and sha256
the hub publishes; :func:`download_snapshot` downloads the chosen files of that exact commit
with ``snapshot_download`` into a staging directory, resuming what an interrupted run left.
The endpoint is ``--from URL``, else ``HF_ENDPOINT``, else the public hub.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm as _tqdm

from duta.models.errors import PullError

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://huggingface.co"


@dataclass(frozen=True)
class RemoteFile:
    """One file of a repository, as the hub describes it.

    Attributes:
        path: Path inside the repository.
        size: Size in bytes, when published.
        sha256: sha256 of the content (published for LFS files, which hold the weights).
        blob_id: Git object id (sha1 of ``blob <size>\\0`` + content) of the file.
    """

    path: str
    size: int | None = None
    sha256: str | None = None
    blob_id: str | None = None


@dataclass(frozen=True)
class RemoteSnapshot:
    """A repository at one commit."""

    repo_id: str
    commit: str
    files: tuple[RemoteFile, ...]

    def select(self, allow: Sequence[str], ignore: Sequence[str]) -> list[RemoteFile]:
        """The files that ``allow`` patterns keep and ``ignore`` patterns do not drop."""
        from huggingface_hub.utils import filter_repo_objects

        kept = set(
            filter_repo_objects(
                [f.path for f in self.files],
                allow_patterns=list(allow),
                ignore_patterns=list(ignore),
            )
        )
        return [f for f in self.files if f.path in kept]


def resolve_endpoint(source: str | None) -> str:
    """The hub endpoint: ``source`` when it is a URL, else ``HF_ENDPOINT``, else the hub."""
    if source and source.startswith(("http://", "https://")):
        return source.rstrip("/")
    return os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/")


def hub_reachable(endpoint: str, repo_id: str, timeout: float = 5.0) -> bool:
    """Whether ``endpoint`` answers for ``repo_id`` (model info) within ``timeout`` seconds."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    url = f"{endpoint}/api/models/{repo_id}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:  # noqa: S310 - http(s) only
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _hub_errors() -> tuple[type[Exception], ...]:
    from huggingface_hub.errors import HfHubHTTPError

    return (HfHubHTTPError, OSError)


def fetch_snapshot(repo_id: str, revision: str | None, endpoint: str) -> RemoteSnapshot:
    """Files of ``repo_id`` at ``revision`` (default: main) with sizes and checksums.

    Raises:
        PullError: the repository or revision does not exist, or the hub cannot be reached.
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    rev = revision or "main"
    try:
        info = HfApi(endpoint=endpoint).model_info(repo_id, revision=rev, files_metadata=True)
    except RevisionNotFoundError:
        raise PullError(
            f"revision {rev!r} does not exist in {repo_id} at {endpoint}; pass --revision with "
            "a branch, tag or commit of that repository (or leave it out for main)"
        ) from None
    except RepositoryNotFoundError:
        raise PullError(
            f"repository {repo_id} not found at {endpoint}; check the id (`duta models list`)"
        ) from None
    except _hub_errors() as exc:
        raise PullError(
            f"cannot reach the model hub at {endpoint} ({type(exc).__name__}: {exc}); set "
            "HF_ENDPOINT or --from URL for a mirror, or --from DIR for a copied repository"
        ) from None
    files = tuple(
        RemoteFile(
            path=s.rfilename,
            size=s.lfs.size if s.lfs else s.size,
            sha256=s.lfs.sha256 if s.lfs else None,
            blob_id=s.blob_id,
        )
        for s in info.siblings or ()
    )
    if not info.sha:
        raise PullError(f"{endpoint} gave no commit for {repo_id}@{rev}; is it a model hub?")
    return RemoteSnapshot(repo_id=repo_id, commit=info.sha, files=files)


class _PlainLines(_tqdm):  # type: ignore[misc,valid-type]
    """The progress of a download where no terminal shows a bar (a pipe, a log, a Job's
    output): one plain line per file finished, no carriage returns. huggingface_hub makes one
    of these per bar; only the count of files ("it") prints, the byte counters stay silent."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.pop("name", None)
        self._files = kwargs.get("unit", "it") == "it"
        super().__init__(*args, **{**kwargs, "file": io.StringIO(), "disable": False})

    def update(self, n: float | None = 1) -> bool | None:
        shown = super().update(n)
        if self._files and n:
            print(f"  {self.n}/{self.total} files downloaded", file=sys.stderr, flush=True)
        return shown


def download_snapshot(
    snapshot: RemoteSnapshot, files: Sequence[RemoteFile], dest: Path, endpoint: str
) -> None:
    """Downloads ``files`` of ``snapshot`` into ``dest``, resuming partial files left there.

    A progress bar is shown on a terminal; otherwise plain lines (one per file finished).

    Raises:
        PullError: the download failed; what was downloaded stays in ``dest`` for a resume.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.utils import disable_progress_bars, enable_progress_bars

    total = sum(f.size or 0 for f in files)
    print(
        f"pulling {snapshot.repo_id}@{snapshot.commit[:12]} from {endpoint}: "
        f"{len(files)} files, {total / 1e6:.1f} MB",
        file=sys.stderr,
        flush=True,
    )
    terminal = sys.stderr.isatty()
    if not terminal:
        disable_progress_bars()
    try:
        snapshot_download(
            snapshot.repo_id,
            revision=snapshot.commit,
            local_dir=dest,
            cache_dir=dest.parent / f".{dest.name}.hf-cache",
            allow_patterns=[f.path for f in files],
            endpoint=endpoint,
            max_workers=4,
            tqdm_class=None if terminal else _PlainLines,
        )
    except _hub_errors() as exc:
        raise PullError(
            f"download of {snapshot.repo_id}@{snapshot.commit[:12]} from {endpoint} was "
            f"interrupted ({type(exc).__name__}: {str(exc).splitlines()[0]}); nothing was "
            "installed: run the same command again to resume"
        ) from None
    finally:
        if not terminal:
            enable_progress_bars()
