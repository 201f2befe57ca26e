"""The Compose `models` service's own command, run for real (sh, the `duta` CLI) against a
local stand-in of the hub: offline it builds demo models at /models/<pair>; with DUTA_DEMO=0 it
pulls the real models, replacing the demo ones (a pull keeps what is installed: see
test_models_pull)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from duta.models import build_demo_model
from duta.models.metadata import METADATA_FILE, read_metadata
from tests.deploy_files import compose_config
from tests.hub_standin import HubStandIn


def _repo(root: Path, pair: str, seed: int) -> dict[str, bytes]:
    source, target = pair.split("-")
    model = build_demo_model(root / pair, source, target, "quickmt", seed=seed)
    (model / METADATA_FILE).unlink()
    return {p.name: p.read_bytes() for p in model.iterdir()}


@pytest.mark.slow
def test_compose_models_service_fills_the_volume(tmp_path: Path) -> None:
    service = compose_config()["services"]["models"]
    script = service["command"][0].replace("$$", "$").replace("/models", str(tmp_path / "v"))
    configured = service["environment"]["PAIRS"].split()
    assert {"zh-en", "ja-en", "en-ko"} <= set(configured)
    pairs = configured[:1]  # the loop is the same for every pair: one keeps the test short
    hub = HubStandIn().start()
    try:
        for seed, pair in enumerate(pairs):
            hub.add_repo(f"quickmt/quickmt-{pair}", _repo(tmp_path / "hub", pair, seed))
        env = {
            **os.environ,
            **{k: str(v) for k, v in service["environment"].items()},
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "HF_ENDPOINT": hub.url,
            "HF_HOME": str(tmp_path / "hf"),
        }

        def run(demo: str) -> str:
            done = subprocess.run(
                [*service["entrypoint"], script],
                env={**env, "DEMO": demo, "PAIRS": " ".join(pairs)},
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            return done.stdout

        assert service["environment"]["DEMO"] == "1"  # the offline default
        run("1")
        for pair in pairs:
            meta = read_metadata(tmp_path / "v" / pair)
            assert meta is not None and meta.demo, pair
        out = run("0")
        for pair in pairs:
            meta = read_metadata(tmp_path / "v" / pair)
            assert meta is not None and not meta.demo and meta.repo_id == f"quickmt/quickmt-{pair}"
        assert out.count("replacing demo model") == len(pairs)
    finally:
        hub.stop()
