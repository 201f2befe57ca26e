"""Model directories: metadata, families, validation, and offline demo models.

A model directory holds a CTranslate2 ``model.bin`` with its ``config.json`` and vocabularies,
the SentencePiece model(s) of its family, and Duta's ``duta.json`` metadata.
:func:`open_model_dir` checks all of it and returns a :class:`ModelBundle` that tokenises and
detokenises for the model's family; :func:`build_demo_model` builds tiny random-weight models
in every family's exact layout, offline and in about a second.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from duta.models.bundle import ModelBundle
    from duta.models.demo import (
        DEMO_DESCRIPTION,
        DEMO_PAIRS,
        DemoShape,
        build_demo_model,
        build_demo_models,
    )
    from duta.models.directory import open_model_dir
    from duta.models.errors import ModelDirError, UnservedLanguagePair
    from duta.models.metadata import FAMILIES, METADATA_FILE, Family, ModelMetadata

# Loaded on first use (PEP 562): importing a light submodule such as duta.models.errors or
# duta.models.metadata (every `duta` command does) must not load CTranslate2.
_LAZY = {
    "ModelBundle": "bundle",
    "DEMO_DESCRIPTION": "demo",
    "DEMO_PAIRS": "demo",
    "DemoShape": "demo",
    "build_demo_model": "demo",
    "build_demo_models": "demo",
    "open_model_dir": "directory",
    "ModelDirError": "errors",
    "UnservedLanguagePair": "errors",
    "FAMILIES": "metadata",
    "METADATA_FILE": "metadata",
    "Family": "metadata",
    "ModelMetadata": "metadata",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'duta.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"duta.models.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DEMO_DESCRIPTION",
    "DEMO_PAIRS",
    "FAMILIES",
    "METADATA_FILE",
    "DemoShape",
    "Family",
    "ModelBundle",
    "ModelDirError",
    "ModelMetadata",
    "UnservedLanguagePair",
    "build_demo_model",
    "build_demo_models",
    "open_model_dir",
]
