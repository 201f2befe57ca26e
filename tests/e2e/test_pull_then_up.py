"""Real models end to end, as a user runs them: `duta models pull zh-en --from URL` against a
local stand-in of the hub, then `duta up --pairs zh-en,ja-en --from URL` serving the pulled
model (and pulling ja-en itself), every process's metrics on `--metrics-base-port`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import grpc
import pytest

from duta.models import build_demo_model
from duta.models.metadata import METADATA_FILE, read_metadata
from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc
from tests.conftest import free_port
from tests.hub_standin import HubStandIn

PAIRS = ("zh-en", "ja-en")


def _free_run(count: int) -> int:
    """A port p with p … p+count-1 all free a moment ago."""
    while True:
        base = free_port()
        if base + count > 65535:
            continue
        sockets = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory):
    build = tmp_path_factory.mktemp("hub")
    server = HubStandIn().start()
    for seed, pair in enumerate(PAIRS):
        source, target = pair.split("-")
        model = build_demo_model(build / pair, source, target, "quickmt", seed=seed + 40)
        (model / METADATA_FILE).unlink()  # the hub's repositories have no duta.json
        files = {p.name: p.read_bytes() for p in model.iterdir()}
        server.add_repo(f"quickmt/quickmt-{pair}", {**files, "eole-model/config.yaml": b"x: 1\n"})
    yield server
    server.stop()


@pytest.mark.slow
def test_pull_from_a_mirror_then_duta_up_serves_the_real_models(hub, tmp_path: Path) -> None:
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf")}
    env.pop("HF_ENDPOINT", None)
    duta = [sys.executable, "-m", "duta"]
    pulled = subprocess.run(
        [*duta, "models", "pull", "zh-en", "--from", hub.url, "--dir", "models"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert pulled.returncode == 0, pulled.stderr
    assert "installed quickmt/quickmt-zh-en@" in pulled.stdout
    meta = read_metadata(tmp_path / "models" / "zh-en")
    assert meta is not None and meta.revision == hub.repos["quickmt/quickmt-zh-en"].refs["main"]

    hub.requests.clear()
    base, state_file = _free_run(len(PAIRS) + 1), tmp_path / "state.json"
    argv = ["up", "--models", "models", "--pairs", ",".join(PAIRS), "--from", hub.url, "--port",
            "0", "--metrics-base-port", str(base), "--state-file", str(state_file)]  # fmt: skip
    with (tmp_path / "up.log").open("wb") as log:
        up = subprocess.Popen([*duta, *argv], cwd=tmp_path, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 300
        while not state_file.exists():
            if up.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"duta up did not come up:\n{(tmp_path / 'up.log').read_text()}")
            time.sleep(0.5)
        state = json.loads(state_file.read_text())
        output = (tmp_path / "up.log").read_text()
        _check_served(state, output, hub, base)
    finally:
        if up.poll() is None:
            up.send_signal(signal.SIGTERM)
            up.wait(60)
    assert up.returncode == 0


def _check_served(state: dict, output: str, hub: HubStandIn, base: int) -> None:
    assert "pulling real models for ja-en" in output  # zh-en was there already: kept
    assert "NOT a translation" not in output  # no demo model anywhere
    fetched = {p for m, p, _ in hub.requests if m == "GET" and "/resolve/" in p}
    assert fetched and all(p.startswith("/quickmt/quickmt-ja-en/") for p in fetched)

    with grpc.insecure_channel(state["router"]["address"]) as channel:
        stub = translator_pb2_grpc.TranslatorStub(channel)
        reply = stub.Translate(
            pb.TranslateRequest(
                texts=["今天天气很好。", "今日はとても良い天気ですね。"], target_language="en"
            ),
            timeout=60,
        )
    served = [(list(t.models), t.demo_output) for t in reply.translations]
    assert served == [(["quickmt-zh-en"], False), (["quickmt-ja-en"], False)]
    assert all(t.text.strip() for t in reply.translations)

    metrics = state["metrics"]
    assert metrics["router"] == f"http://127.0.0.1:{base}/metrics"
    ports = {int(url.rsplit(":", 1)[1].split("/")[0]) for url in metrics.values()}
    assert ports == {base, base + 1, base + 2} and set(metrics) == {"router", *PAIRS}
    for name, url in metrics.items():
        assert f"metrics of {name}: {url}" in output
        with urllib.request.urlopen(url, timeout=10) as page:
            assert "duta_" in page.read().decode()
