"""`duta models convert` on NLLB and M2M100 checkpoints: real (tiny, random) M2M100-architecture
models with each family's tokenizer, made with transformers, converted by CTranslate2's
converter, served by `duta serve worker` with the family's language tokens, decoding exactly as
transformers does.

Needs the optional extra `duta[convert]` (torch + transformers): `make test` installs it
(`make install-convert`).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import sentencepiece as spm

from duta.cli.main import main
from duta.models import open_model_dir
from duta.models.metadata import read_metadata
from tests.integration.test_models_convert import EN, STEPS, ZH, serve_and_translate

_NEEDS = "is not importable: install the convert extra (`make install-convert`)"
torch = pytest.importorskip("torch", reason=f"torch {_NEEDS}")
transformers = pytest.importorskip("transformers", reason=f"transformers {_NEEDS}")


@dataclass(frozen=True)
class Family:
    name: str
    source_code: str  # the tokenizer's src_lang for Chinese
    tokens: dict[str, str]  # what duta.json must record


NLLB = Family("nllb", "zho_Hans", {"zh-Hans": "zho_Hans", "en": "eng_Latn"})
M2M100 = Family("m2m100", "zh", {"zh-Hans": "__zh__", "en": "__en__"})


def _spm(out: Path) -> Path:
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter((ZH + EN) * 40), model_writer=model, vocab_size=80,
        hard_vocab_limit=False, character_coverage=1.0, model_type="bpe", minloglevel=2,
    )  # fmt: skip
    path = out / "sentencepiece.bpe.model"
    path.write_bytes(model.getvalue())
    return path


def _tokenizer(family: Family, out: Path):
    """The family's tokenizer over a BPE model trained here (NLLB appends its language codes
    to the SentencePiece vocabulary, M2M100 to a vocab.json; a few codes are enough: M2M100's
    WMT21 set of 8)."""
    model = _spm(out)
    if family is NLLB:
        return transformers.NllbTokenizer.from_pretrained(
            str(out), src_lang="zho_Hans", tgt_lang="eng_Latn",
            additional_special_tokens=["eng_Latn", "jpn_Jpan", "zho_Hans", "zho_Hant"],
        )  # fmt: skip
    processor = spm.SentencePieceProcessor(model_file=str(model))
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for i in range(processor.get_piece_size()):
        vocab.setdefault(processor.id_to_piece(i), len(vocab))
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    return transformers.M2M100Tokenizer(
        str(out / "vocab.json"), str(model), src_lang="zh", tgt_lang="en", language_codes="wmt21"
    )


def _checkpoint(family: Family, out: Path) -> Path:
    """A checkpoint laid out as facebook's: weights, config, sentencepiece.bpe.model, tokenizer
    files; 1+1 layers, d_model 32, random weights large enough (init_std 0.3) that each input
    decodes differently."""
    out.mkdir(parents=True)
    tokenizer = _tokenizer(family, out)
    size = len(tokenizer)
    if family is M2M100:  # language codes and made-up words sit above the vocabulary
        size = tokenizer.vocab_size + len(tokenizer.lang_token_to_id) + tokenizer.num_madeup_words
    torch.manual_seed(0)
    config = transformers.M2M100Config(
        vocab_size=size, d_model=32, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
        decoder_ffn_dim=64, max_position_embeddings=64, scale_embedding=True, init_std=0.3,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id, decoder_start_token_id=tokenizer.eos_token_id,
    )  # fmt: skip
    transformers.M2M100ForConditionalGeneration(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def _hf_greedy(family: Family, checkpoint: Path, sentences: list[str]) -> list[str]:
    tokenizer = transformers.AutoTokenizer.from_pretrained(checkpoint, src_lang=family.source_code)
    model = transformers.M2M100ForConditionalGeneration.from_pretrained(checkpoint).eval()
    english = tokenizer.get_lang_id("en") if family is M2M100 else (
        tokenizer.convert_tokens_to_ids("eng_Latn"))  # fmt: skip
    languages = set(getattr(tokenizer, "lang_token_to_id", {}).values())
    texts = []
    for sentence in sentences:
        inputs = tokenizer([sentence], return_tensors="pt")
        with torch.no_grad():
            ids = model.generate(
                **inputs, num_beams=1, do_sample=False, max_new_tokens=STEPS,
                forced_bos_token_id=english, forced_eos_token_id=None,
            )  # fmt: skip
        # Language tokens are dropped from the output, as the worker does (transformers 5
        # no longer counts M2M100's as special tokens).
        kept = [i for i in ids[0].tolist() if i not in languages]
        texts.append(tokenizer.decode(kept, skip_special_tokens=True))
    return texts


@pytest.mark.slow
@pytest.mark.parametrize("family", [NLLB, M2M100], ids=lambda f: f.name)
def test_convert_serve_and_translate(family: Family, tmp_path: Path) -> None:
    checkpoint = _checkpoint(family, tmp_path / f"{family.name}-tiny")
    out = tmp_path / "models" / family.name
    # float32, served as float32: int8 rounding flips some argmaxes of these random weights
    # (the int8 path is the Marian test's); what this test proves is the token layout.
    argv = ["models", "convert", str(checkpoint), str(out), "--source", "zh", "--target", "en",
            "--quantization", "float32"]  # fmt: skip
    assert main(argv) == 0
    meta = read_metadata(out)
    assert meta is not None and meta.family == family.name and not meta.demo
    assert meta.language_tokens == family.tokens
    assert {"model.bin", "sentencepiece.bpe.model", "shared_vocabulary.json"} <= set(meta.files)
    assert open_model_dir(out).serves("zh", "en")

    reply = serve_and_translate(out, ZH, "zh", "en", {"DUTA_WORKER_COMPUTE_TYPE": "float32"})
    served = [h.text for h in reply.hypotheses]
    assert len(set(served)) > 1  # the weights make the output depend on the input
    assert served == _hf_greedy(family, checkpoint, ZH)  # language tokens where expected
    assert all(h.output_tokens > 0 for h in reply.hypotheses)
