"""The optional api-keys component: applied to the core tree, the router reads its keys from
a mounted Kubernetes Secret that follows updates (for SIGHUP), under a real setting's name."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import kubernetes_validate

from duta.common.auth import ApiKeys
from tests.deploy_files import (
    K8S,
    K8S_VERSION,
    check_env_names,
    component,
    containers,
    is_duta,
    render,
    resolve_env,
    workloads,
)


def test_the_api_keys_component_mounts_a_secret_the_router_reads(tmp_path: Path) -> None:
    core = os.path.relpath(K8S / "base" / "core", tmp_path)
    keys = os.path.relpath(K8S / "components" / "api-keys", tmp_path)
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        f"resources:\n  - {core}\ncomponents:\n  - {keys}\n"
    )
    (router,) = [w for w in workloads(render(str(tmp_path))) if component(w) == "router"]
    kubernetes_validate.validate(router, K8S_VERSION, strict=True)
    pod = router["spec"]["template"]["spec"]
    (container,) = [c for c in containers(pod) if is_duta(c)]
    check_env_names([v["name"] for v in container["env"]], "api-keys component")
    path = PurePosixPath(resolve_env(container, {})["DUTA_ROUTER_API_KEYS_FILE"])
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == str(path.parent)]
    assert "subPath" not in mount  # a subPath mount would never see the Secret change
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert volume["secret"]["secretName"] == "duta-api-keys"
    # `kubectl create secret generic duta-api-keys --from-file=keys=…` (the component's
    # comment) mounts the file under its key's name, which the router reads as its key file
    assert path.name == "keys"
    secret_file = tmp_path / "mounted" / path.name
    secret_file.parent.mkdir()
    secret_file.write_text("# one key per line\nkey-one\nkey-two\n")
    assert ApiKeys(secret_file).reload() == 2
