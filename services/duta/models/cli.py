"""``duta models …`` subcommands: build-demo, list, verify.

The main ``duta`` CLI calls :func:`register` with its subparsers and dispatches to
``args.func(args)``; each handler returns the process exit code.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from duta.models.catalog import CATALOG, TRAPS
from duta.models.demo import DEMO_PAIRS, build_demo_models
from duta.models.directory import open_model_dir
from duta.models.errors import ModelDirError
from duta.models.metadata import FAMILIES, METADATA_FILE

_DEMO_BANNER = (
    "!!! DEMO MODELS: random weights. Their output is random text in the target script, "
    "NOT a translation. Use them for tests and wiring only. !!!"
)


def parse_pairs(text: str) -> list[tuple[str, str]]:
    """Parses "zh-en,ja-en" (or "zh-Hant:en" when a code has a subtag) into pairs.

    Raises:
        argparse.ArgumentTypeError: a pair is not SRC-TGT or SRC:TGT.
    """
    pairs = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        parts = item.split(":") if ":" in item else item.split("-")
        if len(parts) != 2 or not all(parts):
            raise argparse.ArgumentTypeError(
                f"bad pair {item!r}: write SRC-TGT (zh-en) or, for codes with subtags, "
                "SRC:TGT (zh-Hant:en)"
            )
        pairs.append((parts[0], parts[1]))
    if not pairs:
        raise argparse.ArgumentTypeError("no language pairs given")
    return pairs


def _build_demo(args: argparse.Namespace) -> int:
    print(_DEMO_BANNER, file=sys.stderr)
    started = time.perf_counter()
    try:
        paths = build_demo_models(args.dir, args.pairs, args.family, overwrite=args.force)
    except FileExistsError as exc:
        print(f"error: {exc} (use --force to rebuild)", file=sys.stderr)
        return 1
    for path in paths:
        print(f"built {path}  [DEMO: random output]")
    print(f"{len(paths)} demo models in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    print(_DEMO_BANNER, file=sys.stderr)
    return 0


def _local_rows(root: Path) -> list[str]:
    rows = []
    candidates = sorted(p.parent for p in root.glob("*/model.bin")) if root.is_dir() else []
    for model_dir in candidates:
        if not (model_dir / METADATA_FILE).exists():
            rows.append(f"  {model_dir}  (no {METADATA_FILE}: verify with --source/--target)")
            continue
        try:
            meta = open_model_dir(model_dir).metadata
        except ModelDirError as exc:
            rows.append(f"  {model_dir}  INVALID: {exc}")
            continue
        pairs = f"{','.join(meta.source_languages)}→{','.join(meta.target_languages)}"
        demo = "  [DEMO: random output]" if meta.demo else ""
        rows.append(f"  {model_dir}  {meta.id}  {meta.family}  {pairs}  {meta.tier}{demo}")
    return rows


def _list(args: argparse.Namespace) -> int:
    print("Recommended models (pull on a machine with hub access):")
    print(f"  {'repository':<46} {'family':<14} {'tier':<6} {'licence':<14} pairs")
    for e in CATALOG:
        pairs = ", ".join(f"{s}→{t}" for s, t in e.pairs)
        licence = e.license if len(e.license) <= 14 else "see card"
        nc = "  NON-COMMERCIAL" if not e.commercial_use else ""
        print(f"  {e.repo_id:<46} {e.family:<14} {e.tier:<6} {licence:<14} {pairs}{nc}")
    for repo, why in TRAPS.items():
        print(f"  avoid {repo}: {why}")
    print(f"\nLocal models under {args.dir}:")
    rows = _local_rows(Path(args.dir))
    print("\n".join(rows) if rows else "  (none; `duta models build-demo DIR` builds demo models)")
    return 0


def _verify(args: argparse.Namespace) -> int:
    import ctranslate2  # deferred: `duta models list` should not pay for loading it

    try:
        bundle = open_model_dir(args.dir, args.source, args.target)
        meta = bundle.metadata
        source, target = (
            args.source or meta.source_languages[0],
            args.target or meta.target_languages[0],
        )
        translator = ctranslate2.Translator(str(bundle.path), device="cpu", compute_type="int8")
        tokens, prefix = bundle.encode([args.text], source, target)
        started = time.perf_counter()
        result = translator.translate_batch(
            tokens, target_prefix=prefix, beam_size=1, max_decoding_length=len(tokens[0]) + 16
        )
        elapsed = time.perf_counter() - started
        text = bundle.decode([result[0].hypotheses[0]], target)[0]
    except (ModelDirError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"ok: {meta.id} ({meta.family}, {source}→{target}) in {bundle.path}")
    print(f"  {args.text!r} → {text!r}  ({elapsed * 1000:.0f} ms)")
    if meta.demo:
        print("  DEMO MODEL: random weights, the output above is not a translation")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Adds ``models`` with its subcommands to the main CLI's subparsers."""
    models = subparsers.add_parser("models", help="list, verify and build translation models")
    commands = models.add_subparsers(dest="models_command", required=True)

    build = commands.add_parser(
        "build-demo", help="build tiny random-weight demo models (output is NOT a translation)"
    )
    build.add_argument("dir", type=Path, help="directory to create demo-SRC-TGT/ models in")
    build.add_argument(
        "--pairs",
        type=parse_pairs,
        default=list(DEMO_PAIRS),
        help="comma-separated pairs, e.g. zh-en,ja-en (default: %(default)s)",
    )
    build.add_argument("--family", choices=FAMILIES, default="quickmt", help="file layout")
    build.add_argument("--force", action="store_true", help="replace existing models")
    build.set_defaults(func=_build_demo)

    listing = commands.add_parser("list", help="recommended models and local models")
    listing.add_argument("--dir", default="./models", help="where local models live")
    listing.set_defaults(func=_list)

    verify = commands.add_parser("verify", help="check a model directory and translate once")
    verify.add_argument("dir", type=Path, help="model directory")
    verify.add_argument("--source", help="source language (needed without duta.json)")
    verify.add_argument("--target", help="target language (needed without duta.json)")
    verify.add_argument("--text", default="你好，世界。Hello, world.", help="test sentence")
    verify.set_defaults(func=_verify)
