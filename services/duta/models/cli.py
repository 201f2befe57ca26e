"""``duta models …`` subcommands: pull, convert, build-demo, list, verify.

The main ``duta`` CLI calls :func:`register` with its subparsers and dispatches to
``args.func(args)``; each handler returns the process exit code.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from duta.models.catalog import CATALOG, TRAPS
from duta.models.errors import ModelDirError, PullError
from duta.models.integrity import check_recorded
from duta.models.metadata import FAMILIES, METADATA_FILE, ModelMetadata, read_metadata

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


def _kept(path: Path) -> str | None:
    """Why the model directory at ``path`` is kept rather than rebuilt (None: build it)."""
    if not (path / "model.bin").is_file():
        return None
    try:
        meta = read_metadata(path)
    except ModelDirError:
        return None
    if meta is None:
        return None
    return "already built; --force rebuilds" if meta.demo else "a real model is installed there"


def _build_demo(args: argparse.Namespace) -> int:
    from duta.models import demo  # deferred: loads CTranslate2

    args.pairs = args.pairs or list(demo.DEMO_PAIRS)
    if args.name and len(args.pairs) != 1:
        print("error: --name names one model: give one pair with it", file=sys.stderr)
        return 2
    print(_DEMO_BANNER, file=sys.stderr)
    started = time.perf_counter()
    todo = []
    for source, target in args.pairs:
        path = args.dir / (args.name or f"demo-{source}-{target}")
        why = None if args.force else _kept(path)
        if why:
            print(f"kept {path}  ({why})")
        else:
            todo.append((path, source, target))
    try:
        paths = [
            demo.build_demo_model(
                path, source, target, args.family, seed=seed, model_id=path.name,
                overwrite=args.force,
            )
            for seed, (path, source, target) in enumerate(todo)
        ]  # fmt: skip
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
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
            from duta.models.directory import open_model_dir

            meta = open_model_dir(model_dir).metadata
        except ModelDirError as exc:
            rows.append(f"  {model_dir}  INVALID: {exc}")
            continue
        pairs = f"{','.join(meta.source_languages)}→{','.join(meta.target_languages)}"
        demo = "  [DEMO: random output]" if meta.demo else ""
        rows.append(f"  {model_dir}  {meta.id}  {meta.family}  {pairs}  {meta.tier}{demo}")
    return rows


def _installed_repos(root: Path) -> dict[str, str]:
    found = {}
    for model_dir in sorted(root.glob("*/model.bin")) if root.is_dir() else []:
        try:
            meta = read_metadata(model_dir.parent)
        except ModelDirError:
            continue
        if meta is not None and meta.repo_id:
            found[meta.repo_id] = model_dir.parent.name
    return found


def _list(args: argparse.Namespace) -> int:
    installed = _installed_repos(Path(args.dir))
    print("Recommended models (`duta models pull PAIR|REPO`; * = installed in --dir):")
    print(f"    {'repository':<46} {'family':<14} {'tier':<6} {'licence':<14} pairs")
    for e in CATALOG:
        pairs = ", ".join(f"{s}→{t}" for s, t in e.pairs)
        licence = e.license if len(e.license) <= 14 else "see card"
        nc = "  NON-COMMERCIAL" if not e.commercial_use else ""
        mark = "*" if e.repo_id in installed else " "
        where = f"  [installed: {installed[e.repo_id]}]" if mark == "*" else ""
        print(
            f"  {mark} {e.repo_id:<46} {e.family:<14} {e.tier:<6} {licence:<14} {pairs}{nc}{where}"
        )
    for repo, why in TRAPS.items():
        print(f"  avoid {repo}: {why}")
    print(f"\nLocal models under {args.dir}:")
    rows = _local_rows(Path(args.dir))
    print("\n".join(rows) if rows else "  (none; `duta models build-demo DIR` builds demo models)")
    return 0


def _print_served(meta: ModelMetadata) -> None:
    origin = f"{meta.repo_id}@{meta.revision[:12]}" if meta.repo_id else meta.revision
    checked = f"{len(meta.files)} files match duta.json" if meta.files else "no file digests"
    print(
        f"  a worker would serve: {', '.join(meta.source_languages)} → "
        f"{', '.join(meta.target_languages)} (tier {meta.tier})"
    )
    print(
        f"  from {origin}; licence {meta.license or 'unknown'}; "
        f"{meta.converter or 'converter unknown'}; {checked}"
    )


def _wait_installed(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not (path / METADATA_FILE).is_file():
        if time.monotonic() >= deadline:
            return False
        print(f"waiting for a model at {path} …", file=sys.stderr, flush=True)
        time.sleep(min(5.0, max(0.1, deadline - time.monotonic())))
    return True


def _verify(args: argparse.Namespace) -> int:
    import ctranslate2  # deferred: `duta models list` should not pay for loading it

    if args.wait and not _wait_installed(args.dir, args.wait):
        print(f"error: no model installed at {args.dir} after {args.wait:.0f}s", file=sys.stderr)
        return 1

    try:
        from duta.models.directory import open_model_dir

        bundle = open_model_dir(args.dir, args.source, args.target)
        meta = bundle.metadata
        check_recorded(bundle.path, meta.files)
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
    except (ModelDirError, ValueError, RuntimeError) as exc:  # ModelDirError: recorded files too
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"ok: {meta.id} ({meta.family}, {source}→{target}) in {bundle.path}")
    _print_served(meta)
    print(f"  {args.text!r} → {text!r}  ({elapsed * 1000:.0f} ms)")
    if meta.demo:
        print("  DEMO MODEL: random weights, the output above is not a translation")
    return 0


def _pull(args: argparse.Namespace) -> int:
    from duta.models.pull import PullOptions, pull_model

    options = PullOptions(
        root=args.dir,
        revision=args.revision,
        source=args.source,
        name=args.name if len(args.specs) == 1 else None,
        accept_non_commercial=args.accept_cc_by_nc,
        force=args.force,
    )
    for spec in args.specs:
        try:
            pull_model(spec, options)
        except PullError as exc:
            print(f"error: {spec}: {exc}", file=sys.stderr)
            return 1
    return 0


def _convert(args: argparse.Namespace) -> int:
    from duta.models.convert import ConvertOptions, convert_model

    try:
        path = convert_model(
            args.src,
            args.dir,
            ConvertOptions(
                source=args.source,
                target=args.target,
                quantization=args.quantization,
                force=args.force,
            ),
        )
    except PullError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"converted {args.src} into {path}")
    return 0


def _add_pull_convert(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    pull = commands.add_parser(
        "pull", help="download real models (catalog pairs or repository ids), checked, atomically"
    )
    pull.add_argument(
        "specs", nargs="+", metavar="PAIR|REPO_ID", help="zh-en, or quickmt/quickmt-zh-en"
    )
    pull.add_argument("--dir", type=Path, default=Path("models"), help="models directory")
    pull.add_argument("--revision", help="branch, tag or commit (default: main); recorded")
    pull.add_argument(
        "--from",
        dest="source",
        metavar="DIR|URL",
        help="a mirror URL (else HF_ENDPOINT) or a "
        "folder with a copy of the repository (air-gapped)",
    )
    pull.add_argument("--name", help="directory name under --dir (default: the pair or repo name)")
    pull.add_argument(
        "--accept-cc-by-nc",
        action="store_true",
        help="allow NON-COMMERCIAL models (NLLB-200 is CC-BY-NC-4.0)",
    )
    pull.add_argument("--force", action="store_true", help="replace an installed model")
    pull.set_defaults(func=_pull)

    convert = commands.add_parser(
        "convert", help="convert an OPUS-MT/Marian, NLLB or M2M100 checkpoint (needs duta[convert])"
    )
    convert.add_argument("src", help="checkpoint directory (transformers format) or hub id")
    convert.add_argument("dir", type=Path, help="model directory to create")
    convert.add_argument("--source", required=True, help="source language, e.g. zh")
    convert.add_argument("--target", required=True, help="target language, e.g. en")
    convert.add_argument("--quantization", default="int8", help="CTranslate2 quantization")
    convert.add_argument("--force", action="store_true", help="replace an existing directory")
    convert.set_defaults(func=_convert)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Adds ``models`` with its subcommands to the main CLI's subparsers."""
    models = subparsers.add_parser(
        "models", help="pull, convert, list, verify and build translation models"
    )
    commands = models.add_subparsers(dest="models_command", required=True)
    _add_pull_convert(commands)

    build = commands.add_parser(
        "build-demo", help="build tiny random-weight demo models (output is NOT a translation)"
    )
    build.add_argument("dir", type=Path, help="directory to create demo-SRC-TGT/ models in")
    build.add_argument(
        "--pairs",
        type=parse_pairs,
        help="comma-separated pairs, e.g. zh-en,ja-en (default: zh-en,ja-en,ko-en,en-zh,"
        "en-ja,en-ko)",
    )
    build.add_argument("--family", choices=FAMILIES, default="quickmt", help="file layout")
    build.add_argument("--name", help="directory name for a single pair (default: demo-SRC-TGT)")
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
    verify.add_argument(
        "--wait",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait up to SECONDS for the model to be installed (a pull moves it into "
        "place atomically): what an init container runs before a worker starts",
    )
    verify.set_defaults(func=_verify)
