"""``duta models convert``: OPUS-MT / Marian, NLLB and M2M100 checkpoints to int8 CTranslate2.

Runs CTranslate2's own ``TransformersConverter``, which needs ``torch`` and ``transformers``:
the optional extra ``pip install 'duta[convert]'``. Serving never needs them. The converted
model gets the checkpoint's SentencePiece files and a ``duta.json`` (family inferred from the
files: a Marian vocabulary with ``>>xxx<<`` tokens is multi-target), is opened as a worker
would, and is renamed into place only then.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import ctranslate2

from duta.models._codes import canonicalize, to_model_token
from duta.models.directory import open_model_dir
from duta.models.errors import ModelDirError, PullError
from duta.models.families import infer_family, read_vocabularies
from duta.models.integrity import digest_files
from duta.models.metadata import ModelMetadata, write_metadata

# SentencePiece and tokenizer files the families need next to model.bin.
_TOKENIZER_FILES = ("source.spm", "target.spm", "sentencepiece.bpe.model", "spm.model")
_INSTALL_HINT = (
    "converting needs torch and transformers: pip install 'duta[convert]' "
    "(serving does not need them)"
)


@dataclass(frozen=True)
class ConvertOptions:
    """How to convert.

    Attributes:
        source: Source language of the checkpoint (BCP-47).
        target: Target language (for a multi-target checkpoint: the one to record first).
        quantization: CTranslate2 weight type; int8 is what Duta serves on CPU.
        force: Replace an existing output directory.
        model_id: Id for duta.json; default: the output directory's name.
        license: Licence of the weights, recorded in duta.json.
    """

    source: str
    target: str
    quantization: str = "int8"
    force: bool = False
    model_id: str | None = None
    license: str = ""


def convert_checkpoint(src: str | Path, out: Path, quantization: str = "int8") -> Path:
    """Converts a transformers checkpoint (directory or hub id) into ``out`` (must not exist).

    Raises:
        PullError: torch/transformers missing, or the converter failed (message says why).
    """
    try:
        from ctranslate2.converters import TransformersConverter
    except ImportError as exc:  # pragma: no cover - ctranslate2 ships its converters
        raise PullError(f"{_INSTALL_HINT} ({exc})") from None
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise PullError(f"{_INSTALL_HINT}; missing: {exc.name}") from None
    _register_m2m100_loader()
    src_path = Path(src)
    copy = [n for n in _TOKENIZER_FILES if (src_path / n).is_file()]
    try:
        converter = TransformersConverter(str(src), copy_files=copy or None)
        converter.convert(str(out), quantization=quantization, force=False)
    except (OSError, ValueError, RuntimeError, NotImplementedError, KeyError) as exc:
        shutil.rmtree(out, ignore_errors=True)
        raise PullError(f"{src}: CTranslate2's converter failed: {exc}") from None
    return out


def _register_m2m100_loader() -> None:
    """transformers 5 keeps M2M100's language tokens (`__en__`, `__zh__`…) out of both
    `get_vocab()` and `special_tokens_map`, where CTranslate2 4's loader looks for them, so it
    builds a vocabulary without them and refuses the model. This loader puts them back at the
    ids the tokenizer gives them; NLLB's tokenizer, which lists its codes, is left as it is."""
    from ctranslate2.converters import transformers as converters

    class M2M100Loader(converters.M2M100Loader):  # type: ignore[misc,name-defined]
        def get_vocabulary(self, model, tokenizer):  # type: ignore[no-untyped-def]
            tokens = super().get_vocabulary(model, tokenizer)
            languages = getattr(tokenizer, "lang_token_to_id", None) or {}
            if all(token in tokens for token in languages):
                return tokens
            while tokens and tokens[-1].startswith("madeupword"):
                tokens.pop()
            for token, index in sorted(languages.items(), key=lambda item: item[1]):
                if index != len(tokens):
                    raise ValueError(f"language token {token} has id {index}, not {len(tokens)}")
                tokens.append(token)
            madeup = model.config.vocab_size - len(tokens)
            return tokens + [f"madeupword{i}" for i in range(max(0, madeup))]

    converters.register_loader("M2M100Config")(M2M100Loader)


def _metadata(out: Path, options: ConvertOptions, src: str | Path) -> ModelMetadata:
    source_vocab, _ = read_vocabularies(out)
    family = infer_family(out, source_vocab)
    source, target = canonicalize(options.source), canonicalize(options.target)
    tokens: dict[str, str] = {}
    if family in ("nllb", "m2m100", "opus-mt-multi"):
        codes = [target] if family == "opus-mt-multi" else [source, target]
        tokens = {code: to_model_token(code, family) for code in codes}
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    return ModelMetadata(
        id=options.model_id or out.name.removeprefix(".").removesuffix(".converting"),
        family=family,
        source_languages=[source],
        target_languages=[target],
        revision=f"converted:{src}",
        ctranslate2_version=ctranslate2.__version__,
        add_source_eos=not config.get("add_source_eos", False),
        language_tokens=tokens,
        license=options.license,
        converter=f"ctranslate2 {ctranslate2.__version__} {options.quantization}",
        files=digest_files(out),
    )


def convert_model(src: str | Path, out_dir: Path, options: ConvertOptions) -> Path:
    """Converts ``src`` and installs it as a checked model directory at ``out_dir``.

    Raises:
        PullError: ``out_dir`` exists (without ``force``), the conversion failed, or the
            converted directory is not a usable model.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not options.force:
        raise PullError(f"{out_dir} exists and is not empty; pass --force to replace it")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.with_name(f".{out_dir.name}.converting")
    shutil.rmtree(staging, ignore_errors=True)
    convert_checkpoint(src, staging, options.quantization)
    try:
        write_metadata(staging, _metadata(staging, options, src))
        open_model_dir(staging)
    except (ModelDirError, ValueError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise PullError(f"{src}: the converted model is not usable: {exc}") from None
    if out_dir.exists():
        shutil.rmtree(out_dir)
    staging.rename(out_dir)
    return out_dir
