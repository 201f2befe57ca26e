"""The translation engine: one CTranslate2 Translator plus its model directory's tokenizers.

Calls are synchronous and release the GIL inside CTranslate2; the servicer runs them on a
thread pool sized to `inter_threads`, never on the event loop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import ctranslate2

from duta.models import ModelBundle, open_model_dir
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
    """Resolved decoding options of one call."""

    beam_size: int
    max_decoding_length: int = 0  # 0: relative to the input
    min_decoding_length: int = 0
    length_penalty: float = 1.0


def resolve_device(device: str, compute_type: str) -> tuple[str, str]:
    """Chooses CUDA when present for `auto`, and int8 (CPU) or int8_float16 (CUDA) for `auto`."""
    if device == "auto":
        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if compute_type == "auto":
        compute_type = "int8_float16" if device == "cuda" else "int8"
    return device, compute_type


class Engine:
    """A loaded model: tokenises, translates a batch, detokenises."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self.bundle: ModelBundle = open_model_dir(settings.model, settings.source, settings.target)
        self.device, self.compute_type = resolve_device(settings.device, settings.compute_type)
        self.translator = ctranslate2.Translator(
            str(settings.model),
            device=self.device,
            compute_type=self.compute_type,
            inter_threads=settings.inter_threads,
            intra_threads=settings.intra_threads,
        )
        logger.info(
            "loaded model %s (%s) on %s/%s, inter_threads=%d intra_threads=%d",
            self.bundle.metadata.id,
            self.bundle.metadata.family,
            self.device,
            self.compute_type,
            settings.inter_threads,
            settings.intra_threads,
        )

    @property
    def metadata(self):  # noqa: ANN201 - ModelMetadata, re-exported for the servicer
        return self.bundle.metadata

    def count_tokens(self, sentence: str, source: str, target: str) -> int:
        """Number of source tokens the model would read for `sentence`."""
        return self.bundle.count_tokens(sentence, source, target)

    def translate(
        self, sentences: list[str], source: str, target: str, options: DecodeOptions
    ) -> list[Hypothesis]:
        """Translates one batch of sentences; blocking (run it on a worker thread)."""
        tokens, prefix = self.bundle.encode(sentences, source, target)
        longest = max(len(t) for t in tokens)
        max_len = options.max_decoding_length or min(
            self.settings.max_decoding_length,
            int(self.settings.decoding_ratio * longest) + self.settings.decoding_extra,
        )
        results = self.translator.translate_batch(
            tokens,
            target_prefix=prefix,
            beam_size=options.beam_size,
            max_decoding_length=max_len,
            min_decoding_length=min(options.min_decoding_length, max_len),
            length_penalty=options.length_penalty,
            no_repeat_ngram_size=self.settings.no_repeat_ngram_size,
            repetition_penalty=self.settings.repetition_penalty,
            max_batch_size=self.settings.max_batch_tokens,
            batch_type="tokens",
            return_scores=True,
        )
        hyps = [r.hypotheses[0] for r in results]
        texts = self.bundle.decode(hyps, target)
        return [
            Hypothesis(
                text=text,
                score=float(r.scores[0]) if r.scores else 0.0,
                input_tokens=len(src),
                output_tokens=len(hyp),
            )
            for text, r, src, hyp in zip(texts, results, tokens, hyps, strict=True)
        ]

    def warm_up(self) -> None:
        """Runs one tiny batch so the first real request does not pay the start-up cost."""
        meta = self.bundle.metadata
        self.translate(
            ["warm up"], meta.source_languages[0], meta.target_languages[0], DecodeOptions(1, 4)
        )
