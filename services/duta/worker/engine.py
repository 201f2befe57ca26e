"""The translation engine: one CTranslate2 Translator plus its model directory's tokenizers.

Calls are synchronous and release the GIL inside CTranslate2; the batcher runs them on a
thread pool sized to `inter_threads` (one Translator replica per thread), never on the event
loop.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import ctranslate2

from duta.models import ModelBundle, ModelMetadata, open_model_dir
from duta.worker.settings import WorkerSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hypothesis:
    """The best translation of one sentence."""

    text: str
    score: float  # length-normalised log-probability
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class DecodeOptions:
    """Resolved decoding options of one call; sentences that share them share a batch."""

    beam_size: int
    max_decoding_length: int = 0  # 0: relative to the input
    min_decoding_length: int = 0
    length_penalty: float = 1.0


@dataclass(frozen=True)
class Encoded:
    """One sentence as the model reads it."""

    tokens: list[str]
    prefix: list[str] | None  # target prefix (NLLB, M2M100), None when the family has none


def resolve_device(device: str, compute_type: str) -> tuple[str, str]:
    """Chooses CUDA when present for `auto`, and int8 (CPU) or int8_float16 (CUDA) for `auto`."""
    if device == "auto":
        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if compute_type == "auto":
        compute_type = "int8_float16" if device == "cuda" else "int8"
    return device, compute_type


def _normalised(result: ctranslate2.TranslationResult, length_penalty: float) -> float:
    """The best hypothesis's log-probability per token, whatever the length penalty.

    CTranslate2 divides the cumulated log-probability by ``length ** length_penalty``.
    """
    if not result.scores:
        return 0.0
    score = float(result.scores[0])
    length = max(1, len(result.hypotheses[0]))
    return score if length_penalty == 1.0 else score * length ** (length_penalty - 1.0)


class Engine:
    """A loaded model: tokenises, translates a batch, detokenises.

    Raises (at construction):
        ModelDirError: the model directory cannot be served; the message says why.
    """

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self.bundle: ModelBundle = open_model_dir(settings.model, settings.source, settings.target)
        self.device, self.compute_type = resolve_device(settings.device, settings.compute_type)
        self.replicas = settings.replicas(self.device)
        self.translator = ctranslate2.Translator(
            str(settings.model),
            device=self.device,
            compute_type=self.compute_type,
            inter_threads=self.replicas,
            intra_threads=settings.intra_threads,
        )
        positions = self.bundle.max_source_tokens
        self.max_input_tokens = min(
            settings.max_input_tokens, positions or settings.max_input_tokens
        )
        logger.info(
            "loaded model %s (%s) on %s/%s, inter_threads=%d intra_threads=%d",
            self.bundle.metadata.id,
            self.bundle.metadata.family,
            self.device,
            self.compute_type,
            self.replicas,
            settings.intra_threads,
        )

    @property
    def metadata(self) -> ModelMetadata:
        """The served model's metadata."""
        return self.bundle.metadata

    def encode(self, sentences: list[str], source: str, target: str) -> list[Encoded]:
        """Tokenises sentences for `source` → `target` (language tokens included)."""
        tokens, prefix = self.bundle.encode(sentences, source, target)
        if prefix is None:
            return [Encoded(t, None) for t in tokens]
        return [Encoded(t, p) for t, p in zip(tokens, prefix, strict=True)]

    def decoding_limit(self, input_tokens: int, options: DecodeOptions) -> int:
        """Most output tokens a sentence of `input_tokens` may get (the run-away guard)."""
        relative = int(self.settings.decoding_ratio * input_tokens) + self.settings.decoding_extra
        limit = min(self.settings.max_decoding_length, relative)
        if options.max_decoding_length:
            limit = min(self.settings.max_decoding_length, options.max_decoding_length)
        return max(1, limit)

    def translate_encoded(
        self, batch: Sequence[Encoded], options: DecodeOptions
    ) -> list[Hypothesis]:
        """Translates one batch; blocking (run it on a worker thread).

        The batch decodes up to the longest sentence's limit; each hypothesis is then cut to
        its own sentence's limit, so a result never depends on what it was batched with.
        """
        limits = [self.decoding_limit(len(e.tokens), options) for e in batch]
        max_len = max(limits)
        prefixes = [e.prefix for e in batch]
        # The budget counts source tokens × beam (what a batch holds in memory).
        total = sum(len(e.tokens) for e in batch) * options.beam_size
        budget = self.settings.max_batch_tokens
        results = self.translator.translate_batch(
            [e.tokens for e in batch],
            target_prefix=prefixes if any(p is not None for p in prefixes) else None,
            beam_size=options.beam_size,
            max_decoding_length=max_len,
            min_decoding_length=min(options.min_decoding_length, max_len),
            length_penalty=options.length_penalty,
            no_repeat_ngram_size=self.settings.no_repeat_ngram_size,
            repetition_penalty=self.settings.repetition_penalty,
            # The batcher already keeps batches within the budget; re-batching inside
            # CTranslate2 is only for a call that bypasses it.
            max_batch_size=max(1, budget // options.beam_size) if total > budget else 0,
            batch_type="tokens",
            return_scores=True,
        )
        hyps = [r.hypotheses[0][:limit] for r, limit in zip(results, limits, strict=True)]
        texts = self.bundle.decode(hyps, "")
        return [
            Hypothesis(
                text=text,
                score=_normalised(r, options.length_penalty),
                input_tokens=len(e.tokens),
                output_tokens=len(hyp),
            )
            for text, r, e, hyp in zip(texts, results, batch, hyps, strict=True)
        ]

    def translate(
        self, sentences: list[str], source: str, target: str, options: DecodeOptions
    ) -> list[Hypothesis]:
        """Tokenises and translates one batch of sentences; blocking."""
        return self.translate_encoded(self.encode(sentences, source, target), options)

    def warm_up(self) -> None:
        """Runs one tiny batch so the first real request does not pay the start-up cost."""
        meta = self.bundle.metadata
        self.translate(
            ["warm up"], meta.source_languages[0], meta.target_languages[0], DecodeOptions(1, 4)
        )
