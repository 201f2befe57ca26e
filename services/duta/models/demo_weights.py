"""Random weights for a CTranslate2 ``TransformerSpec`` — the architecture, not the training.

Every linear layer, layer norm, embedding and position table of the spec is filled with
numpy arrays, so ``spec.save()`` writes a model.bin that CTranslate2 loads like a converted one.
"""

from __future__ import annotations

import numpy as np
from ctranslate2.specs import attention_spec, common_spec, transformer_spec


def sinusoidal_marian(positions: int, dim: int) -> np.ndarray:
    """Position table of Marian / OPUS-MT: sin on the first half, cos on the second.

    It equals what CTranslate2's Marian converter writes; CTranslate2's built-in default
    differs, which is why demo models store the table explicitly.
    """
    pos = np.arange(positions)[:, None]
    timescales = np.power(10000, 2 * (np.arange(dim) // 2) / dim)[None, :]
    angles = pos / timescales
    table = np.zeros((positions, dim), dtype=np.float32)
    table[:, : dim // 2] = np.sin(angles[:, 0::2])
    table[:, dim // 2 :] = np.cos(angles[:, 1::2])
    return table


def sinusoidal_fairseq(positions: int, dim: int) -> np.ndarray:
    """Position table of fairseq-style models (M2M100, NLLB), without the padding offset."""
    half = dim // 2
    freq = np.exp(np.arange(half, dtype=np.float64) * -(np.log(10000.0) / (half - 1)))
    angles = np.arange(2, positions + 2, dtype=np.float64)[:, None] * freq[None, :]
    table = np.concatenate([np.sin(angles), np.cos(angles)], axis=1)
    if dim % 2:
        table = np.concatenate([table, np.zeros((positions, 1))], axis=1)
    return table.astype(np.float32)


class WeightFiller:
    """Fills spec layers with seeded random float32 weights."""

    def __init__(self, seed: int, d_model: int, ffn: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.d_model = d_model
        self.ffn = ffn

    def matrix(self, rows: int, cols: int) -> np.ndarray:
        """A random matrix with roughly unit-variance outputs."""
        weight = self.rng.standard_normal((rows, cols), dtype=np.float32)
        return weight * np.float32(1.0 / np.sqrt(cols))

    def linear(self, spec: common_spec.LinearSpec, rows: int, cols: int) -> None:
        """Sets weight [rows, cols] and a zero bias."""
        spec.weight = self.matrix(rows, cols)
        spec.bias = np.zeros(rows, dtype=np.float32)

    def norm(self, spec: common_spec.LayerNormSpec) -> None:
        """Sets an identity layer norm."""
        spec.gamma = np.ones(self.d_model, dtype=np.float32)
        spec.beta = np.zeros(self.d_model, dtype=np.float32)

    def attention(self, spec: attention_spec.MultiHeadAttentionSpec, self_attention: bool):
        """Fused QKV (self-attention) or Q + fused KV (encoder attention), then the output."""
        d = self.d_model
        if hasattr(spec, "layer_norm"):
            self.norm(spec.layer_norm)
        if self_attention:
            self.linear(spec.linear[0], 3 * d, d)
            self.linear(spec.linear[1], d, d)
        else:
            self.linear(spec.linear[0], d, d)
            self.linear(spec.linear[1], 2 * d, d)
            self.linear(spec.linear[2], d, d)

    def ffn_layer(self, spec: transformer_spec.FeedForwardSpec) -> None:
        """Two linear layers d_model → ffn → d_model."""
        self.norm(spec.layer_norm)
        self.linear(spec.linear_0, self.ffn, self.d_model)
        self.linear(spec.linear_1, self.d_model, self.ffn)

    def encoder(self, spec: transformer_spec.TransformerEncoderSpec, embeddings, positions):
        """Fills an encoder whose embedding matrix and position table are given."""
        spec.embeddings[0].weight = embeddings
        spec.position_encodings.encodings = positions
        if hasattr(spec, "layer_norm"):
            self.norm(spec.layer_norm)
        for layer in spec.layer:
            self.attention(layer.self_attention, self_attention=True)
            self.ffn_layer(layer.ffn)

    def decoder(self, spec: transformer_spec.TransformerDecoderSpec, embeddings, positions):
        """Fills a decoder; the output projection shares the embedding matrix (tied)."""
        spec.embeddings.weight = embeddings
        spec.position_encodings.encodings = positions
        if hasattr(spec, "layer_norm"):
            self.norm(spec.layer_norm)
        spec.projection.weight = embeddings
        for layer in spec.layer:
            self.attention(layer.self_attention, self_attention=True)
            self.attention(layer.attention, self_attention=False)
            self.ffn_layer(layer.ffn)
