"""Rendering and reading Duta's deployment files offline, for the deployment tests:
kustomize trees, docker-compose's resolved config, and checks that env names and container
args name real settings and CLI options."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from duta.cli.main import build_parser
from duta.router.settings import RouterSettings
from duta.worker.settings import WorkerSettings

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"

# Schemas bundled by kubernetes-validate; the oldest release we support (grpc probes: ≥ 1.27).
K8S_VERSION = "1.32.0"
OVERLAYS = ("overlays/demo", "overlays/production")
TREES = ("base", *OVERLAYS)
# Secrets an overlay expects to be created out of band (see its kustomization.yaml).
EXTERNAL_SECRETS = {"overlays/production": {"redis"}}
GRACE_SECONDS = 20  # RouterSettings/WorkerSettings.grace_seconds, also set explicitly below
DRAIN_DELAY_SECONDS = 5  # ServiceSettings.drain_delay_seconds: NOT_SERVING but still answering
GRPC_PORTS = {"router": 50051, "worker": 50052}
VAR_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def binary(name: str, how: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not installed; it is needed to check the deployment files: {how}")
    return path


@cache
def render(tree: str) -> tuple[dict[str, Any], ...]:
    """`kubectl kustomize` of one tree under deploy/k8s, as a tuple of objects."""
    kubectl = binary(
        "kubectl",
        "install kubectl ≥ 1.27 (https://kubernetes.io/docs/tasks/tools/, or apt-get install "
        "kubectl from the pkgs.k8s.io repository); `kubectl kustomize` works offline",
    )
    done = subprocess.run(
        [kubectl, "kustomize", str(K8S / tree)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, f"kubectl kustomize {tree} failed:\n{done.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


@cache
def compose_config() -> dict[str, Any]:
    """docker-compose.yml as `docker-compose config` resolves it (anchors merged)."""
    compose = binary(
        "docker-compose",
        "`make system-deps` installs it as root on Debian/Ubuntu (apt-get install docker-compose)",
    )
    done = subprocess.run(
        [compose, "-f", str(COMPOSE_FILE), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, f"docker-compose config failed:\n{done.stderr}"
    return yaml.safe_load(done.stdout)


def of_kind(objects: tuple[dict[str, Any], ...], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def workloads(objects: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    kinds = {"Deployment", "StatefulSet", "DaemonSet", "Job"}
    return [o for o in objects if o["kind"] in kinds]


def component(obj: dict[str, Any]) -> str:
    return obj["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def is_duta(container: dict[str, Any]) -> bool:
    return container["image"].rsplit("/", 1)[-1].split(":")[0] == "duta"


def resolve_env(container: dict[str, Any], labels: dict[str, str]) -> dict[str, str]:
    """The container's env as Kubernetes expands it (values, $(VAR), label fieldRefs)."""
    env: dict[str, str] = {}
    for var in container.get("env", []):
        if "value" in var:
            value = VAR_REF.sub(lambda m: env.get(m.group(1), m.group(0)), str(var["value"]))
        else:
            field = var["valueFrom"].get("fieldRef", {}).get("fieldPath", "")
            label = re.fullmatch(r"metadata\.labels\['([^']+)'\]", field)
            value = labels[label.group(1)] if label else f"<{var['name']}>"
        env[var["name"]] = value
    return env


def expand(args: list[str], env: dict[str, str]) -> list[str]:
    """Arguments with $(VAR) expanded as the kubelet does."""
    return [VAR_REF.sub(lambda m: env.get(m.group(1), m.group(0)), a) for a in args]


def check_env_names(names: list[str], where: str) -> None:
    """Every DUTA_* variable is a real setting of the service that reads it."""
    worker, router = set(WorkerSettings.model_fields), set(RouterSettings.model_fields)
    for name in names:
        if name.startswith("DUTA_WORKER_"):
            assert name.removeprefix("DUTA_WORKER_").lower() in worker, f"{where}: {name}"
        elif name.startswith("DUTA_ROUTER_"):
            assert name.removeprefix("DUTA_ROUTER_").lower() in router, f"{where}: {name}"
        elif name.startswith("DUTA_"):
            assert name == "DUTA_REDIS_URL", f"{where}: {name} is not a Duta setting"


def check_cli(args: list[str], where: str) -> Any:
    """The arguments parse with the real `duta` parser; returns the namespace."""
    try:
        return build_parser().parse_args(args)
    except SystemExit:
        pytest.fail(f"{where}: `duta {' '.join(args)}` is not a valid duta command line")


def check_image(image: str, where: str) -> None:
    name = image.rsplit("/", 1)[-1]
    assert ":" in name or "@sha256:" in image, f"{where}: image {image} has no tag"
    assert not name.endswith(":latest"), f"{where}: image {image} uses :latest"
