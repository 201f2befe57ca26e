"""Tiny demo models: the real file layout of each family, random weights, built offline.

A demo model is what the worker, router and tests run when no real model can be downloaded.
It loads and translates like a real one — same files, same token conventions, same
CTranslate2 architecture — but its output is random text in the target script, *not* a
translation. Every demo model says so in its ``duta.json`` (``demo: true`` and description).

Vocabulary larger than the SentencePiece model: ``DemoShape.vocab_size`` is the size of the
CTranslate2 vocabulary (embeddings and softmax), ``DemoShape.spm_vocab_size`` the size of the
trained SentencePiece models. Training a 65k-piece SentencePiece model takes minutes, so a
benchmark-sized shape keeps the tokenizer small and pads the CTranslate2 vocabulary with
``<filler_N>`` tokens up to ``vocab_size``. Fillers are never produced by the tokenizer and
never generated (their output bias is −10⁴), but they cost the full embedding and softmax, so
compute matches a real model of that vocabulary size.

Output is never empty: the output-layer bias of ``</s>``, structural tokens, language tokens,
byte pieces, whitespace-only pieces and fillers is −10⁴, so greedy or beam decoding runs to
the ``max_decoding_length`` the caller sets and every emitted token is visible text.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import ctranslate2
import numpy as np
from ctranslate2.specs import common_spec, transformer_spec

from duta.models._codes import canonicalize, to_model_token
from duta.models.demo_text import demo_sentences
from duta.models.demo_vocab import DemoVocab, build_vocab, train_spm, used_pieces
from duta.models.demo_weights import WeightFiller, sinusoidal_fairseq, sinusoidal_marian
from duta.models.metadata import FAMILIES, Family, ModelMetadata, write_metadata

logger = logging.getLogger(__name__)

DEMO_DESCRIPTION = "DEMO MODEL, random weights: output is not a translation"
DEMO_PAIRS: tuple[tuple[str, str], ...] = (
    ("zh", "en"),
    ("ja", "en"),
    ("ko", "en"),
    ("en", "zh"),
    ("en", "ja"),
    ("en", "ko"),
)
_SUPPRESSED_BIAS = -1e4


@dataclass(frozen=True)
class DemoShape:
    """Architecture of a demo model.

    The default builds in about a second. ``DemoShape.opus_mt_base()`` is the shape of
    Helsinki-NLP/opus-mt-zh-en (77.9M parameters) for benchmarks.

    Attributes:
        encoder_layers: Encoder layers.
        decoder_layers: Decoder layers.
        d_model: Hidden size.
        heads: Attention heads (must divide d_model).
        ffn: Feed-forward inner size.
        vocab_size: CTranslate2 vocabulary size per side, padded with fillers (see module doc).
        spm_vocab_size: Pieces requested from each SentencePiece model (at most).
        max_positions: Rows of the position table: the longest input, in tokens.
        weights: dtype written to model.bin; int8 is what real converted models ship.
        corpus_sentences: Sentences of made-up text per language for SentencePiece training.
    """

    encoder_layers: int = 2
    decoder_layers: int = 2
    d_model: int = 64
    heads: int = 4
    ffn: int = 128
    vocab_size: int = 1000
    spm_vocab_size: int = 700
    max_positions: int = 512
    weights: Literal["float32", "float16", "int8"] = "float32"
    corpus_sentences: int = 1500

    def __post_init__(self) -> None:
        if self.d_model % self.heads:
            raise ValueError(f"d_model {self.d_model} is not divisible by heads {self.heads}")

    @classmethod
    def opus_mt_base(cls) -> DemoShape:
        """The opus-mt-zh-en shape: 6+6 layers, d_model 512, 8 heads, ffn 2048, vocab 65,001."""
        return cls(6, 6, 512, 8, 2048, vocab_size=65_001, spm_vocab_size=4000, weights="int8")


@dataclass(frozen=True)
class _Plan:
    """What one family's demo directory contains, before weights are drawn."""

    source: DemoVocab
    target: DemoVocab
    files: dict[str, bytes]
    pre_norm: bool
    activation: common_spec.Activation
    positions: np.ndarray
    config: dict[str, object]
    language_tokens: dict[str, str]


def _budget(shape: DemoShape, used: int, models: int) -> int:
    """SentencePiece size to request so that ``models`` models' pieces fit the vocabulary."""
    free = shape.vocab_size - used
    # Every model carries 256 byte pieces (shared between models) and 3 control pieces.
    per_model = (free + 256 * (models - 1)) // models + 3
    return max(300, min(shape.spm_vocab_size, per_model))


