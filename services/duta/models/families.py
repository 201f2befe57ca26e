"""Model families: which files each one ships and how its tokens are laid out.

========================  ======================================  ==============================
family                    tokenizer files                         source / target tokens
========================  ======================================  ==============================
quickmt                   src.spm.model + tgt.spm.model,          pieces + "</s>" (we append)
                          or joint.spm.model
opus-mt                   source.spm + target.spm                 pieces (+ "</s>" unless
                                                                  config.json add_source_eos)
opus-mt-multi             source.spm + target.spm                 ">>cmn_Hant<<" + pieces (...)
nllb                      sentencepiece.bpe.model                 "zho_Hans" + pieces + "</s>";
                                                                  target_prefix ["jpn_Jpan"]
m2m100                    sentencepiece.bpe.model                 "__zh__" + pieces + "</s>";
                                                                  target_prefix ["__ja__"]
========================  ======================================  ==============================
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from duta.models.errors import ModelDirError
from duta.models.metadata import Family

_BPE_NAMES = ("sentencepiece.bpe.model", "spm.model", "sentencepiece.model")


@dataclass(frozen=True)
class FamilyLayout:
    """File layout and token conventions of one model family.

    Attributes:
        family: The family name.
        source_spm: Candidate file names of the source SentencePiece model, first found wins.
        target_spm: Candidate file names of the target SentencePiece model.
        source_language_token: The source starts with the *source* language token (NLLB, M2M).
        target_language_token_in_source: The source starts with the *target* language token.
        target_prefix: The decoder is forced to start with the target language token.
        language_token: Regular expression that matches this family's language tokens.
    """

    family: Family
    source_spm: tuple[str, ...]
    target_spm: tuple[str, ...]
    source_language_token: bool = False
    target_language_token_in_source: bool = False
    target_prefix: bool = False
    language_token: str = r"(?!)"

    def find_spm(self, model_dir: Path, side: str) -> Path:
        """Returns the SentencePiece model for ``side`` ("source" or "target").

        Raises:
            ModelDirError: none of the expected files exists.
        """
        names = self.source_spm if side == "source" else self.target_spm
        for name in names:
            if (model_dir / name).is_file():
                return model_dir / name
        raise ModelDirError(
            f"{model_dir}: no {side} SentencePiece model; a {self.family} model needs "
            f"{' or '.join(names)} next to model.bin (copy it from the model's repository)"
        )

    def is_language_token(self, token: str) -> bool:
        """Whether ``token`` is one of this family's language tokens."""
        return re.fullmatch(self.language_token, token) is not None


LAYOUTS: dict[Family, FamilyLayout] = {
    "quickmt": FamilyLayout(
        "quickmt", ("src.spm.model", "joint.spm.model"), ("tgt.spm.model", "joint.spm.model")
    ),
    "opus-mt": FamilyLayout("opus-mt", ("source.spm",), ("target.spm",)),
    "opus-mt-multi": FamilyLayout(
        "opus-mt-multi",
        ("source.spm",),
        ("target.spm",),
        target_language_token_in_source=True,
        language_token=r">>[A-Za-z0-9_]+<<",
    ),
    "nllb": FamilyLayout(
        "nllb",
        _BPE_NAMES,
        _BPE_NAMES,
        source_language_token=True,
        target_prefix=True,
        language_token=r"[a-z]{3}_[A-Z][a-z]{3}",
    ),
    "m2m100": FamilyLayout(
        "m2m100",
        _BPE_NAMES,
        _BPE_NAMES,
        source_language_token=True,
        target_prefix=True,
        language_token=r"__[a-z]{2,3}(_[A-Za-z]+)?__",
    ),
}


def _load_vocabulary_file(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            tokens = json.loads(text)
            if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
                raise ValueError("expected a JSON list of strings")
            return tokens
        return text.splitlines()
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelDirError(
            f"{path}: cannot be read as a CTranslate2 vocabulary ({exc}); "
            "download or convert the model again"
        ) from exc


def read_vocabularies(model_dir: Path) -> tuple[list[str], list[str]]:
    """Reads the source and target vocabularies CTranslate2 saved next to model.bin.

    CTranslate2 ≥ 3 writes ``*_vocabulary.json``, older converters ``*_vocabulary.txt``; one
    ``shared_vocabulary`` file serves both sides.

    Raises:
        ModelDirError: no vocabulary file, or one that cannot be read.
    """

    def find(stem: str) -> Path | None:
        for suffix in (".json", ".txt"):
            if (model_dir / f"{stem}{suffix}").is_file():
                return model_dir / f"{stem}{suffix}"
        return None

    shared = find("shared_vocabulary")
    if shared is not None:
        tokens = _load_vocabulary_file(shared)
        return tokens, tokens
    source, target = find("source_vocabulary"), find("target_vocabulary")
    if source is None or target is None:
        raise ModelDirError(
            f"{model_dir}: no CTranslate2 vocabulary; expected shared_vocabulary.json, or "
            "source_vocabulary.json and target_vocabulary.json, written by the converter"
        )
    return _load_vocabulary_file(source), _load_vocabulary_file(target)


def infer_family(model_dir: Path, vocabulary: list[str]) -> Family:
    """Guesses the family of a model directory that has no ``duta.json``.

    Raises:
        ModelDirError: the files match no known family.
    """
    names = {p.name for p in model_dir.iterdir()}
    if names & {"src.spm.model", "tgt.spm.model", "joint.spm.model"}:
        return "quickmt"
    if {"source.spm", "target.spm"} <= names:
        multi = LAYOUTS["opus-mt-multi"]
        return "opus-mt-multi" if any(map(multi.is_language_token, vocabulary)) else "opus-mt"
    if names & set(_BPE_NAMES):
        for family in ("nllb", "m2m100"):
            if any(map(LAYOUTS[family].is_language_token, vocabulary)):
                return family
    raise ModelDirError(
        f"{model_dir}: cannot tell the model family from its files ({', '.join(sorted(names))}); "
        "expected src.spm.model/tgt.spm.model (quickmt), source.spm/target.spm (opus-mt) or "
        "sentencepiece.bpe.model with language tokens (nllb, m2m100); or write a duta.json"
    )
