"""The batch Indexed Job under deploy/k8s/batch: renders, validates, and runs `duta batch`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from duta.batch.sharding import COUNT_ENV, INDEX_ENV, shard_from
from duta.cli.main import build_parser

K8S_BATCH = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "batch"
K8S_VERSION = "1.32.0"


@pytest.fixture(scope="module")
def objects() -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("`kubectl` is not installed; `kubectl kustomize` (offline) checks the Job")
    done = subprocess.run(
        [kubectl, "kustomize", str(K8S_BATCH)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def test_renders_and_validates_strictly(objects) -> None:
    assert {o["kind"] for o in objects} == {"Job", "PersistentVolumeClaim"}
    for obj in objects:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_indexed_job_shards_by_completion_index(objects) -> None:
    job = next(o for o in objects if o["kind"] == "Job")
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    (container,) = spec["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
    assert int(env[COUNT_ENV]) == spec["completions"] == spec["parallelism"]
    assert INDEX_ENV not in env  # Kubernetes sets it per pod
    args = build_parser().parse_args(container["args"])
    assert args.batch_command == "translate" and args.shard_index is None
    shards = [
        shard_from(args.shard_index, args.shard_count, {INDEX_ENV: str(i), **env})
        for i in range(spec["completions"])
    ]
    assert [(s.index, s.count) for s in shards] == [(i, spec["completions"]) for i in range(4)]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/data", "/tmp"} <= mounts and args.out.startswith("/data/")
    assert all(i.startswith("/data/") for i in args.inputs)


def test_pod_is_hardened(objects) -> None:
    job = next(o for o in objects if o["kind"] == "Job")
    pod = job["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] and not security["allowPrivilegeEscalation"]
    assert security["capabilities"]["drop"] == ["ALL"]
    assert container["resources"]["limits"] and container["resources"]["requests"]
    assert not container["image"].endswith(":latest") and ":" in container["image"]