def _plan_quickmt(shape: DemoShape, src_lines, tgt_lines) -> _Plan:
    specials = ["<unk>", "<s>", "</s>", "<blank>"]
    size = _budget(shape, len(specials), 1)
    src_model, tgt_model = train_spm(src_lines, size), train_spm(tgt_lines, size)
    return _Plan(
        source=build_vocab(specials, [src_model], [], shape.vocab_size, []),
        target=build_vocab(
            specials, [tgt_model], [], shape.vocab_size, [], used_pieces(tgt_model, tgt_lines)
        ),
        files={"src.spm.model": src_model, "tgt.spm.model": tgt_model},
        pre_norm=True,
        activation=common_spec.Activation.RELU,
        positions=sinusoidal_marian(shape.max_positions, shape.d_model),
        config={"decoder_start_token": "<s>", "add_source_eos": False},
        language_tokens={},
    )


def _plan_opus(shape: DemoShape, src_lines, tgt_lines, tokens: dict[str, str]) -> _Plan:
    specials = ["</s>", "<unk>"]
    extra = sorted(set(tokens.values()))
    size = _budget(shape, len(specials) + len(extra), 2)
    src_model, tgt_model = train_spm(src_lines, size), train_spm(tgt_lines, size)
    shared = build_vocab(specials, [src_model, tgt_model], extra, shape.vocab_size, [])
    allowed = used_pieces(tgt_model, tgt_lines)
    return _Plan(
        source=shared,
        target=build_vocab(specials, [src_model, tgt_model], extra, shape.vocab_size, [], allowed),
        files={"source.spm": src_model, "target.spm": tgt_model},
        pre_norm=False,
        activation=common_spec.Activation.SWISH,
        positions=sinusoidal_marian(shape.max_positions, shape.d_model),
        # As written by ct2-transformers-converter: CTranslate2 does not append </s>.
        config={"decoder_start_token": "</s>", "add_source_eos": False},
        language_tokens=tokens,
    )


def _plan_fairseq(shape: DemoShape, src_lines, tgt_lines, tokens: dict[str, str], nllb: bool):
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    extra = sorted(set(tokens.values()))
    tail = ["<mask>"] if nllb else []
    size = _budget(shape, len(specials) + len(extra) + len(tail), 1)
    joint = train_spm(src_lines + tgt_lines, size)
    shared = build_vocab(specials, [joint], extra, shape.vocab_size, tail)
    allowed = used_pieces(joint, tgt_lines)
    return _Plan(
        source=shared,
        target=build_vocab(specials, [joint], extra, shape.vocab_size, tail, allowed),
        files={"sentencepiece.bpe.model": joint},
        pre_norm=True,
        activation=common_spec.Activation.RELU,
        positions=sinusoidal_fairseq(shape.max_positions, shape.d_model),
        config={"decoder_start_token": "</s>", "add_source_eos": False},
        language_tokens=tokens,
    )


def _language_tokens(family: Family, source: str, target: str) -> dict[str, str]:
    if family in ("quickmt", "opus-mt"):
        return {}
    codes = [target] if family == "opus-mt-multi" else [source, target]
    return {code: to_model_token(code, family) for code in codes}


def _plan(family: Family, shape: DemoShape, source: str, target: str, seed: int) -> _Plan:
    src_lines = demo_sentences(source, shape.corpus_sentences, seed)
    tgt_lines = demo_sentences(target, shape.corpus_sentences, seed + 1)
    tokens = _language_tokens(family, source, target)
    if family == "quickmt":
        return _plan_quickmt(shape, src_lines, tgt_lines)
    if family in ("opus-mt", "opus-mt-multi"):
        return _plan_opus(shape, src_lines, tgt_lines, tokens)
    return _plan_fairseq(shape, src_lines, tgt_lines, tokens, nllb=family == "nllb")


