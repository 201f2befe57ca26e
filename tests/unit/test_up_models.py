"""Which model directories `duta up` serves, and what it builds when the hub does not answer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from duta.cli.up_models import ensure_models, model_dirs, serves_demo
from duta.models import build_demo_model
from duta.models.metadata import read_metadata, write_metadata


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
