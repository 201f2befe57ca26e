"""Every model family round-trips: build → open → encode → CTranslate2 int8 → decode.

The tiny models are built in each family's exact file layout, loaded by a real
``ctranslate2.Translator`` and must give non-empty text for Chinese, Japanese, Korean and
English input (their weights are random, so the text is not a translation).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ctranslate2
import pytest

from duta.models import ModelBundle, build_demo_model, open_model_dir

INPUTS = ["我们明天去北京。", "日本語の文章です。", "한국어 문장입니다.", "Hello, world!"]
CASES = {
    # family: (source, target) — the target script differs from the source's
    "quickmt": ("zh", "en"),
    "opus-mt": ("ja", "en"),
    "opus-mt-multi": ("en", "zh-Hant"),
    "nllb": ("ko", "ja"),
    "m2m100": ("en", "ko"),
}
_SCRIPT = {"en": "[A-Za-z]", "ja": "[\u3040-\u30ff\u4e00-\u9fff]", "ko": "[\uac00-\ud7a3]",
           "zh-Hant": "[\u4e00-\u9fff]"}  # fmt: skip


@pytest.fixture(scope="session")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[ModelBundle, int]]:
    root = tmp_path_factory.mktemp("families")
    out = {}
    for family, (source, target) in CASES.items():
        path = build_demo_model(root / family, source, target, family)
        out[family] = (open_model_dir(path), (path / "model.bin").stat().st_size)
    return out


def _translate(bundle: ModelBundle, source: str, target: str, beam: int) -> list[str]:
    translator = ctranslate2.Translator(str(bundle.path), device="cpu", compute_type="int8")
    tokens, prefix = bundle.encode(INPUTS, source, target)
    results = translator.translate_batch(
        tokens,
        target_prefix=prefix,
        beam_size=beam,
        max_decoding_length=int(1.5 * max(map(len, tokens))) + 8,
    )
    hypotheses = [r.hypotheses[0] for r in results]
    assert all(len(h) > 4 for h in hypotheses), "decoding stopped early: </s> not suppressed"
    return bundle.decode(hypotheses, target)


@pytest.mark.parametrize("beam", [1, 4])
@pytest.mark.parametrize("family", list(CASES))
def test_family_round_trip_gives_text(bundles, family: str, beam: int) -> None:
    import re

    bundle, _ = bundles[family]
    source, target = CASES[family]
    texts = _translate(bundle, source, target, beam)
    assert len(texts) == len(INPUTS)
    for text in texts:
        assert text.strip(), f"{family}: empty output"
        assert "<" not in text and "\ufffd" not in text and "⁇" not in text, text
        assert re.search(_SCRIPT[target], text), f"{family}: {text!r} is not in {target} script"


def test_each_tiny_model_is_tiny(bundles) -> None:
    # what keeps building one to about a second; its size, unlike the time, does not depend on
    # how busy the machine is (the demo shape's int8 weights are ~1 MB)
    for family, (_, size) in bundles.items():
        assert size < 2_000_000, f"{family}: model.bin is {size / 1e6:.1f} MB"


def test_token_conventions(bundles) -> None:
    quick, _ = bundles["quickmt"]
    tokens, prefix = quick.encode(["你好"], "zh", "en")
    assert tokens[0][-1] == "</s>" and prefix is None
    assert quick.count_tokens("你好", "zh", "en") == len(tokens[0])

    multi, _ = bundles["opus-mt-multi"]
    tokens, prefix = multi.encode(["Hello"], "en", "zh-Hant")
    assert tokens[0][0] == ">>cmn_Hant<<" and tokens[0][-1] == "</s>" and prefix is None

    nllb, _ = bundles["nllb"]
    tokens, prefix = nllb.encode(["안녕", "하세요"], "ko", "ja")
    assert [t[0] for t in tokens] == ["kor_Hang", "kor_Hang"] and tokens[0][-1] == "</s>"
    assert prefix == [["jpn_Jpan"], ["jpn_Jpan"]]

    m2m, _ = bundles["m2m100"]
    tokens, prefix = m2m.encode(["Hi"], "en", "ko")
    assert tokens[0][0] == "__en__" and prefix == [["__ko__"]]


def test_decode_drops_the_target_language_token(bundles) -> None:
    nllb, _ = bundles["nllb"]
    pieces = nllb.target_spm.encode("テスト", out_type=str)
    assert nllb.decode([["jpn_Jpan", *pieces, "</s>"]], "ja") == ["テスト"]
    multi, _ = bundles["opus-mt-multi"]
    assert multi.decode([[">>cmn_Hant<<", "▁"]], "zh-Hant") == [""]


def test_cli_verify_and_failure_exit_code(bundles, tmp_path: Path) -> None:
    bundle, _ = bundles["nllb"]
    code = (
        "import argparse, sys; from duta.models.cli import register; "
        "p = argparse.ArgumentParser(); register(p.add_subparsers()); "
        "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))"
    )
    ok = subprocess.run(
        [sys.executable, "-c", code, "models", "verify", str(bundle.path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "ok: " in ok.stdout and "DEMO MODEL" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-c", code, "models", "verify", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 1 and "model.bin is missing" in bad.stderr
