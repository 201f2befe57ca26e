"""A validated model directory, ready to turn sentences into tokens and tokens into text."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sentencepiece as spm

from duta.models._codes import canonicalize, to_model_token
from duta.models.errors import UnservedLanguagePair
from duta.models.families import LAYOUTS, FamilyLayout
from duta.models.metadata import ModelMetadata

logger = logging.getLogger(__name__)

# Structural tokens that never belong in the text shown to a user.
_STRUCTURAL = frozenset({"<s>", "</s>", "<pad>", "<blank>", "<mask>"})


def resolve_language(code: str, languages: Sequence[str]) -> str | None:
    """Returns the entry of ``languages`` that serves ``code``, or None.

    The code is canonicalised, then trailing subtags are dropped one by one, so a model that
    reads "zh-Hans" serves "zh", "zh-CN" and "zh-Hans-SG", but not "zh-Hant-TW".
    """
    try:
        parts = canonicalize(code).split("-")
    except ValueError:
        return None
    for end in range(len(parts), 0, -1):
        candidate = "-".join(parts[:end])
        if candidate in languages:
            return candidate
    return None


@dataclass(frozen=True, eq=False)
class ModelBundle:
    """A model directory whose files were checked by :func:`duta.models.open_model_dir`.

    It does not hold the CTranslate2 ``Translator`` (the worker loads that with its own device
    and threads); it holds the tokenizers and the family's token conventions.

    Attributes:
        path: The model directory, to hand to ``ctranslate2.Translator``.
        metadata: The model's metadata (from duta.json, or inferred).
        source_spm: SentencePiece processor for the source side.
        target_spm: SentencePiece processor for the target side.
        eos_token: End-of-sentence token from config.json.
        append_eos: Whether :meth:`encode` appends ``eos_token`` (CTranslate2 does not).
        max_source_tokens: Longest source the position encodings allow, when the model says.
    """

    path: Path
    metadata: ModelMetadata
    source_spm: spm.SentencePieceProcessor = field(repr=False)
    target_spm: spm.SentencePieceProcessor = field(repr=False)
    eos_token: str = "</s>"
    append_eos: bool = True
    max_source_tokens: int | None = None

    @property
    def layout(self) -> FamilyLayout:
        """Token conventions of this model's family."""
        return LAYOUTS[self.metadata.family]

    def serves(self, source: str, target: str) -> bool:
        """Whether the model translates ``source`` → ``target`` (BCP-47, any casing)."""
        return (
            resolve_language(source, self.metadata.source_languages) is not None
            and resolve_language(target, self.metadata.target_languages) is not None
        )

    def language_token(self, code: str, side: str = "target") -> str:
        """The model token for language ``code`` (">>cmn_Hant<<", "zho_Hans", "__ja__").

        Raises:
            UnservedLanguagePair: the model does not have that language on that side.
        """
        languages = (
            self.metadata.source_languages if side == "source" else self.metadata.target_languages
        )
        served = resolve_language(code, languages)
        if served is None:
            raise UnservedLanguagePair(
                f"model {self.metadata.id} does not have {code!r} as a {side} language; "
                f"it has {', '.join(languages)}"
            )
        token = self.metadata.language_tokens.get(served)
        return token if token is not None else to_model_token(served, self.metadata.family)

    def _prefix(self, source: str, target: str) -> list[str]:
        if self.layout.source_language_token:
            return [self.language_token(source, "source")]
        if self.layout.target_language_token_in_source:
            return [self.language_token(target, "target")]
        return []

    def encode(
        self, sentences: list[str], source: str, target: str
    ) -> tuple[list[list[str]], list[list[str]] | None]:
        """Tokenises ``sentences`` for ``translate_batch``.

        Returns:
            The source tokens of each sentence, and the ``target_prefix`` of each sentence
            (None when the family does not use one).

        Raises:
            UnservedLanguagePair: the model does not translate ``source`` → ``target``.
        """
        if not self.serves(source, target):
            raise UnservedLanguagePair(
                f"model {self.metadata.id} does not translate {source!r} → {target!r}; it reads "
                f"{', '.join(self.metadata.source_languages)} and writes "
                f"{', '.join(self.metadata.target_languages)}"
            )
        prefix = self._prefix(source, target)
        suffix = [self.eos_token] if self.append_eos else []
        pieces = self.source_spm.encode(list(sentences), out_type=str)
        tokens = [prefix + p + suffix for p in pieces]
        if not self.layout.target_prefix:
            return tokens, None
        target_token = self.language_token(target, "target")
        return tokens, [[target_token] for _ in sentences]

    def count_tokens(self, sentence: str, source: str, target: str) -> int:
        """Number of source tokens :meth:`encode` gives for ``sentence``."""
        return len(self.encode([sentence], source, target)[0][0])

    def decode(self, hypotheses: list[list[str]], target: str) -> list[str]:
        """Turns output tokens back into text.

        Language tokens (the forced target prefix of NLLB/M2M100) and structural tokens are
        dropped; the rest is detokenised with the target SentencePiece model.
        """
        del target  # the target SentencePiece model is the same for every target language
        layout = self.layout
        texts = []
        for tokens in hypotheses:
            kept = [t for t in tokens if t not in _STRUCTURAL and not layout.is_language_token(t)]
            texts.append(self.target_spm.decode(kept))
        return texts
