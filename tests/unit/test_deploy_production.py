"""The production overlay fills itself and scales: the models Job pulls the Asian pack before any
worker starts, HPAs own the worker counts, the queue-autoscaling component scales on the queue."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import yaml

from tests.deploy_files import (
    K8S,
    K8S_VERSION,
    binary,
    check_cli,
    component,
    expand,
    of_kind,
    render,
    resolve_env,
    workloads,
)

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
        [binary("kubectl", "see above"), "kustomize", str(copy / "check")],
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


def test_workers_are_sized_as_the_readme_says() -> None:
    # README "Sizing": the quickmt row is the production overlay's worker size, and
    # inter_threads equals the CPU limit (one CTranslate2 replica per core).
    readme = (K8S.parents[1] / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in readme.splitlines() if line.startswith("| quickmt")]
    memory, cpu = (cell.strip() for cell in row.strip("|").split("|")[2:4])
    request, limit = (part.strip().replace(" ", "") for part in memory.split("/"))
    objects = render("overlays/production")
    workers = [w for w in workloads(objects) if component(w) == "worker"]
    assert workers
    for worker in workers:
        container = worker["spec"]["template"]["spec"]["containers"][0]
        resources = container["resources"]
        assert (resources["requests"]["memory"], resources["limits"]["memory"]) == (request, limit)
        assert resources["requests"]["cpu"] == resources["limits"]["cpu"] == cpu
        env = resolve_env(container, worker["spec"]["template"]["metadata"]["labels"])
        assert env["DUTA_WORKER_INTER_THREADS"] == cpu
