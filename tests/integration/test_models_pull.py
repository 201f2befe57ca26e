"""`duta models pull` against a local stand-in of the hub (real HTTP, real huggingface_hub).

The stand-in serves tiny real CTranslate2 models in quickmt and OPUS-MT layouts (random
weights, built by the demo builder, their duta.json removed as on the hub) plus a quickmt-style
training folder that pull must skip.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from duta.cli.main import main
from duta.models import DemoShape, build_demo_model, open_model_dir
from duta.models.metadata import METADATA_FILE, read_metadata
from duta.models.pull import STAGING
from tests.hub_standin import HubStandIn

QUICKMT = "quickmt/quickmt-zh-en"
OPUS = "gaudi/opus-mt-zh-en-ctranslate2"
TRAINING = {"eole-model/config.yaml": b"training: {}\n", "eole-model/model.00.pt": b"x" * 4096}


def _repo_files(root: Path, name: str, family: str, seed: int, **shape) -> dict[str, bytes]:
    model = build_demo_model(root / name, "zh", "en", family, DemoShape(**shape), seed=seed)
    (model / METADATA_FILE).unlink()  # hub repositories have no duta.json
    files = {p.name: p.read_bytes() for p in model.iterdir()}
    return {**files, "README.md": f"# {name}\nlicence: see card\n".encode()}


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory):
    build = tmp_path_factory.mktemp("hub-build")
    server = HubStandIn().start()
    # A vocabulary of 30,000: model.bin (≈ 16 MB) spans more than one of huggingface_hub's
    # 10 MiB download chunks, so a download cut after the first chunk can resume.
    quickmt = _repo_files(build, "q", "quickmt", 1, vocab_size=30_000)
    server.add_repo(QUICKMT, {**quickmt, **TRAINING})
    old = server.add_repo(OPUS, _repo_files(build, "o1", "opus-mt", 2))
    server.add_repo(OPUS, _repo_files(build, "o2", "opus-mt", 3))
    server.old_opus_commit = old  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _isolated_hf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hub: HubStandIn) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    hub.heal()


def _pull(capsys, *args: str) -> tuple[int, str]:
    code = main(["models", "pull", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def _left_behind(models: Path) -> list[str]:
    """Model directories a worker would load (what `duta up` scans)."""
    return sorted(p.parent.name for p in models.glob("*/model.bin"))


def test_pull_pair_installs_the_recommended_model_checked_and_labelled(hub, tmp_path, capsys):
    models = tmp_path / "models"
    code, out = _pull(capsys, "zh-en", "--dir", str(models), "--from", hub.url)
    assert code == 0, out
    target = models / "zh-en"
    meta = read_metadata(target)
    assert meta is not None and meta.repo_id == QUICKMT and not meta.demo
    assert meta.revision == hub.repos[QUICKMT].refs["main"]
    assert meta.license == "CC-BY-4.0" and meta.family == "quickmt"
    assert meta.source_languages == ["zh-Hans"] and meta.target_languages == ["en"]
    assert set(meta.files) == {p.name for p in target.iterdir()} - {METADATA_FILE}
    assert not (target / "eole-model").exists() and not (target / ".cache").exists()
    assert not any(path.startswith("/quickmt/quickmt-zh-en/resolve/") and "eole" in path
                   for _, path, _ in hub.requests)  # fmt: skip
    assert open_model_dir(target).serves("zh", "en")
    assert not (models / STAGING / "zh-en").exists()

    code, out = _pull(capsys, "zh-en", "--dir", str(models), "--from", hub.url)
    assert code == 0 and "already installed" in out
    assert main(["models", "verify", str(target)]) == 0
    assert "a worker would serve: zh-Hans → en" in capsys.readouterr().out
    assert main(["models", "list", "--dir", str(models)]) == 0
    listed = [line for line in capsys.readouterr().out.splitlines() if QUICKMT in line]
    assert listed[0].lstrip().startswith("*") and "[installed: zh-en]" in listed[0]


def _pull_process(hub: HubStandIn, models: Path, terminal: bool) -> tuple[int, str]:
    """`duta models pull zh-en` as its own process; its stderr a terminal (pty) or a pipe."""
    command = [sys.executable, "-m", "duta", "models", "pull", "zh-en", "--dir", str(models),
               "--from", hub.url]  # fmt: skip
    if not terminal:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        return done.returncode, done.stderr
    controller, terminal_end = pty.openpty()
    # A terminal 120 columns wide (a new pty has none, and tqdm draws nothing into 0 columns).
    fcntl.ioctl(terminal_end, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=terminal_end)
    os.close(terminal_end)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 1 << 16)
        except OSError:  # EIO: the process closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    return process.wait(60), b"".join(chunks).decode(errors="replace")


def test_a_terminal_gets_a_progress_bar_and_a_pipe_plain_lines(hub, tmp_path):
    files = len([p for p in hub.repos[QUICKMT].commits[hub.repos[QUICKMT].refs["main"]]
                 if not p.startswith("eole-model/")])  # fmt: skip
    code, bars = _pull_process(hub, tmp_path / "a", terminal=True)
    assert code == 0, bars
    assert f"Fetching {files} files: 100%|" in bars and "files downloaded" not in bars
    code, lines = _pull_process(hub, tmp_path / "b", terminal=False)
    assert code == 0, lines
    assert "\r" not in lines and "Fetching" not in lines and "%|" not in lines
    counts = re.findall(r"^  (\d+)/(\d+) files downloaded$", lines, re.MULTILINE)
    assert counts == [(str(i), str(files)) for i in range(1, files + 1)], lines


def test_pinned_revision_of_a_repository_id(hub, tmp_path, capsys):
    models = tmp_path / "models"
    old = hub.old_opus_commit
    code, out = _pull(capsys, OPUS, "--dir", str(models), "--from", hub.url, "--revision", old)
    assert code == 0, out
    meta = read_metadata(models / "opus-mt-zh-en-ctranslate2")
    assert meta is not None and meta.revision == old and meta.family == "opus-mt"
    served = (models / "opus-mt-zh-en-ctranslate2" / "model.bin").read_bytes()
    assert served == hub.repos[OPUS].commits[old]["model.bin"]
    assert served != hub.repos[OPUS].commits[hub.repos[OPUS].refs["main"]]["model.bin"]


def test_bytes_that_do_not_match_the_hub_are_refused(hub, tmp_path, capsys):
    models = tmp_path / "models"
    hub.corrupt.add((QUICKMT, "model.bin"))
    code, out = _pull(capsys, "zh-en", "--dir", str(models), "--from", hub.url)
    assert code == 1
    assert "model.bin: sha256" in out and "does not match" in out
    assert _left_behind(models) == [] and not (models / STAGING / "zh-en").exists()


def test_a_dropped_connection_is_resumed_where_it_stopped(hub, tmp_path, capsys):
    models = tmp_path / "models"
    size = len(hub.repos[QUICKMT].commits[hub.repos[QUICKMT].refs["main"]]["model.bin"])
    cut = 11 << 20  # past the first 10 MiB chunk
    assert size > cut
    hub.drop_after[(QUICKMT, "model.bin")] = cut
    hub.requests.clear()
    code, out = _pull(capsys, "zh-en", "--dir", str(models), "--from", hub.url)
    assert code == 0, out
    ranges = [r for m, p, r in hub.requests if m == "GET" and p.endswith("/model.bin")]
    assert len(ranges) == 2 and ranges[0] is None, ranges
    start = int(ranges[1].removeprefix("bytes=").rstrip("-"))  # what had been written
    assert 0 < start <= cut  # resumed there, not fetched from the start
    assert open_model_dir(models / "zh-en").metadata.repo_id == QUICKMT


def test_an_interrupted_pull_installs_nothing_and_the_next_run_finishes(hub, tmp_path, capsys):
    models = tmp_path / "models"
    hub.drop_after[(QUICKMT, "model.bin")] = 1000
    hub.fail_after_drop.add((QUICKMT, "model.bin"))  # then 503s: the run gives up
    code, out = _pull(capsys, "zh-en", "--dir", str(models), "--from", hub.url)
    assert code == 1 and "interrupted" in out and "run the same command again" in out
    assert _left_behind(models) == []
    staged = models / STAGING / "zh-en"
    done = {p.name for p in staged.iterdir() if p.is_file()}
    assert "model.bin" not in done  # no partial file where a model file belongs

    hub.heal()
    hub.requests.clear()
    code, out = _pull(capsys, "zh-en", "--dir", str(models), "--from", hub.url)
    assert code == 0, out
    fetched = {p.rsplit("/", 1)[-1] for m, p, _ in hub.requests if m == "GET" and "/resolve/" in p}
    assert "model.bin" in fetched and not fetched & done  # finished files are not fetched again
    assert _left_behind(models) == ["zh-en"] and not staged.exists()


def test_a_revision_that_does_not_exist_is_a_clear_error(hub, tmp_path, capsys):
    models = tmp_path / "models"
    code, out = _pull(capsys, "zh-en", "--dir", str(models), "--from", hub.url, "--revision", "v9")
    assert code == 1
    assert f"revision 'v9' does not exist in {QUICKMT}" in out
    assert _left_behind(models) == []


def test_a_repository_without_the_familys_files_is_refused(hub, tmp_path, capsys):
    build = tmp_path / "build"
    files = _repo_files(build, "ko", "quickmt", 5)
    hub.add_repo("quickmt/quickmt-ko-en", {k: v for k, v in files.items() if k != "tgt.spm.model"})
    hub.add_repo("quickmt/quickmt-en-ko", {k: v for k, v in files.items() if k != "model.bin"})
    models = tmp_path / "models"
    code, out = _pull(capsys, "ko-en", "--dir", str(models), "--from", hub.url)
    assert code == 1 and "quickmt/quickmt-ko-en: the pulled model is not usable" in out, out
    assert "no target SentencePiece model" in out and "tgt.spm.model" in out
    code, out = _pull(capsys, "en-ko", "--dir", str(models), "--from", hub.url)
    assert code == 1 and "has no model weights" in out, out
    assert _left_behind(models) == [] and not list(models.glob(f"{STAGING}/*"))


def test_air_gapped_copy_is_checked_against_its_download_records(hub, tmp_path, capsys):
    from huggingface_hub import snapshot_download

    copy = tmp_path / "usb" / "quickmt-zh-en"  # as `hf download REPO --local-dir` writes it
    snapshot_download(QUICKMT, local_dir=copy, endpoint=hub.url)
    assert (copy / "eole-model").is_dir()
    hub.requests.clear()
    models = tmp_path / "models"
    code, out = _pull(capsys, "zh-en", "--dir", str(models), "--from", str(copy))
    assert code == 0, out
    assert hub.requests == []  # no network
    meta = read_metadata(models / "zh-en")
    assert meta is not None and meta.revision == hub.repos[QUICKMT].refs["main"]
    assert not (models / "zh-en" / "eole-model").exists()

    data = bytearray((copy / "tgt.spm.model").read_bytes())
    data[-1] ^= 0xFF
    (copy / "tgt.spm.model").write_bytes(bytes(data))
    other = tmp_path / "other"
    code, out = _pull(capsys, "zh-en", "--dir", str(other), "--from", str(copy))
    assert code == 1 and "tgt.spm.model: sha256" in out
    assert _left_behind(other) == []


def test_non_commercial_models_need_the_flag_that_names_the_licence(tmp_path, capsys):
    code, out = _pull(capsys, "skywood/nllb-200-distilled-600M-ct2-int8", "--dir", str(tmp_path))
    assert code == 1 and "CC-BY-NC-4.0" in out and "--accept-cc-by-nc" in out
    code, out = _pull(capsys, "Helsinki-NLP/opus-mt-en-jap", "--dir", str(tmp_path))
    assert code == 1 and "not Japanese" in out


def test_a_damaged_installed_file_fails_verify(hub, tmp_path, capsys):
    models = tmp_path / "models"
    assert _pull(capsys, "zh-en", "--dir", str(models), "--from", hub.url)[0] == 0
    config = models / "zh-en" / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "extra": 1}))
    assert main(["models", "verify", str(models / "zh-en")]) == 1
    assert "differs from the size/sha256 recorded" in capsys.readouterr().err
    shutil.rmtree(models)


def test_build_demo_keeps_what_is_there_and_pull_replaces_a_demo(hub, tmp_path, capsys):
    models = tmp_path / "models"
    build = ["models", "build-demo", str(models), "--pairs", "zh-en", "--name", "zh-en"]
    assert main(build) == 0
    assert main(build) == 0  # again, as after `make up`: kept, no error
    assert "kept" in capsys.readouterr().out
    assert read_metadata(models / "zh-en").demo  # type: ignore[union-attr]

    code, out = _pull(capsys, "zh-en", "--dir", str(models), "--from", hub.url)
    assert code == 0 and "replacing demo model" in out, out
    meta = read_metadata(models / "zh-en")
    assert meta is not None and not meta.demo and meta.repo_id == QUICKMT
    assert main(build) == 0 and "a real model is installed there" in capsys.readouterr().out
    assert not read_metadata(models / "zh-en").demo  # type: ignore[union-attr]
    assert main(["models", "verify", str(models / "zh-en"), "--wait", "5"]) == 0
    assert main(["models", "verify", str(models / "ja-en"), "--wait", "0.3"]) == 1
    assert "no model installed" in capsys.readouterr().err
