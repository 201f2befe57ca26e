"""Tokenizers and CTranslate2 vocabularies of demo models.

SentencePiece models are trained in memory on made-up text (byte fallback, full character
coverage); the CTranslate2 vocabulary is the family's special tokens, the pieces, language
tokens, then ``<filler_N>`` tokens up to the requested size. ``suppressed`` lists the ids a
demo model must never emit (their output bias is set very negative), so that its output is
always visible text in the target script.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import sentencepiece as spm


@dataclass(frozen=True)
class DemoVocab:
    """A CTranslate2 vocabulary and the ids a demo model never emits."""

    tokens: list[str]
    suppressed: list[int]


def train_spm(lines: list[str], vocab_size: int) -> bytes:
    """Trains a unigram SentencePiece model in memory; returns its serialized bytes."""
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="unigram",
        byte_fallback=True,
        character_coverage=1.0,
        hard_vocab_limit=False,
        num_threads=2,
        minloglevel=2,
    )
    return model.getvalue()


def _pieces(model: bytes) -> tuple[list[str], set[str]]:
    """Normal and byte pieces of a SentencePiece model (not <unk>/<s>/</s>), and the invisible."""
    processor = spm.SentencePieceProcessor(model_proto=model)
    pieces, invisible = [], set()
    for i in range(processor.get_piece_size()):
        if processor.is_control(i) or processor.is_unknown(i):
            continue
        piece = processor.id_to_piece(i)
        pieces.append(piece)
        if processor.is_byte(i) or not processor.decode([piece]).strip():
            invisible.add(piece)
    return pieces, invisible


def used_pieces(model: bytes, lines: list[str]) -> set[str]:
    """Pieces the model actually uses for ``lines``: the target script's own pieces."""
    processor = spm.SentencePieceProcessor(model_proto=model)
    return {piece for pieces in processor.encode(lines, out_type=str) for piece in pieces}


def build_vocab(
    specials: list[str],
    models: Sequence[bytes],
    extra: list[str],
    size: int,
    tail: list[str],
    allowed: set[str] | None = None,
) -> DemoVocab:
    """Builds a CTranslate2 vocabulary; ``allowed`` (if given) are the only pieces to emit."""
    tokens = list(specials)
    invisible: set[str] = set(specials) | set(extra) | set(tail)
    seen = set(tokens)
    for model in models:
        pieces, hidden = _pieces(model)
        invisible |= hidden
        for piece in pieces:
            if piece not in seen:
                seen.add(piece)
                tokens.append(piece)
    tokens += [t for t in extra + tail if t not in seen]
    if len(tokens) > size:
        raise ValueError(f"vocab_size {size} is too small: the tokenizers need {len(tokens)}")
    tokens += [f"<filler_{i}>" for i in range(size - len(tokens))]
    suppressed = [
        i
        for i, t in enumerate(tokens)
        if t in invisible or t.startswith("<filler_") or (allowed is not None and t not in allowed)
    ]
    return DemoVocab(tokens, suppressed)
