"""Runs the README's commands verbatim, as a user would after `make up` (used by
tests/e2e/test_readme.py, inside a private network namespace: `unshare -n`).

In that namespace only loopback exists, so the commands' fixed addresses are free
(127.0.0.1:50051 for the router, 127.0.0.1:8080 for the hub stand-in the README names as a
mirror) and no real hub is reachable: `make up` falls back to demo models exactly as on an
offline fresh clone. `make up` / `duta up` lines start (or restart) the cluster in the
background and wait until the router is SERVING; every other line runs with bash in the
workdir with the venv's bin first on PATH (what `. .venv/bin/activate` does).

    python tests/readme_harness.py SPEC.json   # writes SPEC's "results" file
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from duta.cli.up import wait_serving
from tests.hub_standin import HubStandIn

ROUTER = "127.0.0.1:50051"


class Cluster:
    """The background `duta up` a `make up` / `duta up` line starts."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir, self.env = workdir, env
        self.process: subprocess.Popen[bytes] | None = None
        self.logs: list[str] = []

    def start(self, command: str) -> dict[str, object]:
        self.stop()
        log = self.workdir / f"up-{len(self.logs)}.log"
        self.logs.append(str(log))
        # `make up` is the venv's `duta up` once installed (the Makefile recipe).
        line = (
            command.replace("make up", "duta up", 1) if command.startswith("make up") else command
        )
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                ["bash", "-c", f"exec {line}"],
                cwd=self.workdir, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            wait_serving(ROUTER, 600, self.process)
            rc = 0
        except RuntimeError as exc:
            rc = 1
            log.write_text(log.read_text() + f"\nharness: {exc}\n")
        return {"command": command, "rc": rc, "stdout": log.read_text(), "stderr": ""}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(120)


def run(spec: dict) -> list[dict[str, object]]:
    workdir = Path(spec["workdir"])
    env = {**os.environ, "PATH": f"{spec['venv_bin']}:{os.environ['PATH']}"}
    env.pop("HF_ENDPOINT", None)
    hub = HubStandIn(port=8080)
    for repo_id, directory in spec["repos"].items():
        hub.add_repo_from_dir(repo_id, Path(directory))
    hub.start()
    cluster = Cluster(workdir, env)
    results = []
    try:
        for command in spec["commands"]:
            started = time.monotonic()
            if command.startswith(("make up", "duta up")):
                results.append(cluster.start(command))
                results[-1]["seconds"] = round(time.monotonic() - started, 1)
                # From the first cluster on, the hub "answers": the stand-in on 8080.
                env["HF_ENDPOINT"] = hub.url
                continue
            done = subprocess.run(
                ["bash", "-c", command], cwd=workdir, env=env, capture_output=True, text=True,
                timeout=600,
            )  # fmt: skip
            results.append(
                {"command": command, "rc": done.returncode, "stdout": done.stdout,
                 "stderr": done.stderr, "seconds": round(time.monotonic() - started, 1)}
            )  # fmt: skip
    finally:
        cluster.stop()
        hub.stop()
    return results


def main() -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=False)
    spec = json.loads(Path(sys.argv[1]).read_text())
    Path(spec["results"]).write_text(json.dumps(run(spec), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
