"""open_model_dir: every way a model directory can be broken gives a precise ModelDirError."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import ctranslate2
import pytest

from duta.models import (
    METADATA_FILE,
    DemoShape,
    ModelDirError,
    UnservedLanguagePair,
    build_demo_model,
    build_demo_models,
    open_model_dir,
)
from duta.models.modelbin import read_model_bin

TINY = DemoShape(vocab_size=800, spm_vocab_size=500, corpus_sentences=600)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models-dir")
    return {
        "quickmt": build_demo_model(root / "quickmt", "zh", "en", "quickmt", TINY),
        "opus-mt": build_demo_model(root / "opus", "ja", "en", "opus-mt", TINY),
        "nllb": build_demo_model(root / "nllb", "en", "ko", "nllb", TINY),
    }


@pytest.fixture
def model(built: dict[str, Path], tmp_path: Path) -> Path:
    """A private, writable copy of the quickmt demo model."""
    return Path(shutil.copytree(built["quickmt"], tmp_path / "model"))


def _edit_json(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_demo_model_metadata(model: Path) -> None:
    meta = open_model_dir(model).metadata
    assert meta.demo is True and "random weights" in meta.description
    assert meta.source_languages == ["zh-Hans"] and meta.target_languages == ["en"]
    assert meta.ctranslate2_version == ctranslate2.__version__
    assert {p.name for p in model.iterdir()} == {
        "model.bin", "config.json", "source_vocabulary.json", "target_vocabulary.json",
        "src.spm.model", "tgt.spm.model", METADATA_FILE,
    }  # fmt: skip


def test_model_bin_headers_are_walked(model: Path) -> None:
    info = read_model_bin(model / "model.bin")
    assert info.spec_name == "TransformerSpec"
    assert info.shape("encoder/embeddings_0/weight") == (800, 64)
    assert info.shape("encoder/position_encodings/encodings") == (512, 64)
    assert open_model_dir(model).max_source_tokens == 512


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelDirError, match="not a directory"):
        open_model_dir(tmp_path / "nowhere")


def test_missing_model_bin(model: Path) -> None:
    (model / "model.bin").unlink()
    with pytest.raises(ModelDirError, match=r"model\.bin is missing.*build-demo"):
        open_model_dir(model)


def test_truncated_model_bin(model: Path) -> None:
    path = model / "model.bin"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelDirError, match=r"model\.bin: truncated .*fetch or convert"):
        open_model_dir(model)


def test_trailing_garbage_is_corrupt(model: Path) -> None:
    with (model / "model.bin").open("ab") as stream:
        stream.write(b"junk")
    with pytest.raises(ModelDirError, match="4 unexpected bytes"):
        open_model_dir(model)


def test_model_bin_newer_than_the_runtime(model: Path) -> None:
    path = model / "model.bin"
    data = path.read_bytes()
    path.write_bytes(struct.pack("<I", 99) + data[4:])
    with pytest.raises(ModelDirError, match=r"binary format 99.*upgrade ctranslate2"):
        open_model_dir(model)


def test_not_a_ctranslate2_file(model: Path) -> None:
    (model / "model.bin").write_bytes(b"PK\x03\x04 a zip file, not a model")
    with pytest.raises(ModelDirError, match="not a CTranslate2 model"):
        open_model_dir(model)


def test_metadata_from_a_newer_ctranslate2(model: Path) -> None:
    _edit_json(model / METADATA_FILE, ctranslate2_version="99.0.0")
    with pytest.raises(ModelDirError, match=r"written by ctranslate2 99\.0\.0, newer than"):
        open_model_dir(model)


def test_unreadable_config(model: Path) -> None:
    (model / "config.json").write_text("{", encoding="utf-8")
    with pytest.raises(ModelDirError, match=r"config\.json: cannot be read as JSON"):
        open_model_dir(model)
    (model / "config.json").unlink()
    with pytest.raises(ModelDirError, match=r"config\.json: missing"):
        open_model_dir(model)


def test_missing_tokenizer(model: Path) -> None:
    (model / "tgt.spm.model").unlink()
    with pytest.raises(ModelDirError, match=r"no target SentencePiece model.*tgt\.spm\.model"):
        open_model_dir(model)


def test_corrupt_tokenizer(model: Path) -> None:
    (model / "src.spm.model").write_bytes(b"garbage")
    with pytest.raises(ModelDirError, match=r"src\.spm\.model: not a readable SentencePiece"):
        open_model_dir(model)


def test_vocabulary_that_does_not_match_model_bin(model: Path) -> None:
    path = model / "source_vocabulary.json"
    path.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8"))[:-5]), "utf-8")
    with pytest.raises(ModelDirError, match="source vocabulary has 795 tokens but model.bin"):
        open_model_dir(model)


def test_eos_appended_twice_is_refused(model: Path) -> None:
    _edit_json(model / "config.json", add_source_eos=True)
    with pytest.raises(ModelDirError, match="CTranslate2 appends </s> itself"):
        open_model_dir(model)


def test_pair_not_served(model: Path) -> None:
    with pytest.raises(ModelDirError, match=r"--target ja is not served by model"):
        open_model_dir(model, "zh", "ja")
    bundle = open_model_dir(model, "zh-CN", "en")
    assert bundle.serves("zh", "en") and not bundle.serves("zh-TW", "en")
    assert not bundle.serves("klingon!", "en")
    with pytest.raises(UnservedLanguagePair, match="does not translate 'ko'"):
        bundle.encode(["x"], "ko", "en")


def test_without_metadata_the_pair_must_be_given(model: Path) -> None:
    (model / METADATA_FILE).unlink()
    with pytest.raises(ModelDirError, match=r"pass --source and --target"):
        open_model_dir(model)
    bundle = open_model_dir(model, "zh", "en")
    assert bundle.metadata.family == "quickmt" and bundle.metadata.demo is False
    assert bundle.metadata.add_source_eos is True


@pytest.mark.parametrize(("name", "family"), [("opus-mt", "opus-mt"), ("nllb", "nllb")])
def test_family_is_inferred_from_the_files(
    built: dict[str, Path], tmp_path: Path, name: str, family: str
) -> None:
    model = Path(shutil.copytree(built[name], tmp_path / name))
    meta = json.loads((model / METADATA_FILE).read_text(encoding="utf-8"))
    (model / METADATA_FILE).unlink()
    bundle = open_model_dir(model, meta["source_languages"][0], meta["target_languages"][0])
    assert bundle.metadata.family == family
    assert bundle.metadata.language_tokens == meta["language_tokens"]


def test_unknown_layout(model: Path) -> None:
    (model / METADATA_FILE).unlink()
    for name in ("src.spm.model", "tgt.spm.model"):
        (model / name).rename(model / f"{name}.bak")
    with pytest.raises(ModelDirError, match="cannot tell the model family"):
        open_model_dir(model, "zh", "en")


def test_language_token_missing_from_vocabulary(built: dict[str, Path], tmp_path: Path) -> None:
    model = Path(shutil.copytree(built["nllb"], tmp_path / "nllb"))
    _edit_json(model / METADATA_FILE, language_tokens={"en": "eng_Latn", "ko": "kor_Kore"})
    with pytest.raises(ModelDirError, match="language token 'kor_Kore' for ko is not in"):
        open_model_dir(model)


def test_opus_mt_honours_config_add_source_eos(built: dict[str, Path], tmp_path: Path) -> None:
    model = Path(shutil.copytree(built["opus-mt"], tmp_path / "opus"))
    assert open_model_dir(model).encode(["テスト"], "ja", "en")[0][0][-1] == "</s>"
    (model / METADATA_FILE).unlink()
    _edit_json(model / "config.json", add_source_eos=True)  # as ct2-opus-mt-converter writes
    tokens = open_model_dir(model, "ja", "en").encode(["テスト"], "ja", "en")[0][0]
    assert tokens and tokens[-1] != "</s>"


def test_build_demo_models_names_and_size(tmp_path: Path) -> None:
    paths = build_demo_models(tmp_path, [("zh", "en"), ("en", "ja")])
    assert [p.name for p in paths] == ["demo-zh-en", "demo-en-ja"]
    assert [open_model_dir(p).metadata.id for p in paths] == ["demo-zh-en", "demo-en-ja"]
    for path in paths:  # tiny, so that building one takes about a second (not timed: load)
        assert (path / "model.bin").stat().st_size < 2_000_000, path
    with pytest.raises(FileExistsError):
        build_demo_models(tmp_path, [("zh", "en")])
    assert build_demo_models(tmp_path, [("zh", "en")], overwrite=True) == paths[:1]


def test_runtime_limits_match_ctranslate2_without_importing_torch():
    """The limits read from CTranslate2's spec sources are the ones its modules hold, and a
    worker checking a model.bin never imports ctranslate2.specs (which imports torch), nor the
    language detector."""
    code = (
        "import sys; from duta.models.modelbin import runtime_limits; import duta.worker.server; "
        "print(*runtime_limits(), 'ctranslate2.specs' in sys.modules, 'torch' in sys.modules, "
        "'duta.langid.detector' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    binary, revision, specs, torch, detector = out.stdout.split()
    from ctranslate2.specs import model_spec, transformer_spec

    assert int(binary) == model_spec.CURRENT_BINARY_VERSION
    assert int(revision) == transformer_spec.TransformerSpec.revision.fget(None)
    assert (specs, torch, detector) == ("False", "False", "False")


def test_runtime_limits_fall_back_to_importing_the_specs(monkeypatch):
    """A CTranslate2 whose spec sources cannot be read still gives the right limits."""
    from ctranslate2.specs import model_spec

    from duta.models import modelbin

    def unreadable(module: str):
        raise OSError(f"{module} moved")

    monkeypatch.setattr(modelbin, "_spec_source", unreadable)
    monkeypatch.delitem(sys.modules, "ctranslate2.specs.transformer_spec")
    modelbin.runtime_limits.cache_clear()
    try:
        assert modelbin.runtime_limits()[0] == model_spec.CURRENT_BINARY_VERSION
    finally:
        modelbin.runtime_limits.cache_clear()
