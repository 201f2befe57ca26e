"""The deployment files, checked offline: kustomize renders, Kubernetes schemas, hardening,
routes ↔ Services, env/args ↔ settings (docker-compose and the Dockerfile: test_deploy_compose).

Needs the `kubectl` and `docker-compose` binaries (no cluster, no Docker daemon); `make test`
installs docker-compose. Missing binaries fail the test with the way to install them.
"""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from duta.router.settings import RouterSettings
from tests.deploy_files import (
    DRAIN_DELAY_SECONDS,
    EXTERNAL_SECRETS,
    GRACE_SECONDS,
    GRPC_PORTS,
    K8S_VERSION,
    OVERLAYS,
    TREES,
    VAR_REF,
    check_cli,
    check_env_names,
    check_image,
    component,
    containers,
    expand,
    is_duta,
    of_kind,
    render,
    resolve_env,
    workloads,
)

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
            assert pre_stop.get("command", [""])[0] == "sleep", f"{where}: a preStop sleep"
            pause = float(pre_stop["command"][-1])
            assert pause > 0 and delay > 0, f"{where}: preStop and drain delay both wait"
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
