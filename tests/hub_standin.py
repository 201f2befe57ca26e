"""A local stand-in of the Hugging Face hub: the endpoints ``snapshot_download`` talks to.

Serves model repositories held in memory over real HTTP on 127.0.0.1, as the hub does:

- ``GET /api/models/{repo}[/revision/{rev}]`` — model info: ``sha`` and ``siblings`` (with
  ``size``, ``blobId`` and ``lfs: {sha256, size, pointerSize}`` when asked with ``blobs``);
- ``GET /api/models/{repo}/tree/{rev}[/{path}]`` — the file listing (``oid``, ``size``,
  ``lfs: {oid, size, pointerSize}``), what huggingface_hub ≥ 1.0 lists before downloading;
- ``HEAD|GET /{repo}/resolve/{rev}/{file}`` — the file, with ``X-Repo-Commit``, ``ETag``
  (git blob sha1, or the sha256 of an LFS file), ``X-Linked-Etag`` / ``X-Linked-Size`` for LFS
  files, and ``Range`` requests answered with 206.

Errors carry the hub's ``X-Error-Code`` (RepoNotFound, RevisionNotFound, EntryNotFound), which
huggingface_hub turns into its typed exceptions. Faults can be injected per file: bytes that do
not match the published sha256 (``corrupt``), a connection dropped once after N bytes
(``drop_after``), optionally followed by 503s for that file until ``heal()``
(``fail_after_drop``). Every request is logged (method, path, Range header).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

_LFS_SUFFIXES = (".bin", ".model", ".spm", ".safetensors")


def git_blob_sha1(data: bytes) -> str:
    """The git object id of a blob, what the hub reports as a regular file's oid and ETag."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class HubRepo:
    """One repository: commits (sha → {path: bytes}) and refs (name → sha)."""

    repo_id: str
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)

    def add_commit(self, files: dict[str, bytes], ref: str = "main") -> str:
        """Adds a commit holding ``files`` and points ``ref`` at it; returns its sha."""
        digest = hashlib.sha1(repr(sorted((k, len(v)) for k, v in files.items())).encode())
        digest.update(self.repo_id.encode() + str(len(self.commits)).encode())
        sha = digest.hexdigest()
        self.commits[sha] = dict(files)
        self.refs[ref] = sha
        return sha

    def resolve(self, revision: str) -> str | None:
        if revision in self.commits:
            return revision
        return self.refs.get(revision)


def is_lfs(path: str) -> bool:
    return path.endswith(_LFS_SUFFIXES)


def _file_entry(path: str, data: bytes, tree: bool) -> dict:
    entry: dict = {"size": len(data)}
    if tree:
        entry.update(type="file", path=path, oid=git_blob_sha1(data))
    else:
        entry.update(rfilename=path, blobId=git_blob_sha1(data))
    if is_lfs(path):
        sha256 = hashlib.sha256(data).hexdigest()
        entry["lfs"] = {
            ("oid" if tree else "sha256"): sha256,
            "size": len(data),
            "pointerSize": 134,
        }
    return entry


