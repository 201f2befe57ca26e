"""Model metadata, the catalog and the `duta models` argument parsing."""

from __future__ import annotations

import argparse
import json

import pytest
from pydantic import ValidationError

from duta.models import METADATA_FILE, ModelDirError, ModelMetadata
from duta.models.catalog import CATALOG, TRAPS, find_entries
from duta.models.cli import parse_pairs, register
from duta.models.errors import PullError
from duta.models.metadata import read_metadata, write_metadata
from duta.models.pull import choose_entry


def _meta(**overrides: object) -> ModelMetadata:
    fields: dict[str, object] = {
        "id": "m",
        "family": "nllb",
        "source_languages": ["zh"],
        "target_languages": ["ZH_tw", "en"],
        "revision": "r1",
        "add_source_eos": True,
        "language_tokens": {"zh": "zho_Hans"},
    }
    fields.update(overrides)
    return ModelMetadata.model_validate(fields)


def test_languages_are_recorded_canonically() -> None:
    meta = _meta()
    assert meta.source_languages == ["zh-Hans"]
    assert meta.target_languages == ["zh-Hant-TW", "en"]
    assert meta.language_tokens == {"zh-Hans": "zho_Hans"}


def test_metadata_is_frozen_and_strict() -> None:
    meta = _meta()
    with pytest.raises(ValidationError):
        meta.id = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="family"):
        _meta(family="marian")
    with pytest.raises(ValidationError, match="extra"):
        _meta(unknown_field=1)
    with pytest.raises(ValidationError, match="source_languages"):
        _meta(source_languages=["not a language!"])


def test_metadata_round_trips_through_the_file(tmp_path) -> None:
    meta = _meta(demo=True, ctranslate2_version="4.8.5")
    path = write_metadata(tmp_path, meta)
    assert path.name == METADATA_FILE == "duta.json"
    assert read_metadata(tmp_path) == meta
    assert read_metadata(tmp_path / "missing") is None


def test_broken_metadata_names_the_file_and_the_field(tmp_path) -> None:
    (tmp_path / METADATA_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelDirError, match=r"duta\.json: cannot be read as JSON"):
        read_metadata(tmp_path)
    (tmp_path / METADATA_FILE).write_text(json.dumps({"id": "x"}), encoding="utf-8")
    with pytest.raises(ModelDirError, match=r"invalid model metadata: family: Field required"):
        read_metadata(tmp_path)


def test_catalog_carries_the_warnings_from_models_md() -> None:
    nllb = [e for e in CATALOG if e.family == "nllb"]
    assert nllb and all(not e.commercial_use and e.license == "CC-BY-NC-4.0" for e in nllb)
    assert "Helsinki-NLP/opus-mt-en-jap" in TRAPS
    assert all(e.repo_id != "Helsinki-NLP/opus-mt-en-jap" for e in CATALOG)
    en_ja = {e.repo_id for e in find_entries("en", "ja")}
    assert {"quickmt/quickmt-en-ja", "jkawamoto/fugumt-en-ja-ct2"} <= en_ja
    assert "quickmt/quickmt-zh-en" not in {e.repo_id for e in find_entries("ms", "en")}
    assert len({e.repo_id for e in CATALOG}) == len(CATALOG)


@pytest.mark.parametrize(
    ("pair", "repo"),
    [
        ("zh-en", "quickmt/quickmt-zh-en"),  # a per-pair model first (best published quality)
        ("zh-Hant:en", "quickmt/quickmt-zh-en"),
        ("en-yue", "gaudi/opus-mt-en-zh-ctranslate2"),  # multi-target, >>yue_Hant<<
        ("ms-en", "Helsinki-NLP/opus-mt-mul-en"),  # no per-pair model: a commercial wide one
        ("zh-ja", "Torurzr/screentranslator-mt"),  # M2M100 (MIT) before NLLB (non-commercial)
    ],
)
def test_a_pair_pulls_the_catalogs_recommended_model(pair: str, repo: str) -> None:
    entry, name = choose_entry(pair)
    assert (entry.repo_id, name) == (repo, pair)


def test_nllb_only_with_the_flag_that_names_its_licence() -> None:
    # M2M100 has no Cantonese token, so zh → yue is NLLB's alone: refused without the flag.
    assert {e.family for e in find_entries("zh", "yue")} == {"nllb"}
    with pytest.raises(PullError, match=r"CC-BY-NC-4\.0: NON-COMMERCIAL.*--accept-cc-by-nc"):
        choose_entry("zh-yue")
    entry, _ = choose_entry("zh-yue", accept_non_commercial=True)
    assert entry.repo_id == "skywood/nllb-200-distilled-600M-ct2-int8"


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("zh-en,ja-en", [("zh", "en"), ("ja", "en")]),
        (" zh-Hant:en , en-ko", [("zh-Hant", "en"), ("en", "ko")]),
    ],
)
def test_parse_pairs(text: str, pairs: list[tuple[str, str]]) -> None:
    assert parse_pairs(text) == pairs


@pytest.mark.parametrize("text", ["zh-Hant-en", "zh", ",", "zh-"])
def test_parse_pairs_rejects_ambiguous_or_incomplete(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_pairs(text)


def test_register_sets_func_on_every_subcommand() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    for argv in (
        ["models", "build-demo", "d"],
        ["models", "list"],
        ["models", "verify", "d"],
        ["models", "pull", "zh-en"],
        ["models", "convert", "src", "out", "--source", "zh", "--target", "en"],
    ):
        assert callable(parser.parse_args(argv).func)
    args = parser.parse_args(["models", "build-demo", "d"])
    assert args.pairs is None  # the handler builds DEMO_PAIRS (resolved there: no CT2 import)
    assert args.family == "quickmt" and args.force is False


def test_convert_without_the_extra_says_how_to_install_it(tmp_path, monkeypatch, capsys) -> None:
    import sys

    from duta.cli.main import main

    monkeypatch.setitem(sys.modules, "torch", None)  # as where duta[convert] is not installed
    out = tmp_path / "out"
    argv = ["models", "convert", str(tmp_path), str(out), "--source", "zh", "--target", "en"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "pip install 'duta[convert]'" in err and "missing: torch" in err
    assert not out.exists()
