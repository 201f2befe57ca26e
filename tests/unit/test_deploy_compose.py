"""docker-compose and the Dockerfile, checked offline (`docker-compose config`, no daemon).

Shares the rendering and settings checks of ``tests/deploy_files.py``.
"""

from __future__ import annotations

import json
import subprocess

import yaml

from tests.deploy_files import (
    COMPOSE_FILE,
    DOCKERFILE,
    ROOT,
    binary,
    check_cli,
    check_env_names,
    check_image,
    compose_config,
    containers,
    render,
    workloads,
)


def test_compose_file_is_valid() -> None:
    compose = binary("docker-compose", "`make system-deps` (apt-get install docker-compose)")
    done = subprocess.run(
        [compose, "-f", str(COMPOSE_FILE), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr


def test_compose_services_use_real_settings_and_kubernetes_env_names() -> None:
    services = compose_config()["services"]
    k8s_names = {
        v["name"]
        for w in workloads(render("overlays/demo"))
        for c in containers(w["spec"]["template"]["spec"])
        for v in c.get("env", [])
    }
    for name, service in services.items():
        check_image(service["image"], f"compose {name}")
        env = service.get("environment", {})
        check_env_names(list(env), f"compose {name}")
        duta_names = {n for n in env if n.startswith("DUTA_") or n == "REDIS_PASSWORD"}
        assert duta_names <= k8s_names, f"compose {name}: {duta_names - k8s_names} not in k8s"
        if service["image"].startswith("duta:") and name != "models":
            parsed = check_cli(service["command"], f"compose {name}")
            assert parsed.command == "serve"
            assert service["read_only"] is True and service["cap_drop"] == ["ALL"]


def test_compose_health_and_start_order() -> None:
    services = compose_config()["services"]
    workers = sorted(n for n in services if n.startswith("worker-"))
    assert len(workers) >= 2
    built = services["models"]["command"][0]
    assert "duta models build-demo /models" in built and "duta models pull" in built
    pairs = services["models"]["environment"]["PAIRS"].split()
    for name in [*workers, "router", "redis"]:
        test = services[name]["healthcheck"]["test"]
        assert test[0] == "CMD", name
        if name != "redis":
            assert "grpc_health" in test[3], f"{name}: gRPC health check expected"
    for name in workers:
        pair = name.removeprefix("worker-")
        parsed = check_cli(services[name]["command"], name)
        assert str(parsed.model) == f"/models/{pair}" and pair in pairs
        assert services[name]["depends_on"]["models"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[name]["healthcheck"]["test"][-1] == "50052"
    router = services["router"]
    assert router["healthcheck"]["test"][-1] == "50051"
    assert {n: d["condition"] for n, d in router["depends_on"].items()} == {
        n: "service_healthy" for n in [*workers, "redis"]
    }
    assert any(str(p.get("published", "")) == "50051" for p in router["ports"])
    routes = yaml.safe_load((ROOT / "deploy" / "compose" / "routes.yaml").read_text())
    assert sorted(w["address"] for w in routes["workers"]) == [f"{w}:50052" for w in workers]


# --------------------------------------------------------------------------- Dockerfile


def test_dockerfile_is_multi_stage_non_root_and_exec_form() -> None:
    lines = [
        line.strip()
        for line in DOCKERFILE.read_text().replace("\\\n", " ").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    froms = [line.split()[1] for line in lines if line.upper().startswith("FROM ")]
    assert len(froms) >= 2, "multi-stage: a builder and a runtime stage"
    for image in froms:
        check_image(image, "Dockerfile FROM")
    runtime = lines[max(i for i, line in enumerate(lines) if line.upper().startswith("FROM ")) :]
    builder = lines[: len(lines) - len(runtime)]
    assert any("grpc_tools.protoc" in line for line in builder), "codegen in the builder"
    assert any(line.startswith("COPY --from=") for line in runtime)
    users = [line.split()[1] for line in runtime if line.upper().startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"0", "root"}, "runtime must not be root"
    (entrypoint,) = [line for line in runtime if line.upper().startswith("ENTRYPOINT ")]
    assert json.loads(entrypoint.split(None, 1)[1]) == ["duta"], "exec-form ENTRYPOINT"
    assert not any("models" in line and line.startswith(("COPY", "ADD")) for line in lines)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "/models", "services/duta/v1"} <= set(ignored)


def test_the_image_installs_the_dictionaries_language_id_reads() -> None:
    # The router in the image must detect as the tested one does: the Makefile's
    # HUNSPELL_DEBS (what `make system-deps` installs for the tests) are all in the image.
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    line = next(x for x in makefile.splitlines() if x.startswith("HUNSPELL_DEBS"))
    wanted = set(line.split(":=", 1)[1].split())
    dockerfile = DOCKERFILE.read_text().replace("\\\n", " ")
    (install,) = [x for x in dockerfile.splitlines() if "apt-get install" in x]
    assert wanted and wanted <= set(install.split())


# --------------------------------------------------------------------------- Models and scaling


def test_compose_services_serve_metrics_on_the_kubernetes_port() -> None:
    # Every router and worker exposes /metrics as in deploy/k8s/components/metrics (README,
    # Metrics): the same variable, the same port.
    k8s = {
        v["name"]: v["value"]
        for w in workloads(render("overlays/production"))
        for c in w["spec"]["template"]["spec"]["containers"]
        for v in c.get("env", [])
        if v["name"].endswith("_METRICS_PORT")
    }
    assert set(k8s) == {"DUTA_ROUTER_METRICS_PORT", "DUTA_WORKER_METRICS_PORT"}
    services = compose_config()["services"]
    for name, service in services.items():
        if name.startswith("worker-") or name == "router":
            role = "WORKER" if name.startswith("worker-") else "ROUTER"
            variable = f"DUTA_{role}_METRICS_PORT"
            assert service["environment"].get(variable) == k8s[variable], name