def _build_spec(plan: _Plan, shape: DemoShape, family: Family, seed: int):
    spec = transformer_spec.TransformerSpec.from_config(
        (shape.encoder_layers, shape.decoder_layers),
        shape.heads,
        pre_norm=plan.pre_norm,
        activation=plan.activation,
    )
    filler = WeightFiller(seed, shape.d_model, shape.ffn)
    shared = plan.source.tokens == plan.target.tokens
    target_emb = filler.matrix(len(plan.target.tokens), shape.d_model)
    source_emb = target_emb if shared else filler.matrix(len(plan.source.tokens), shape.d_model)
    filler.encoder(spec.encoder, source_emb, plan.positions)
    filler.decoder(spec.decoder, target_emb, plan.positions)
    bias = np.zeros(len(plan.target.tokens), dtype=np.float32)
    bias[plan.target.suppressed] = _SUPPRESSED_BIAS
    spec.decoder.projection.bias = bias
    if family in ("opus-mt", "opus-mt-multi"):
        spec.decoder.start_from_zero_embedding = True  # as Marian: no decoder start embedding
    spec.register_source_vocabulary(plan.source.tokens)
    spec.register_target_vocabulary(plan.target.tokens)
    for key, value in plan.config.items():
        setattr(spec.config, key, value)
    spec.validate()
    spec.optimize(quantization=shape.weights)
    return spec


def _prepare_dir(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and any(out_dir.iterdir()):
        if not overwrite:
            raise FileExistsError(
                f"{out_dir} exists and is not empty; move it away, or replace it "
                "(`duta models build-demo --force`)"
            )
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)


def _demo_metadata(
    model_id: str, family: Family, source: str, target: str, seed: int, plan: _Plan
) -> ModelMetadata:
    return ModelMetadata(
        id=model_id,
        family=family,
        source_languages=[source],
        target_languages=[target],
        revision=f"demo-seed{seed}",
        demo=True,
        ctranslate2_version=ctranslate2.__version__,
        add_source_eos=True,
        language_tokens=plan.language_tokens,
        description=f"{DEMO_DESCRIPTION} ({family} layout, {source}→{target})",
        license="Apache-2.0",
    )


def build_demo_model(
    out_dir: str | Path,
    source: str,
    target: str,
    family: str = "quickmt",
    shape: DemoShape | None = None,
    seed: int = 0,
    *,
    model_id: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Builds a random-weight model of ``family`` for ``source`` → ``target`` in ``out_dir``.

    Args:
        out_dir: The model directory to create (must be missing or empty unless ``overwrite``).
        source: Source language (BCP-47; recorded canonically, "zh" as "zh-Hans").
        target: Target language.
        family: One of quickmt, opus-mt, opus-mt-multi, nllb, m2m100.
        shape: Architecture; the default tiny shape builds in about a second.
        seed: Seed of the made-up text and the weights.
        model_id: Id written to duta.json; defaults to the directory name.
        overwrite: Replace a non-empty ``out_dir``.

    Returns:
        The model directory.

    Raises:
        ValueError: unknown family, or a language the family has no token for.
        FileExistsError: ``out_dir`` is not empty and ``overwrite`` is false.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}; choose one of {', '.join(FAMILIES)}")
    fam: Family = family  # type: ignore[assignment]
    shape = shape or DemoShape()
    out = Path(out_dir)
    started = time.perf_counter()
    src, tgt = canonicalize(source), canonicalize(target)
    plan = _plan(fam, shape, src, tgt, seed)
    spec = _build_spec(plan, shape, fam, seed)
    _prepare_dir(out, overwrite)
    _write(out, spec, plan, _demo_metadata(model_id or out.name, fam, src, tgt, seed, plan))
    took = time.perf_counter() - started
    logger.info("built demo model %s (%s, %s→%s) in %.2fs", out, fam, src, tgt, took)
    return out


def _write(out: Path, spec: Any, plan: _Plan, metadata: ModelMetadata) -> None:
    """Writes the model beside the empty `out` and renames it into place at the end: a crash
    never leaves half a model."""
    partial = out.with_name(f".{out.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    spec.save(str(partial))
    for name, data in plan.files.items():
        (partial / name).write_bytes(data)
    write_metadata(partial, metadata)
    out.rmdir()
    partial.rename(out)


def build_demo_models(
    root: str | Path,
    pairs: Sequence[tuple[str, str]] = DEMO_PAIRS,
    family: str = "quickmt",
    shape: DemoShape | None = None,
    *,
    overwrite: bool = False,
) -> list[Path]:
    """Builds one demo model per pair as ``root/demo-{src}-{tgt}`` (id ``demo-{src}-{tgt}``).

    The directory names use the codes as given (``("zh", "en")`` → ``demo-zh-en``); the
    metadata records them canonically ("zh-Hans").
    """
    paths = []
    for seed, (source, target) in enumerate(pairs):
        name = f"demo-{source}-{target}"
        paths.append(
            build_demo_model(
                Path(root) / name,
                source,
                target,
                family,
                shape,
                seed,
                model_id=name,
                overwrite=overwrite,
            )
        )
    return paths
