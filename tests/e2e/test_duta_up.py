"""The whole cluster exactly as `duta up` starts it, called as a client would."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import grpc
import pytest

from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc
from tests.conftest import free_port
from tests.unit.test_dashboard import REQUIRED

TEXTS = [
    "今天天气很好。我们去公园散步吧。",
    "今日はとても良い天気ですね。",
    "오늘은 날씨가 정말 좋네요.",
]


def _alive(pid: int) -> bool:
    """True while the process runs (a zombie awaiting its parent's wait() counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("up")
    state_file = workdir / "state.json"
    port = free_port()
    log = open(workdir / "up.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "duta",
            "up",
            "--models",
            str(workdir / "models"),
            "--port",
            str(port),
            "--state-file",
            str(state_file),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=workdir,
        # No model hub answers here (a closed port): duta up must fall back to demo models.
        env={**os.environ, "HF_ENDPOINT": f"http://127.0.0.1:{free_port()}"},
    )
    deadline = time.monotonic() + 240
    while not state_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"duta up did not come up:\n{(workdir / 'up.log').read_text()}")
        time.sleep(0.5)
    state = json.loads(state_file.read_text())
    yield proc, state, workdir
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    log.close()


@pytest.fixture(scope="module")
def stub(cluster):
    _, state, _ = cluster
    with grpc.insecure_channel(state["router"]["address"]) as channel:
        yield translator_pb2_grpc.TranslatorStub(channel)


def test_it_says_demo_models_are_random(cluster) -> None:
    _, _, workdir = cluster
    log = (workdir / "up.log").read_text()
    assert "NOT a translation" in log
    assert "does not answer" in log  # why: no hub, so no real models
    assert "Duta is up" in log and "redis://" in log


def test_every_process_serves_the_metrics_the_dashboard_shows(stub, cluster) -> None:
    _, state, workdir = cluster
    stub.Translate(pb.TranslateRequest(texts=["指标测试。"], target_language="en"), timeout=60)
    metrics = state["metrics"]
    assert set(metrics) == {"router", *state["workers"]}
    log = (workdir / "up.log").read_text()
    seen: set[str] = set()
    for name, url in metrics.items():
        assert f"metrics of {name}: {url}" in log  # printed for the operator
        with urllib.request.urlopen(url, timeout=10) as reply:
            text = reply.read().decode()
        seen |= set(re.findall(r"^(duta_[a-z_]+)", text, re.MULTILINE))
    assert seen >= REQUIRED, REQUIRED - seen


def test_translate_detect_cache_and_worker_death(stub, cluster) -> None:
    _, state, _ = cluster
    request = pb.TranslateRequest(texts=TEXTS, target_language="en")
    first = stub.Translate(request, timeout=60).translations
    assert [t.detected_language for t in first] == ["zh-Hans", "ja", "ko"]
    assert [list(t.models) for t in first] == [["demo-zh-en"], ["demo-ja-en"], ["demo-ko-en"]]
    assert all(t.text.strip() and t.demo_output and not t.cached for t in first)

    english = stub.Translate(
        pb.TranslateRequest(texts=["The weather is lovely today."], target_language="ja")
    )
    assert english.translations[0].detected_language == "en"
    assert list(english.translations[0].models) == ["demo-en-ja"]

    second = stub.Translate(request, timeout=60).translations
    assert all(t.cached for t in second)
    assert [t.text for t in second] == [t.text for t in first]

    worker = state["workers"]["demo-zh-en"]["pid"]
    os.kill(worker, signal.SIGKILL)
    while _alive(worker):
        time.sleep(0.05)
    third = stub.Translate(request, timeout=60).translations
    assert all(t.cached for t in third) and [t.text for t in third] == [t.text for t in first]

    with pytest.raises(grpc.RpcError) as info:  # a new Chinese sentence needs the dead worker
        stub.Translate(
            pb.TranslateRequest(texts=["这句话没有缓存。"], target_language="en"), timeout=60
        )
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE


def test_detect_and_list_languages(stub) -> None:
    reply = stub.DetectLanguage(pb.DetectLanguageRequest(texts=TEXTS, top_k=3))
    assert [d.language for d in reply.detections] == ["zh-Hans", "ja", "ko"]
    assert all(0 < d.confidence <= 1 and len(d.candidates) >= 1 for d in reply.detections)
    pairs = stub.ListLanguages(pb.ListLanguagesRequest()).pairs
    names = {(p.source_language, p.target_language) for p in pairs}
    assert {("zh-Hans", "en"), ("ja", "en"), ("en", "ko"), ("ja", "ko")} <= names


def test_redis_stopped_requests_still_succeed(stub, cluster) -> None:
    _, state, _ = cluster
    os.kill(state["redis"]["pid"], signal.SIGTERM)
    while _alive(state["redis"]["pid"]):
        time.sleep(0.05)
    out = stub.Translate(
        pb.TranslateRequest(
            texts=["Redis has stopped but this still works."], target_language="ko"
        ),
        timeout=60,
    ).translations[0]
    assert out.text.strip() and not out.cached and list(out.models) == ["demo-en-ko"]


def _cli_translate(state, *texts: str) -> subprocess.CompletedProcess[str]:
    address = state["router"]["address"]
    command = [sys.executable, "-m", "duta", "translate", *texts, "--to", "en"]
    return subprocess.run(
        [*command, "--address", address], capture_output=True, text=True, timeout=60
    )


def test_cli_translate_against_the_cluster(cluster) -> None:
    _, state, _ = cluster
    result = _cli_translate(state, "오늘 날씨가 좋네요.")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "DEMO MODEL" in result.stderr and "ko→en" in result.stderr
    # A text no model serves fails alone: its line is empty, the reason on stderr, status 1.
    result = _cli_translate(state, "오늘 날씨가 좋네요.", "สวัสดีครับ")
    assert result.returncode == 1, result.stderr
    first, second = result.stdout.split("\n")[:2]
    assert first.strip() and not second
    assert "not translated" in result.stderr and "th → en" in result.stderr


def test_logs_never_contain_user_text(cluster) -> None:
    _, state, _ = cluster
    logs = list(Path(state["logs"]).glob("*.log"))  # every service's own log
    assert len(logs) >= 8  # router, six workers, redis
    text = "".join(path.read_text(errors="replace") for path in logs)
    assert '"level": "INFO"' in text  # the services did log
    for sentence in [
        *TEXTS,
        "The weather is lovely today.",
        "Redis has stopped but this still works.",
    ]:
        assert sentence not in text
        assert sentence.isascii() or sentence[:6] not in text  # nor a piece of it


def test_sigterm_stops_every_process(cluster) -> None:
    proc, state, _ = cluster
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
    pids = [state["router"]["pid"], *(w["pid"] for w in state["workers"].values())]
    assert not [pid for pid in pids if _alive(pid)]
    assert Path(state["logs"]).is_dir()
