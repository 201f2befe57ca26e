"""Which model directories `duta up` serves, and what it builds when the hub does not answer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from duta.cli.up_models import ensure_models, model_dirs, serves_demo
from duta.models import build_demo_model
from duta.models.metadata import METADATA_FILE, read_metadata, write_metadata
from tests.hub_standin import HubStandIn


@pytest.fixture
def models(tmp_path: Path) -> Path:
    root = tmp_path / "models"
    build_demo_model(root / "demo-zh-en", "zh", "en")
    build_demo_model(root / "demo-ja-en", "ja", "en", seed=1)
    real = root / "zh-en"
    shutil.copytree(root / "demo-zh-en", real)  # stands for a pulled model: demo false
    meta = read_metadata(real)
    assert meta is not None
    write_metadata(real, meta.model_copy(update={"demo": False, "id": "quickmt-zh-en"}))
    shutil.copytree(root / "demo-ja-en", root / ".duta-partial" / "ja-en")  # staged: never served
    return root


def test_a_real_model_hides_the_demo_of_its_pair(models: Path) -> None:
    assert [p.name for p in model_dirs(models)] == ["demo-ja-en", "zh-en"]
    assert [p.name for p in model_dirs(models, [("zh", "en")])] == ["zh-en"]
    assert serves_demo(models) and not serves_demo(models, [("zh-Hans", "en")])


def test_offline_missing_pairs_become_demo_models_and_present_ones_are_kept(
    models: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the hub "does not answer"
    ensure_models(models, [("zh", "en"), ("en", "ko")])
    out = capsys.readouterr().out
    assert "does not answer" in out and "en-ko" in out and "zh-en" not in out.split("for ")[-1]
    assert (models / "demo-en-ko" / "model.bin").is_file()
    assert not (models / "demo-zh-en.partial").exists()
    ensure_models(models, [("en", "ko")])  # still no hub: the demo model built is kept
    assert "building demo" not in capsys.readouterr().out


def test_demo_never_asks_the_hub_and_a_hub_that_answers_fills_the_pairs(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    hub = HubStandIn().start()
    try:
        repo = build_demo_model(tmp_path / "hub" / "en-ko", "en", "ko", "quickmt", seed=7)
        (repo / METADATA_FILE).unlink()
        hub.add_repo("quickmt/quickmt-en-ko", {p.name: p.read_bytes() for p in repo.iterdir()})

        ensure_models(models, [("en", "ko")], demo=True, source=hub.url)  # `duta up --demo`
        assert hub.requests == []
        assert read_metadata(models / "demo-en-ko").demo  # type: ignore[union-attr]

        ensure_models(models, [("en", "ko"), ("en", "th")], source=hub.url)
        out = capsys.readouterr()
        assert "pulling real models for en-ko, en-th" in out.out
        pulled = read_metadata(models / "en-ko")
        assert pulled is not None and not pulled.demo and pulled.repo_id == "quickmt/quickmt-en-ko"
        # The hub has no en-th repository: that pair alone falls back to a demo model.
        assert "could not pull en-th" in out.err and "not found" in out.err
        assert read_metadata(models / "demo-en-th").demo  # type: ignore[union-attr]
        assert [p.name for p in model_dirs(models, [("en", "ko")])] == ["en-ko"]
    finally:
        hub.stop()
