"""Opening and validating a model directory: :func:`open_model_dir`."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any

import ctranslate2
import sentencepiece as spm

from duta.models._codes import canonicalize, to_model_token
from duta.models.bundle import ModelBundle, resolve_language
from duta.models.errors import ModelDirError
from duta.models.families import LAYOUTS, infer_family, read_vocabularies
from duta.models.metadata import METADATA_FILE, Family, ModelMetadata, read_metadata
from duta.models.modelbin import ModelBinInfo, read_model_bin

logger = logging.getLogger(__name__)


def _version_tuple(version: str) -> tuple[int, int]:
    numbers = [int(n) for n in re.findall(r"\d+", version)[:2]]
    return (numbers + [0, 0])[0], (numbers + [0, 0])[1]


def _read_config(model_dir: Path) -> dict[str, Any]:
    path = model_dir / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelDirError(
            f"{path}: missing; CTranslate2 writes it next to model.bin: copy it from the "
            "model's repository or convert the model again"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelDirError(f"{path}: cannot be read as JSON ({exc}); convert again") from exc
    if not isinstance(config, dict):
        raise ModelDirError(f"{path}: expected a JSON object, found {type(config).__name__}")
    return config


def _load_spm(path: Path) -> spm.SentencePieceProcessor:
    processor = spm.SentencePieceProcessor()
    try:
        processor.Load(str(path))
    except (OSError, RuntimeError) as exc:
        raise ModelDirError(
            f"{path}: not a readable SentencePiece model ({exc}); copy it again"
        ) from exc
    return processor


def _check_runtime_version(metadata: ModelMetadata, model_dir: Path) -> None:
    # CTranslate2 is backward- but not forward-compatible; patch releases keep the format.
    written = metadata.ctranslate2_version
    if written and _version_tuple(written) > _version_tuple(ctranslate2.__version__):
        raise ModelDirError(
            f"{model_dir / METADATA_FILE}: model written by ctranslate2 {written}, newer than "
            f"the installed {ctranslate2.__version__}; upgrade ctranslate2 (pip install -U "
            "ctranslate2) or convert the model with the installed version"
        )


def _check_vocabulary(model_dir: Path, info: ModelBinInfo, source: list[str], target: list[str]):
    expected = {
        "source": (
            info.shape("encoder/embeddings_0/weight") or info.shape("encoder/embeddings/weight"),
            source,
        ),
        "target": (info.shape("decoder/embeddings/weight"), target),
    }
    for side, (shape, tokens) in expected.items():
        if shape and shape[0] != len(tokens):
            raise ModelDirError(
                f"{model_dir}: the {side} vocabulary has {len(tokens)} tokens but model.bin "
                f"expects {shape[0]}; the vocabulary files do not belong to this model.bin"
            )


def _infer_metadata(
    model_dir: Path, source: str | None, target: str | None, vocabulary: list[str], config: dict
) -> ModelMetadata:
    family: Family = infer_family(model_dir, vocabulary)
    if not source or not target:
        raise ModelDirError(
            f"{model_dir}: no {METADATA_FILE}, so the language pair is unknown; pass --source "
            f"and --target (e.g. --source zh --target en), or write a {METADATA_FILE}"
        )
    tokens = {}
    if family != "quickmt" and family != "opus-mt":
        sides = (target,) if family == "opus-mt-multi" else (source, target)
        for code in sides:
            try:
                tokens[canonicalize(code)] = to_model_token(code, family)
            except ValueError as exc:
                raise ModelDirError(f"{model_dir}: {exc}") from exc
    logger.info("%s has no %s; inferred family %s", model_dir, METADATA_FILE, family)
    return ModelMetadata(
        id=model_dir.name,
        family=family,
        source_languages=[source],
        target_languages=[target],
        revision="unknown",
        add_source_eos=not config.get("add_source_eos", False),
        language_tokens=tokens,
    )


def _check_languages(model_dir: Path, bundle: ModelBundle, vocabulary: set[str]) -> None:
    layout = bundle.layout
    meta = bundle.metadata
    sides = []
    if layout.source_language_token:
        sides.append(("source", meta.source_languages))
    if layout.source_language_token or layout.target_language_token_in_source:
        sides.append(("target", meta.target_languages))
    for side, codes in sides:
        for code in codes:
            try:
                token = bundle.language_token(code, side)
            except ValueError as exc:
                raise ModelDirError(f"{model_dir}: {exc}; add it to language_tokens") from exc
            if token not in vocabulary:
                raise ModelDirError(
                    f"{model_dir}: language token {token!r} for {code} is not in the model's "
                    f"vocabulary; fix language_tokens in {METADATA_FILE}"
                )


def _check_pair(model_dir: Path, meta: ModelMetadata, source: str | None, target: str | None):
    for code, languages, side in (
        (source, meta.source_languages, "source"),
        (target, meta.target_languages, "target"),
    ):
        if code and resolve_language(code, languages) is None:
            raise ModelDirError(
                f"{model_dir}: --{side} {code} is not served by model {meta.id}, whose {side} "
                f"languages are {', '.join(languages)}"
            )


def _max_positions(info: ModelBinInfo) -> int | None:
    shape = info.shape("encoder/position_encodings/encodings")
    return shape[0] if shape else None


def _check_eos(model_dir: Path, meta: ModelMetadata, config: dict[str, Any]) -> None:
    """</s> is appended once: by Duta (`add_source_eos`) or by CTranslate2, never both."""
    if meta.add_source_eos and bool(config.get("add_source_eos", False)):
        raise ModelDirError(
            f"{model_dir / METADATA_FILE}: add_source_eos is true but config.json says "
            "CTranslate2 appends </s> itself; set add_source_eos to false"
        )


def open_model_dir(
    path: str | os.PathLike[str], source: str | None = None, target: str | None = None
) -> ModelBundle:
    """Checks a model directory and returns its :class:`ModelBundle`.

    Args:
        path: Directory with model.bin, config.json, vocabularies, SentencePiece models and,
            ideally, duta.json.
        source: Source language; required when there is no duta.json, otherwise checked.
        target: Target language; likewise.

    Raises:
        ModelDirError: anything that would stop the model from loading or translating, with
            the file at fault and what to do.
    """
    model_dir = Path(path)
    if not model_dir.is_dir():
        raise ModelDirError(f"{model_dir}: not a directory; point --model at a model directory")
    if not ctranslate2.contains_model(str(model_dir)):
        raise ModelDirError(
            f"{model_dir}: no CTranslate2 model (model.bin is missing); pull or convert one, "
            "or build a demo model with `duta models build-demo`"
        )
    info = read_model_bin(model_dir / "model.bin")
    config = _read_config(model_dir)
    source_vocab, target_vocab = read_vocabularies(model_dir)
    _check_vocabulary(model_dir, info, source_vocab, target_vocab)
    meta = read_metadata(model_dir) or _infer_metadata(
        model_dir, source, target, source_vocab, config
    )
    _check_runtime_version(meta, model_dir)
    _check_eos(model_dir, meta, config)
    layout = LAYOUTS[meta.family]
    bundle = ModelBundle(
        path=model_dir,
        metadata=meta,
        source_spm=_load_spm(layout.find_spm(model_dir, "source")),
        target_spm=_load_spm(layout.find_spm(model_dir, "target")),
        eos_token=str(config.get("eos_token") or "</s>"),
        append_eos=meta.add_source_eos,
        max_source_tokens=_max_positions(info),
    )
    _check_languages(model_dir, bundle, set(source_vocab) | set(target_vocab))
    _check_pair(model_dir, meta, source, target)
    logger.debug("opened model %s (%s) at %s", meta.id, meta.family, model_dir)
    return bundle
