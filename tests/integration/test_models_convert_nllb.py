"""`duta models convert` on an NLLB checkpoint: a real (tiny, random) M2M100-architecture model
with an NLLB tokenizer made with transformers, converted by CTranslate2's converter, served by
`duta serve worker` with NLLB's language tokens, decoding exactly as transformers does.

Needs the optional extra `duta[convert]` (torch + transformers); `make install` installs it.
"""

from __future__ import annotations

import io
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

# NLLB appends its language codes to the SentencePiece vocabulary; a few are enough here.
CODES = ["eng_Latn", "jpn_Jpan", "zho_Hans", "zho_Hant"]


def _nllb_checkpoint(out: Path) -> Path:
    """An NLLB checkpoint laid out as facebook/nllb-200-*: weights, config, a BPE
    sentencepiece.bpe.model, tokenizer files; 1+1 layers, d_model 32, random weights large
    enough (init_std 0.3) that each input decodes differently."""
    out.mkdir(parents=True)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter((ZH + EN) * 40), model_writer=model, vocab_size=80,
        hard_vocab_limit=False, character_coverage=1.0, model_type="bpe", minloglevel=2,
    )  # fmt: skip
    (out / "sentencepiece.bpe.model").write_bytes(model.getvalue())
    tokenizer = transformers.NllbTokenizer.from_pretrained(
        str(out), src_lang="zho_Hans", tgt_lang="eng_Latn", additional_special_tokens=CODES
    )
    torch.manual_seed(0)
    config = transformers.M2M100Config(
        vocab_size=len(tokenizer), d_model=32, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
        decoder_ffn_dim=64, max_position_embeddings=64, scale_embedding=True, init_std=0.3,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id, decoder_start_token_id=tokenizer.eos_token_id,
    )  # fmt: skip
    transformers.M2M100ForConditionalGeneration(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def _hf_greedy(checkpoint: Path, sentences: list[str]) -> list[str]:
    tokenizer = transformers.AutoTokenizer.from_pretrained(checkpoint, src_lang="zho_Hans")
    model = transformers.M2M100ForConditionalGeneration.from_pretrained(checkpoint).eval()
    english = tokenizer.convert_tokens_to_ids("eng_Latn")
    texts = []
    for sentence in sentences:
        inputs = tokenizer([sentence], return_tensors="pt")
        with torch.no_grad():
            ids = model.generate(
                **inputs, num_beams=1, do_sample=False, max_new_tokens=STEPS,
                forced_bos_token_id=english, forced_eos_token_id=None,
            )  # fmt: skip
        texts.append(tokenizer.decode(ids[0], skip_special_tokens=True))
    return texts


@pytest.mark.slow
def test_convert_an_nllb_checkpoint_serve_it_and_translate(tmp_path: Path) -> None:
    checkpoint = _nllb_checkpoint(tmp_path / "nllb-200-tiny")
    out = tmp_path / "models" / "nllb"
    # float32, served as float32: int8 rounding flips some argmaxes of these random weights
    # (the int8 path is the Marian test's); what this test proves is NLLB's token layout.
    argv = ["models", "convert", str(checkpoint), str(out), "--source", "zh", "--target", "en",
            "--quantization", "float32"]  # fmt: skip
    assert main(argv) == 0
    meta = read_metadata(out)
    assert meta is not None and meta.family == "nllb" and not meta.demo
    assert meta.language_tokens == {"zh-Hans": "zho_Hans", "en": "eng_Latn"}
    assert {"model.bin", "sentencepiece.bpe.model", "shared_vocabulary.json"} <= set(meta.files)
    assert open_model_dir(out).serves("zh", "en")

    reply = serve_and_translate(out, ZH, "zh", "en", {"DUTA_WORKER_COMPUTE_TYPE": "float32"})
    served = [h.text for h in reply.hypotheses]
    assert len(set(served)) > 1  # the weights make the output depend on the input
    assert served == _hf_greedy(checkpoint, ZH)  # language tokens placed as NLLB expects
    assert all(h.output_tokens > 0 for h in reply.hypotheses)
