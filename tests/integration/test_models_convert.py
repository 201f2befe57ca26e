"""`duta models convert`: a real (tiny, random) Marian checkpoint made with transformers,
converted by CTranslate2's converter, served by `duta serve worker`, translating exactly as
transformers' own greedy decoding does.

Needs the optional extra `duta[convert]` (torch + transformers): `make test` installs it
(`make install-convert`).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
import sentencepiece as spm

from duta.cli.main import main
from duta.cli.up import free_port, wait_serving
from duta.models import open_model_dir
from duta.models.metadata import read_metadata

_NEEDS = "is not importable: install the convert extra (`make install-convert`)"
torch = pytest.importorskip("torch", reason=f"torch {_NEEDS}")
transformers = pytest.importorskip("transformers", reason=f"transformers {_NEEDS}")

ZH = [
    "今天天气很好。",
    "我们去公园散步吧。",
    "我喜欢吃米饭和面条。",
    "这是一个测试句子。",
    "明天会下雨吗？",
]
EN = ["The weather is good.", "Let us walk.", "I like rice.", "This is a test.", "Will it rain?"]
STEPS = 8


def _train_spm(lines: list[str], path: Path) -> None:
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines * 40),
        model_writer=model,
        vocab_size=60,
        hard_vocab_limit=False,
        character_coverage=1.0,
        bos_id=-1,
        eos_id=1,
        unk_id=2,
        pad_id=-1,
        minloglevel=2,
    )
    path.write_bytes(model.getvalue())


def _marian_checkpoint(out: Path) -> Path:
    """A Marian checkpoint laid out as Helsinki-NLP's: weights, config, source/target.spm,
    vocab.json, tokenizer files; 1+1 layers, d_model 32, random weights."""
    out.mkdir(parents=True)
    _train_spm(ZH, out / "source.spm")
    _train_spm(EN, out / "target.spm")
    vocab = {"</s>": 0, "<unk>": 1}
    for name in ("source.spm", "target.spm"):
        processor = spm.SentencePieceProcessor(model_file=str(out / name))
        for i in range(processor.get_piece_size()):
            vocab.setdefault(processor.id_to_piece(i), len(vocab))
    vocab["<pad>"] = len(vocab)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    torch.manual_seed(0)
    config = transformers.MarianConfig(
        vocab_size=len(vocab), d_model=32, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
        decoder_ffn_dim=64, max_position_embeddings=64, pad_token_id=vocab["<pad>"],
        eos_token_id=0, decoder_start_token_id=vocab["<pad>"], forced_eos_token_id=0,
    )  # fmt: skip
    transformers.MarianMTModel(config).save_pretrained(out)
    tokenizer = transformers.MarianTokenizer(
        str(out / "source.spm"), str(out / "target.spm"), str(out / "vocab.json")
    )
    tokenizer.save_pretrained(out)
    return out


def _hf_greedy(checkpoint: Path, sentences: list[str]) -> list[str]:
    tokenizer = transformers.MarianTokenizer.from_pretrained(checkpoint)
    model = transformers.MarianMTModel.from_pretrained(checkpoint).eval()
    texts = []
    for sentence in sentences:
        inputs = tokenizer([sentence], return_tensors="pt")
        with torch.no_grad():
            ids = model.generate(
                **inputs,
                num_beams=1,
                do_sample=False,
                max_new_tokens=STEPS,
                forced_eos_token_id=None,
            )
        texts.append(tokenizer.decode(ids[0], skip_special_tokens=True))
    return texts


@pytest.mark.slow
def test_convert_a_marian_checkpoint_serve_it_and_translate(tmp_path: Path, capsys) -> None:
    checkpoint = _marian_checkpoint(tmp_path / "opus-mt-zh-en")
    out = tmp_path / "models" / "zh-en"
    assert (
        main(["models", "convert", str(checkpoint), str(out), "--source", "zh", "--target", "en"])
        == 0
    )
    meta = read_metadata(out)
    assert meta is not None and meta.family == "opus-mt" and not meta.demo
    assert meta.converter and meta.converter.endswith("int8")
    assert meta.source_languages == ["zh-Hans"] and meta.target_languages == ["en"]
    assert {"model.bin", "source.spm", "target.spm", "shared_vocabulary.json"} <= set(meta.files)
    assert open_model_dir(out).serves("zh", "en")
    assert not list(out.parent.glob(".*converting*"))
    capsys.readouterr()

    # Converting again onto an existing model is refused, not silently overwritten.
    assert (
        main(["models", "convert", str(checkpoint), str(out), "--source", "zh", "--target", "en"])
        == 1
    )
    assert "exists" in capsys.readouterr().err

    reply = serve_and_translate(out, ZH, "zh", "en")
    assert reply.model_id == "zh-en"
    served = [h.text for h in reply.hypotheses]
    assert served == _hf_greedy(checkpoint, ZH)  # the converted model decodes as the original
    assert all(h.output_tokens > 0 for h in reply.hypotheses)


def serve_and_translate(
    model: Path, sentences: list[str], source: str, target: str, env: dict[str, str] | None = None
):
    """Starts `duta serve worker` on `model` (with `env` added to the environment), translates
    `sentences` greedily, stops it."""
    from duta.v1 import worker_pb2, worker_pb2_grpc

    port = free_port()
    worker = subprocess.Popen(
        [sys.executable, "-m", "duta", "serve", "worker", "--model", str(model),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **(env or {})},
    )  # fmt: skip
    try:
        wait_serving(f"127.0.0.1:{port}", 120, worker)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            return worker_pb2_grpc.WorkerStub(channel).Translate(
                worker_pb2.WorkerTranslateRequest(
                    sentences=sentences,
                    source_language=source,
                    target_language=target,
                    options=worker_pb2.DecodingOptions(beam_size=1, max_decoding_length=STEPS),
                ),
                timeout=60,
            )
    finally:
        worker.terminate()
        worker.wait(30)
