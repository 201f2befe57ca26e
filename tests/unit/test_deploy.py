"""The deployment files, checked offline: kustomize renders, Kubernetes schemas, hardening,
routes ↔ Services, env/args ↔ settings (docker-compose and the Dockerfile: test_deploy_compose).

Needs the `kubectl` and `docker-compose` binaries (no cluster, no Docker daemon); `make test`
installs docker-compose. Missing binaries fail the test with the way to install them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from duta.cli.main import build_parser
from duta.router.settings import RouterSettings
from duta.worker.settings import WorkerSettings

ROOT = Path(__file__).resolve().parents[2]
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


def _binary(name: str, how: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not installed; it is needed to check the deployment files: {how}")
    return path


@cache
def render(tree: str) -> tuple[dict[str, Any], ...]:
    """`kubectl kustomize` of one tree under deploy/k8s, as a tuple of objects."""
    kubectl = _binary(
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
    compose = _binary(
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


# --------------------------------------------------------------------------- Kubernetes


@pytest.mark.parametrize("tree", TREES)
def test_renders_and_validates_strictly(tree: str) -> None:
    objects = render(tree)
    assert objects, f"{tree} renders nothing"
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{tree}: {obj['kind']}/{obj['metadata']['name']}: {exc.message}")
        if tree != "base":
            assert obj["kind"] == "Namespace" or obj["metadata"].get("namespace"), obj


@pytest.mark.parametrize("tree", TREES)
def test_pods_are_hardened(tree: str) -> None:
    for workload in workloads(render(tree)):
        name = f"{tree}: {workload['metadata']['name']}"
        pod = workload["spec"]["template"]["spec"]
        security = pod.get("securityContext", {})
        assert security.get("runAsNonRoot") is True, name
        assert security.get("runAsUser", 0) != 0, name
        assert security.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
        assert pod.get("automountServiceAccountToken") is False, name
        for container in containers(pod):
            where = f"{name}/{container['name']}"
            check_image(container["image"], where)
            sc = container.get("securityContext", {})
            assert sc.get("allowPrivilegeEscalation") is False, where
            assert sc.get("readOnlyRootFilesystem") is True, where
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], where
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"].get(bound, {})), where
            if is_duta(container):
                mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
                assert "/tmp" in mounts, f"{where}: read-only root fs needs a writable /tmp"


@pytest.mark.parametrize("tree", TREES)
def test_duta_containers_have_grpc_probes_and_drain_in_time(tree: str) -> None:
    served = set()
    for workload in workloads(render(tree)):
        if workload["kind"] == "Job":
            continue  # runs to completion: no probes, no drain
        pod = workload["spec"]["template"]["spec"]
        for container in pod["containers"]:
            if not is_duta(container):
                assert container.get("readinessProbe") and container.get("livenessProbe")
                continue
            role = component(workload)
            served.add(role)
            where = f"{tree}: {workload['metadata']['name']}"
            probes = ["readinessProbe", "livenessProbe"]
            if role == "worker":
                probes.append("startupProbe")  # model load must not trip liveness
            for probe in probes:
                assert container.get(probe, {}).get("grpc", {}).get("port") == GRPC_PORTS[role], (
                    f"{where}: {probe} must be a native grpc probe on {GRPC_PORTS[role]}"
                )
            env = resolve_env(container, {})
            grace = float(env.get(f"DUTA_{role.upper()}_GRACE_SECONDS", GRACE_SECONDS))
            delay = float(env.get(f"DUTA_{role.upper()}_DRAIN_DELAY_SECONDS", DRAIN_DELAY_SECONDS))
            pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {})
            pause = float(pre_stop.get("command", ["sleep", "0"])[-1])
            assert pod["terminationGracePeriodSeconds"] > pause + delay + grace, where
    assert served == {"router", "worker"}, f"{tree} lacks a router or worker"


@pytest.mark.parametrize("tree", TREES)
def test_env_and_args_name_real_settings(tree: str) -> None:
    for workload in workloads(render(tree)):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        for container in containers(workload["spec"]["template"]["spec"]):
            if not is_duta(container):
                continue
            where = f"{tree}: {workload['metadata']['name']}/{container['name']}"
            names = [v["name"] for v in container.get("env", [])]
            check_env_names(names, where)
            env = resolve_env(container, labels)
            # $(VAR) in a value expands only from variables defined before it.
            for i, var in enumerate(container.get("env", [])):
                for ref in VAR_REF.findall(str(var.get("value", ""))):
                    assert ref in names[:i], f"{where}: {var['name']} uses $({ref}) before it"
            args = expand(container["args"], env)
            parsed = check_cli(args, where)
            if container not in workload["spec"]["template"]["spec"]["containers"]:
                continue
            if workload["kind"] == "Job":
                assert parsed.command == "models", where
            else:
                assert parsed.command == "serve" and parsed.service == component(workload)


@pytest.mark.parametrize("tree", OVERLAYS)
def test_overlay_routes_point_at_headless_worker_services(tree: str) -> None:
    objects = render(tree)
    services = of_kind(objects, "Service")
    routes = [cm for name, cm in of_kind(objects, "ConfigMap").items() if "router-routes" in name]
    assert len(routes) == 1, f"{tree}: one routes ConfigMap expected"
    config = yaml.safe_load(routes[0]["data"]["routes.yaml"])
    RouterSettings.model_validate({"workers": config["workers"]})  # the router accepts it
    addresses = [w["address"] for w in config["workers"]]
    workers = [
        s
        for s in services.values()
        if s["spec"]["selector"].get("app.kubernetes.io/component") == "worker"
    ]
    assert sorted(addresses) == sorted(f"{s['metadata']['name']}:50052" for s in workers)
    for address in addresses:
        host, port = address.rsplit(":", 1)
        assert host in services, f"{tree}: routes name {host}, which is no Service"
        service = services[host]
        assert service["spec"].get("clusterIP") == "None", f"{host} must be headless"
        assert int(port) in {p["port"] for p in service["spec"]["ports"]}
    router = of_kind(objects, "Deployment")["router"]
    volumes = router["spec"]["template"]["spec"]["volumes"]
    assert routes[0]["metadata"]["name"] in {v.get("configMap", {}).get("name") for v in volumes}


@pytest.mark.parametrize("tree", OVERLAYS)
def test_each_pair_worker_selects_only_its_pods(tree: str) -> None:
    objects = render(tree)
    deployments = of_kind(objects, "Deployment")
    for name, service in of_kind(objects, "Service").items():
        if not name.startswith("worker-"):
            continue
        pair = name.removeprefix("worker-")
        assert service["spec"]["selector"].get("duta.dev/pair") == pair
        worker = deployments[name]
        assert worker["spec"]["selector"]["matchLabels"]["duta.dev/pair"] == pair
        env = resolve_env(worker["spec"]["template"]["spec"]["containers"][0], {})
        assert Path(env["DUTA_WORKER_MODEL"]).name in {pair, f"demo-{pair}"}


def test_demo_overlay_builds_the_model_each_worker_serves() -> None:
    for worker in workloads(render("overlays/demo")):
        if component(worker) != "worker":
            continue
        pod = worker["spec"]["template"]["spec"]
        labels = worker["spec"]["template"]["metadata"]["labels"]
        (init,) = pod["initContainers"]
        env = resolve_env(init, labels)
        args = expand(init["args"], env)
        parsed = check_cli(args, worker["metadata"]["name"])
        ((source, target),) = parsed.pairs
        served = resolve_env(pod["containers"][0], labels)["DUTA_WORKER_MODEL"]
        assert served == f"{parsed.dir}/demo-{source}-{target}"


@pytest.mark.parametrize("tree", OVERLAYS)
def test_referenced_secrets_and_claims_exist(tree: str) -> None:
    objects = render(tree)
    secrets = set(of_kind(objects, "Secret")) | EXTERNAL_SECRETS.get(tree, set())
    claims = set(of_kind(objects, "PersistentVolumeClaim"))
    for workload in workloads(objects):
        pod = workload["spec"]["template"]["spec"]
        for container in containers(pod):
            for var in container.get("env", []):
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] in secrets, f"{tree}: Secret {ref['name']} missing"
        for volume in pod.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims


@pytest.mark.parametrize("tree", OVERLAYS)
def test_only_the_router_reaches_workers_and_redis(tree: str) -> None:
    policies = of_kind(render(tree), "NetworkPolicy")
    assert policies["default-deny-ingress"]["spec"]["podSelector"] == {}
    for name in ("workers-from-router", "redis-from-router"):
        for rule in policies[name]["spec"]["ingress"]:
            assert rule["from"] == [
                {
                    "podSelector": {
                        "matchLabels": {
                            "app.kubernetes.io/name": "duta",
                            "app.kubernetes.io/component": "router",
                        }
                    }
                }
            ], f"{tree}: {name}"


# --------------------------------------------------------------------------- Compose


ASIAN_PACK = {
    f"{a}-{b}"
    for lang in ("zh", "ja", "ko", "vi", "th", "id", "hi")
    for a, b in ((lang, "en"), ("en", lang))
}


def test_production_pulls_the_asian_pack_before_workers_start() -> None:
    from duta.models.catalog import recommended
    from duta.models.pull import choose_entry

    objects = render("overlays/production")
    (job,) = [w for w in workloads(objects) if w["kind"] == "Job"]
    pod = job["spec"]["template"]["spec"]
    (pull,) = pod["containers"]
    parsed = check_cli(pull["args"], "models-pull")
    assert parsed.models_command == "pull" and not parsed.accept_cc_by_nc
    pulled = set(parsed.specs)
    catalog_has = {  # a per-pair model, not a many-to-many one
        p for p in ASIAN_PACK if "*" not in recommended(*p.split("-"))[0].pairs[0]
    }
    assert pulled == catalog_has, "every Asian ↔ en pair the catalog has a per-pair model for"
    for spec in pulled:  # each resolves to a commercial-use model, no NLLB
        assert choose_entry(spec)[0].commercial_use
    claim = {v["name"]: v for v in pod["volumes"]}["models"]["persistentVolumeClaim"]
    assert not claim.get("readOnly") and str(parsed.dir) == "/models"
    pvc = of_kind(objects, "PersistentVolumeClaim")[claim["claimName"]]
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]

    served = set()
    for worker in workloads(objects):
        if worker["kind"] != "Deployment" or component(worker) != "worker":
            continue
        spec = worker["spec"]["template"]["spec"]
        labels = worker["spec"]["template"]["metadata"]["labels"]
        model = resolve_env(spec["containers"][0], labels)["DUTA_WORKER_MODEL"]
        (wait,) = spec["initContainers"]
        args = check_cli(expand(wait["args"], resolve_env(wait, labels)), "wait-for-model")
        assert args.models_command == "verify" and str(args.dir) == model and args.wait > 0
        assert all(m.get("readOnly") for m in spec["containers"][0]["volumeMounts"]
                   if m["name"] == "models")  # fmt: skip
        served.add(labels["duta.dev/pair"])
    assert served == pulled


def test_every_worker_has_an_hpa_that_owns_its_replicas() -> None:
    objects = render("overlays/production")
    hpas = of_kind(objects, "HorizontalPodAutoscaler")
    for name, worker in of_kind(objects, "Deployment").items():
        if component(worker) != "worker":
            continue
        assert "replicas" not in worker["spec"], f"{name}: the HPA owns the count"
        hpa = hpas[name]
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert hpa["spec"]["minReplicas"] >= 2
        (metric,) = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"


def test_queue_autoscaling_component_scales_workers_on_their_queue(tmp_path: Path) -> None:
    from duta.worker.metrics import QUEUE_SENTENCES

    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy)
    (copy / "check").mkdir()
    (copy / "check" / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources: [../overlays/production]\ncomponents: [../components/queue-autoscaling]\n"
    )
    done = subprocess.run(
        [_binary("kubectl", "see above"), "kustomize", str(copy / "check")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    objects = [o for o in yaml.safe_load_all(done.stdout) if o]
    hpas = {o["metadata"]["name"]: o for o in objects if o["kind"] == "HorizontalPodAutoscaler"}
    workers = [n for n in hpas if n.startswith("worker-")]
    assert len(workers) == len(ASIAN_PACK) - 1  # no en→hi model in the catalog
    exported = QUEUE_SENTENCES._name  # noqa: SLF001 - the gauge's exported name
    for name in workers:
        kubernetes_validate.validate(hpas[name], K8S_VERSION, strict=True)
        kinds = {m["type"]: m for m in hpas[name]["spec"]["metrics"]}
        assert kinds["Pods"]["pods"]["metric"]["name"] == exported
        assert "Resource" in kinds
    assert len(hpas["router"]["spec"]["metrics"]) == 1  # the router is left on CPU
    rules = yaml.safe_load((K8S / "components/queue-autoscaling/prometheus-adapter-rules.yaml")
                           .read_text())  # fmt: skip
    assert rules["rules"]["custom"][0]["name"]["as"] == exported
