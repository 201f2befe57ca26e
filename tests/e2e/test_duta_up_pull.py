"""Real models end to end: `duta models pull zh-en --from URL` against the hub stand-in, then
`duta up --pairs zh-en,ja-en` (HF_ENDPOINT = the stand-in) pulling the missing ja-en itself and
serving both — no demo model anywhere."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import grpc
import pytest

from duta.models import build_demo_model
from duta.models.metadata import METADATA_FILE
from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc
from tests.conftest import free_port
from tests.hub_standin import HubStandIn


def _hub_repo(root, source: str, target: str, seed: int) -> dict[str, bytes]:
    model = build_demo_model(root / f"{source}-{target}", source, target, "quickmt", seed=seed)
    (model / METADATA_FILE).unlink()
    return {p.name: p.read_bytes() for p in model.iterdir()}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    build = tmp_path_factory.mktemp("hub")
    server = HubStandIn().start()
    server.add_repo("quickmt/quickmt-zh-en", _hub_repo(build, "zh", "en", 1))
    server.add_repo("quickmt/quickmt-ja-en", _hub_repo(build, "ja", "en", 2))
    yield server
    server.stop()


def test_pull_then_up_serves_real_models_and_pulls_what_is_missing(hub, tmp_path) -> None:
    models = tmp_path / "models"
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_ENDPOINT": hub.url}
    pulled = subprocess.run(
        [sys.executable, "-m", "duta", "models", "pull", "zh-en", "--from", hub.url,
         "--dir", str(models)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert pulled.returncode == 0, pulled.stderr
    assert "installed quickmt/quickmt-zh-en" in pulled.stdout

    state_file, port = tmp_path / "state.json", free_port()
    log = open(tmp_path / "up.log", "wb")  # noqa: SIM115
    up = subprocess.Popen(
        [sys.executable, "-m", "duta", "up", "--models", str(models), "--pairs", "zh-en,ja-en",
         "--no-redis", "--port", str(port), "--state-file", str(state_file)],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        while not state_file.exists():
            assert up.poll() is None and time.monotonic() < deadline, (
                tmp_path / "up.log"
            ).read_text()
            time.sleep(0.5)
        state = json.loads(state_file.read_text())
        with grpc.insecure_channel(state["router"]["address"]) as channel:
            reply = translator_pb2_grpc.TranslatorStub(channel).Translate(
                pb.TranslateRequest(
                    texts=["今天天气很好。", "今日はとても良い天気ですね。"], target_language="en"
                ),
                timeout=60,
            )
    finally:
        up.send_signal(signal.SIGTERM)
        assert up.wait(60) == 0
        log.close()
    output = (tmp_path / "up.log").read_text()
    assert sorted(state["workers"]) == ["ja-en", "zh-en"]
    assert [list(t.models) for t in reply.translations] == [["quickmt-zh-en"], ["quickmt-ja-en"]]
    assert not any(t.demo_output for t in reply.translations)
    assert "pulling real models for ja-en" in output and "NOT a translation" not in output
    assert not (models / ".duta-partial" / "ja-en").exists()