class HubStandIn:
    """The stand-in server; ``url`` is the endpoint to give ``HF_ENDPOINT`` or ``--from``."""

    def __init__(self, port: int = 0) -> None:
        self.repos: dict[str, HubRepo] = {}
        self.corrupt: set[tuple[str, str]] = set()
        self.drop_after: dict[tuple[str, str], int] = {}
        self.fail_after_drop: set[tuple[str, str]] = set()
        self.broken: set[tuple[str, str]] = set()
        self.requests: list[tuple[str, str, str | None]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def add_repo(self, repo_id: str, files: dict[str, bytes]) -> str:
        """Creates (or adds a commit to) ``repo_id`` with ``files`` on main; returns the sha."""
        repo = self.repos.setdefault(repo_id, HubRepo(repo_id))
        return repo.add_commit(files)

    def add_repo_from_dir(self, repo_id: str, directory: Path) -> str:
        """Creates ``repo_id`` with every file under ``directory`` (paths relative to it)."""
        files = {
            p.relative_to(directory).as_posix(): p.read_bytes()
            for p in sorted(directory.rglob("*"))
            if p.is_file()
        }
        return self.add_repo(repo_id, files)

    def heal(self) -> None:
        """Stops every injected fault."""
        with self.lock:
            self.corrupt.clear()
            self.drop_after.clear()
            self.fail_after_drop.clear()
            self.broken.clear()

    def start(self) -> HubStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _HubHandler(BaseHTTPRequestHandler):
    """The hub's endpoints over `hub` (set by `_handler` on a subclass)."""

    hub: HubStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib name
        self._dispatch(head=True)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._dispatch(head=False)

    def _dispatch(self, head: bool) -> None:
        parsed = urlparse(self.path)
        path = unquote(parsed.path)
        with self.hub.lock:
            self.hub.requests.append((self.command, path, self.headers.get("Range")))
        if path.startswith("/api/models/"):
            self._api(path.removeprefix("/api/models/"), parse_qs(parsed.query))
        elif "/resolve/" in path:
            repo_id, rest = path.lstrip("/").split("/resolve/", 1)
            revision, _, name = rest.partition("/")
            self._resolve(repo_id, revision, name, head)
        else:
            self._error(404, "RepoNotFound", f"no route {path}")

    def _repo(self, repo_id: str, revision: str) -> tuple[HubRepo, str] | None:
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            self._error(404, "RepoNotFound", f"Repository {repo_id} not found")
            return None
        sha = repo.resolve(revision)
        if sha is None:
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            return None
        return repo, sha

    def _api(self, rest: str, query: dict[str, list[str]]) -> None:
        repo_id, revision, sub, kind = rest, "main", "", "info"
        for marker in ("/revision/", "/tree/"):
            if marker in rest:
                repo_id, tail = rest.split(marker, 1)
                revision, _, sub = tail.partition("/")
                kind = marker.strip("/")
        found = self._repo(repo_id, revision)
        if found is None:
            return
        repo, sha = found
        files = repo.commits[sha]
        if kind == "tree":  # huggingface_hub >= 1.0 lists files this way
            entries = [
                _file_entry(p, d, tree=True)
                for p, d in sorted(files.items())
                if not sub or p.startswith(sub.rstrip("/") + "/")
            ]
            self._json(entries)
            return
        blobs = query.get("blobs", ["false"])[0].lower() in ("1", "true")
        siblings = [
            _file_entry(p, d, tree=False) if blobs else {"rfilename": p}
            for p, d in sorted(files.items())
        ]
        self._json({"id": repo_id, "modelId": repo_id, "sha": sha, "siblings": siblings})

    def _resolve(self, repo_id: str, revision: str, name: str, head: bool) -> None:
        found = self._repo(repo_id, revision)
        if found is None:
            return
        repo, sha = found
        data = repo.commits[sha].get(name)
        if data is None:
            self._error(404, "EntryNotFound", f"{name} does not exist at {revision}")
            return
        key = (repo_id, name)
        if not head and key in self.hub.broken:
            self._error(503, None, "service unavailable")
            return
        etag = hashlib.sha256(data).hexdigest() if is_lfs(name) else git_blob_sha1(data)
        if key in self.hub.corrupt:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        start = self._range_start()
        body = data[start:]
        self.send_response(206 if start else 200)
        self.send_header("X-Repo-Commit", sha)
        self.send_header("ETag", f'"{etag}"')
        if is_lfs(name):
            self.send_header("X-Linked-Etag", f'"{etag}"')
            self.send_header("X-Linked-Size", str(len(data)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(body)))
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if head:
            return
        with self.hub.lock:
            cut = self.hub.drop_after.pop(key, None)
            if cut is not None and key in self.hub.fail_after_drop:
                self.hub.broken.add(key)
        if cut is not None:
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)

    def _range_start(self) -> int:
        value = self.headers.get("Range", "")
        if value.startswith("bytes=") and value.endswith("-"):
            return int(value[len("bytes=") : -1])
        return 0

    def _json(self, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, code: str | None, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        if code:
            self.send_header("X-Error-Code", code)
            self.send_header("X-Error-Message", message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _handler(hub: HubStandIn) -> type[BaseHTTPRequestHandler]:
    return type("Handler", (_HubHandler,), {"hub": hub})
