"""Model directories: metadata, families, validation, and offline demo models.

A model directory holds a CTranslate2 ``model.bin`` with its ``config.json`` and vocabularies,
the SentencePiece model(s) of its family, and Duta's ``duta.json`` metadata.
:func:`open_model_dir` checks all of it and returns a :class:`ModelBundle` that tokenises and
detokenises for the model's family; :func:`build_demo_model` builds tiny random-weight models
in every family's exact layout, offline and in about a second.
"""

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
