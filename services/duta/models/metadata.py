"""The ``duta.json`` metadata file that sits next to a CTranslate2 model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from duta.models._codes import canonicalize
from duta.models.errors import ModelDirError

METADATA_FILE = "duta.json"

Family = Literal["quickmt", "opus-mt", "opus-mt-multi", "nllb", "m2m100"]
FAMILIES: tuple[Family, ...] = ("quickmt", "opus-mt", "opus-mt-multi", "nllb", "m2m100")
Tier = Literal["small", "large"]


class FileDigest(BaseModel):
    """Size and sha256 of one file of a pulled model, as verified when it was installed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ModelMetadata(BaseModel):
    """What Duta needs to know about a model beyond CTranslate2's own files.

    Attributes:
        id: Stable model id, e.g. "quickmt-zh-en" or "demo-zh-en".
        family: How the model's inputs and outputs are laid out (see ``duta.models.families``).
        source_languages: Canonical BCP-47 codes the model reads.
        target_languages: Canonical BCP-47 codes the model writes.
        tier: "small" per-pair models, or "large" multilingual escalation models.
        revision: Hub revision or build stamp of the weights.
        demo: True for random-weight demo models: their output is not a translation.
        ctranslate2_version: Version of the converter that wrote model.bin, when known.
        add_source_eos: Whether Duta appends "</s>" to the source tokens.
        language_tokens: BCP-47 code → model token (">>cmn_Hant<<", "zho_Hans", "__ja__").
        description: Free text shown by ``duta models list``.
        license: Licence of the weights (SPDX id where there is one).
        repo_id: Hub repository the model was pulled (or converted) from, when it was.
        converter: How model.bin was made: "pre-converted" or "ctranslate2 X.Y.Z int8".
        files: File name → size and sha256 at install time; ``duta models verify`` re-checks.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    family: Family
    source_languages: list[str] = Field(min_length=1)
    target_languages: list[str] = Field(min_length=1)
    tier: Tier = "small"
    revision: str
    demo: bool = False
    ctranslate2_version: str | None = None
    add_source_eos: bool
    language_tokens: dict[str, str] = Field(default_factory=dict)
    description: str = ""
    license: str = ""
    repo_id: str | None = None
    converter: str | None = None
    files: dict[str, FileDigest] = Field(default_factory=dict)

    @field_validator("source_languages", "target_languages")
    @classmethod
    def _canonical_languages(cls, codes: list[str]) -> list[str]:
        return [canonicalize(code) for code in codes]

    @field_validator("language_tokens")
    @classmethod
    def _canonical_token_keys(cls, tokens: dict[str, str]) -> dict[str, str]:
        return {canonicalize(code): token for code, token in tokens.items()}


def read_metadata(model_dir: Path) -> ModelMetadata | None:
    """Reads ``model_dir/duta.json``; returns None when the file does not exist.

    Raises:
        ModelDirError: the file exists but is not valid JSON or not valid metadata.
    """
    path = model_dir / METADATA_FILE
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelDirError(
            f"{path}: cannot be read as JSON ({exc}); fix or delete it "
            "(without it, pass --source/--target and the family is inferred from the files)"
        ) from exc
    try:
        return ModelMetadata.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ModelDirError(f"{path}: invalid model metadata: {problems}") from exc


def write_metadata(model_dir: Path, metadata: ModelMetadata) -> Path:
    """Writes ``metadata`` to ``model_dir/duta.json`` and returns the path."""
    path = model_dir / METADATA_FILE
    path.write_text(metadata.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path
