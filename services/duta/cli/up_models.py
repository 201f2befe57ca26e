"""The models `duta up` serves: what is installed, real models pulled when the hub answers,
demo models (loudly) when it does not or when asked for."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from duta.models.errors import ModelDirError, PullError
from duta.models.metadata import ModelMetadata, read_metadata

DEMO_WARNING = (
    "\n"
    "  ************************************************************************\n"
    "  *  DEMO MODELS: random weights. Their output is NOT a translation.     *\n"
    "  *  Real models: `duta models pull zh-en …` (or `duta up --pairs …`)   *\n"
    "  *  when the model hub or a mirror (HF_ENDPOINT) answers.              *\n"
    "  ************************************************************************\n"
)

Pair = tuple[str, str]


def _metadata(model_dir: Path) -> ModelMetadata | None:
    try:
        return read_metadata(model_dir)
    except ModelDirError:
        return None


def _pairs_of(meta: ModelMetadata) -> set[Pair]:
    return {(s, t) for s in meta.source_languages for t in meta.target_languages}


def _covers(meta: ModelMetadata | None, pairs: Sequence[Pair]) -> bool:
    from duta.models.bundle import resolve_language

    if meta is None:
        return False
    return any(
        resolve_language(s, meta.source_languages) and resolve_language(t, meta.target_languages)
        for s, t in pairs
    )


def model_dirs(root: Path, pairs: Sequence[Pair] | None = None) -> list[Path]:
    """Model directories under ``root`` to serve: every one with a model.bin (only those
    serving one of ``pairs`` when given), except a demo model whose pairs a real model there
    already serves (hidden folders are never served)."""
    if not root.is_dir():
        return []
    found = sorted(
        p for p in root.iterdir() if not p.name.startswith(".") and (p / "model.bin").is_file()
    )
    metas = {p: _metadata(p) for p in found}
    real: set[Pair] = set()
    for meta in metas.values():
        if meta is not None and not meta.demo:
            real |= _pairs_of(meta)
    kept = [p for p in found if not ((m := metas[p]) and m.demo and _pairs_of(m) <= real)]
    return [p for p in kept if pairs is None or _covers(metas[p], pairs)]


def _served(root: Path, real_only: bool) -> set[Pair]:
    served: set[Pair] = set()
    for model_dir in model_dirs(root):
        meta = _metadata(model_dir)
        if meta is not None and not (real_only and meta.demo):
            served |= _pairs_of(meta)
    return served


def serves_demo(root: Path, pairs: Sequence[Pair] | None = None) -> bool:
    """Whether any model ``duta up`` would serve from ``root`` is a demo model."""
    return any((m := _metadata(p)) is not None and m.demo for p in model_dirs(root, pairs))


def _missing(root: Path, pairs: Sequence[Pair], real_only: bool) -> list[Pair]:
    from duta.models.bundle import resolve_language

    served = _served(root, real_only)
    return [
        (s, t)
        for s, t in pairs
        if not any(resolve_language(s, [a]) and resolve_language(t, [b]) for a, b in served)
    ]


def _pull_all(root: Path, pairs: Sequence[Pair], source: str | None) -> list[Pair]:
    """Pulls each pair; returns the pairs that could not be pulled."""
    from duta.models.pull import PullOptions, pull_model

    failed = []
    for source_code, target_code in pairs:
        spec = f"{source_code}-{target_code}"
        try:
            pull_model(spec, PullOptions(root=root, source=source))
        except PullError as exc:
            print(f"duta up: could not pull {spec}: {exc}", file=sys.stderr)
            failed.append((source_code, target_code))
    return failed


def _hub_answers(pairs: Sequence[Pair], source: str | None) -> tuple[bool, str]:
    from duta.models.catalog import recommended
    from duta.models.hub import hub_reachable, resolve_endpoint

    if source and not source.startswith(("http://", "https://")):
        return Path(source).is_dir(), source
    endpoint = resolve_endpoint(source)
    entries = [e for pair in pairs for e in recommended(*pair)[:1]]
    repo = entries[0].repo_id if entries else "quickmt/quickmt-zh-en"
    return hub_reachable(endpoint, repo), endpoint


def ensure_models(
    root: Path,
    pairs: Sequence[Pair] | None = None,
    demo: bool = False,
    source: str | None = None,
) -> None:
    """Makes sure ``root`` serves ``pairs`` (default: what is there, else the demo pairs).

    Real models are pulled when the hub (``HF_ENDPOINT``, or ``source``) answers; otherwise,
    or with ``demo``, demo models are built for what is still missing (the caller warns).
    """
    from duta.models import DEMO_PAIRS, build_demo_models

    if pairs is None:
        if model_dirs(root):
            return
        pairs = DEMO_PAIRS
    missing = _missing(root, pairs, real_only=True)
    if missing and not demo:
        answers, where = _hub_answers(missing, source)
        if answers:
            print(f"pulling real models for {_names(missing)} from {where} …", flush=True)
            missing = _pull_all(root, missing, source)
        else:
            print(f"the model hub at {where} does not answer: no real models can be pulled")
    missing = [p for p in missing if p in _missing(root, missing, real_only=False)]
    if missing:
        print(f"building demo models (random weights) for {_names(missing)} in {root} …")
        build_demo_models(root, missing)


def _names(pairs: Sequence[Pair]) -> str:
    return ", ".join(f"{s}-{t}" for s, t in pairs)
