"""``duta models pull``: a real model from the hub, a mirror or a copied folder, installed safely.

The files go into a staging directory inside the models root (``.duta-partial/<name>``, on the
same filesystem, never seen by a worker: ``duta up`` and the deployments load
``<root>/<name>/``), are checked (sizes and sha256 against the hub's metadata, a CTranslate2
model, the tokenizer files of the family, the whole directory opened as a worker would), get
their ``duta.json``, and only then are renamed into place. An interrupted download stays staged
and resumes on the next run; a corrupt one is discarded.
"""

from __future__ import annotations

import logging
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import ctranslate2

from duta.models._codes import canonicalize, to_model_token
from duta.models.catalog import CATALOG, TRAPS, WIDE_LANGUAGES, CatalogEntry, recommended
from duta.models.directory import open_model_dir
from duta.models.errors import ModelDirError, PullError
from duta.models.families import LAYOUTS, read_vocabularies
from duta.models.integrity import check_remote, digest_files
from duta.models.local import copy_local_repo
from duta.models.metadata import METADATA_FILE, ModelMetadata, read_metadata, write_metadata

logger = logging.getLogger(__name__)

STAGING = ".duta-partial"
_VOCABULARIES = ("shared_vocabulary.*", "source_vocabulary.*", "target_vocabulary.*")
_DOCS = ("README.md", "LICENSE*")
_CHECKPOINT = (
    "config.json", "generation_config.json", "pytorch_model.bin", "model.safetensors",
    "*.spm", "vocab.json", "tokenizer_config.json", "special_tokens_map.json",
    "sentencepiece.bpe.model",
)  # fmt: skip


@dataclass(frozen=True)
class PullOptions:
    """How to pull.

    Attributes:
        root: Models directory (one sub-directory per model).
        revision: Branch, tag or commit; None is main.
        source: Mirror URL, or a folder holding a copy of the repository; None uses
            ``HF_ENDPOINT`` or the hub.
        name: Directory name under ``root``; default: the pair, or the repository's name.
        accept_non_commercial: Allows models whose licence forbids commercial use (NLLB).
        force: Replaces an installed model of the same name.
    """

    root: Path
    revision: str | None = None
    source: str | None = None
    name: str | None = None
    accept_non_commercial: bool = False
    force: bool = False


def _parse_pair(spec: str) -> tuple[str, str] | None:
    parts = spec.split(":") if ":" in spec else spec.split("-")
    if "/" in spec or len(parts) != 2:
        return None
    try:
        return canonicalize(parts[0]), canonicalize(parts[1])
    except ValueError:
        return None


def choose_entry(spec: str, accept_non_commercial: bool = False) -> tuple[CatalogEntry, str]:
    """The catalog entry for ``spec`` (a pair such as ``zh-en``, or a repository id) and the
    default directory name.

    Raises:
        PullError: unknown pair or repository, a trap, or a non-commercial licence not accepted.
    """
    if spec in TRAPS:
        raise PullError(f"{spec} is {TRAPS[spec]}")
    pair = _parse_pair(spec)
    if pair is not None:
        entries = recommended(*pair)
        if not entries:
            raise PullError(
                f"the catalog has no model for {spec}; pivot through English "
                "(pull SRC-en and en-TGT) or see `duta models list`"
            )
        usable = [e for e in entries if e.commercial_use or accept_non_commercial]
        entry, name = (usable or entries)[0], spec
    else:
        entry = next((e for e in CATALOG if e.repo_id == spec), None)  # type: ignore[assignment]
        if entry is None:
            raise PullError(
                f"{spec} is not in the catalog; `duta models list` shows what pull knows "
                "(family, languages, licence); for another model, download and convert it "
                "yourself (`duta models convert`)"
            )
        name = spec.rsplit("/", 1)[-1]
    if not entry.commercial_use and not accept_non_commercial:
        raise PullError(
            f"{entry.repo_id} is licensed {entry.license}: NON-COMMERCIAL use only. Pass "
            "--accept-cc-by-nc to pull it anyway (you are responsible for complying)"
        )
    return entry, name


def _patterns(entry: CatalogEntry) -> tuple[list[str], list[str]]:
    if entry.source == "convert":
        names = [*_CHECKPOINT, *_DOCS]
    else:
        layout = LAYOUTS[entry.family]
        spm = dict.fromkeys((*layout.source_spm, *layout.target_spm))
        names = ["model.bin", "config.json", *_VOCABULARIES, *spm, *_DOCS]
    if entry.subfolder:
        return [f"{entry.subfolder}/{n}" for n in names], []
    return names, ["*/*"]  # skips training folders such as quickmt's eole-model/


def _languages(entry: CatalogEntry, side: int, vocabulary: set[str]) -> list[str]:
    """The languages to record; for a many-to-many entry, those of WIDE_LANGUAGES whose
    language token the model's vocabulary really has (families without tokens: all)."""
    codes: list[str] = []
    for pair in entry.pairs:
        if pair[side] != "*":
            codes.append(canonicalize(pair[side]))
            continue
        for code in WIDE_LANGUAGES:
            if entry.family not in ("nllb", "m2m100", "opus-mt-multi"):
                codes.append(code)
                continue
            try:
                if to_model_token(code, entry.family) in vocabulary:
                    codes.append(code)
            except ValueError:
                continue
    return list(dict.fromkeys(codes))


def _metadata(entry: CatalogEntry, model_dir: Path, revision: str) -> ModelMetadata:
    import json

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    try:
        vocabulary = set().union(*read_vocabularies(model_dir))
    except ModelDirError as exc:
        raise PullError(f"{entry.repo_id}: {exc}") from None
    sources, targets = _languages(entry, 0, vocabulary), _languages(entry, 1, vocabulary)
    tokens: dict[str, str] = {}
    if entry.family in ("nllb", "m2m100", "opus-mt-multi"):
        codes = targets if entry.family == "opus-mt-multi" else sources + targets
        tokens = {code: to_model_token(code, entry.family) for code in codes}
    converted = entry.source == "convert"
    return ModelMetadata(
        id=entry.repo_id.rsplit("/", 1)[-1],
        family=entry.family,
        source_languages=sources,
        target_languages=targets,
        tier=entry.tier,
        revision=revision,
        demo=False,
        ctranslate2_version=ctranslate2.__version__ if converted else None,
        add_source_eos=not config.get("add_source_eos", False),
        language_tokens=tokens,
        description=entry.notes,
        license=entry.license,
        repo_id=entry.repo_id,
        converter=f"ctranslate2 {ctranslate2.__version__} int8"
        if converted
        else _prebuilt(model_dir),
        files=digest_files(model_dir),
    )


def _prebuilt(model_dir: Path) -> str:
    """What a pre-converted model.bin says about the converter that wrote it."""
    from duta.models.modelbin import read_model_bin

    try:
        info = read_model_bin(model_dir / "model.bin")
    except ModelDirError as exc:
        raise PullError(f"{model_dir.name}: {exc}") from None
    return f"pre-converted (model.bin format {info.binary_version}, {info.spec_name})"


def _stage(entry: CatalogEntry, options: PullOptions, staging: Path) -> str:
    """Fills ``staging`` with the checked files; returns the revision pulled."""
    allow, ignore = _patterns(entry)
    source = options.source
    if source and not source.startswith(("http://", "https://")):
        return copy_local_repo(Path(source), entry.repo_id, allow, ignore, staging)
    from duta.models.hub import download_snapshot, fetch_snapshot, resolve_endpoint

    endpoint = resolve_endpoint(source)
    snapshot = fetch_snapshot(entry.repo_id, options.revision, endpoint)
    files = snapshot.select(allow, ignore)
    if not any(f.path.endswith(("model.bin", "pytorch_model.bin", ".safetensors")) for f in files):
        raise PullError(
            f"{entry.repo_id}@{snapshot.commit[:12]} has no model weights among "
            f"{', '.join(f.path for f in snapshot.files) or 'no files'}"
        )
    staging.mkdir(parents=True, exist_ok=True)  # only now: a refused pull leaves nothing
    download_snapshot(snapshot, files, staging, endpoint)
    try:
        check_remote(staging, files)
    except PullError:
        _discard(staging)
        raise
    return snapshot.commit


def _discard(staging: Path) -> None:
    """Removes a staged pull and huggingface_hub's cache beside it."""
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(staging.parent / f".{staging.name}.hf-cache", ignore_errors=True)


def _model_dir(entry: CatalogEntry, staging: Path) -> Path:
    """The directory that becomes the installed model (converting a checkpoint first)."""
    shutil.rmtree(staging / ".cache", ignore_errors=True)
    folder = staging / entry.subfolder if entry.subfolder else staging
    if entry.source != "convert":
        return folder
    from duta.models.convert import convert_checkpoint

    out = staging.parent / f"{staging.name}.converted"
    shutil.rmtree(out, ignore_errors=True)
    convert_checkpoint(folder, out)
    return out


def _check(model_dir: Path, entry: CatalogEntry) -> None:
    if not ctranslate2.contains_model(str(model_dir)):
        raise PullError(f"{entry.repo_id}: no CTranslate2 model.bin in what was pulled")
    layout = LAYOUTS[entry.family]
    try:
        layout.find_spm(model_dir, "source")
        layout.find_spm(model_dir, "target")
        open_model_dir(model_dir)
    except ModelDirError as exc:
        raise PullError(f"{entry.repo_id}: the pulled model is not usable: {exc}") from None


def installed(target: Path) -> ModelMetadata | None:
    """Metadata of the model installed at ``target``, or None."""
    try:
        return read_metadata(target) if (target / "model.bin").is_file() else None
    except ModelDirError:
        return None


def pull_model(spec: str, options: PullOptions) -> Path:
    """Pulls ``spec`` (a pair or a repository id) into ``options.root``; returns its directory.

    Raises:
        PullError: see :func:`choose_entry`; the hub, revision or download failed; a file does
            not match the hub's checksums; the pulled files are not a usable model.
    """
    entry, default_name = choose_entry(spec, options.accept_non_commercial)
    name = options.name or default_name
    root = options.root
    target = root / name
    current = installed(target)
    if current is not None and current.demo:
        print(f"{target}: replacing demo model {current.id} (random weights) with a real one")
        current = None
    elif current is not None and not options.force:
        if current.repo_id == entry.repo_id and options.revision in (None, current.revision):
            print(f"{target}: {entry.repo_id}@{current.revision[:12]} already installed")
            return target
        raise PullError(f"{target} already holds {current.id}; pass --force to replace it")
    if (
        target.exists()
        and installed(target) is None
        and any(target.iterdir())
        and not options.force
    ):
        raise PullError(f"{target} exists and is not a pulled model; pass --force to replace it")
    staging = root / STAGING / name
    revision = _stage(entry, options, staging)
    model_dir = _model_dir(entry, staging)
    try:
        write_metadata(model_dir, _metadata(entry, model_dir, revision))
        _check(model_dir, entry)
    except PullError:
        _discard(staging)
        raise
    _install(model_dir, target, root / STAGING)
    _discard(staging)
    print(f"installed {entry.repo_id}@{revision[:12]} ({entry.license}) in {target}")
    if not entry.commercial_use:
        print(f"  licence {entry.license}: NON-COMMERCIAL use only", file=sys.stderr)
    return target


def _install(model_dir: Path, target: Path, staging_root: Path) -> None:
    """Renames ``model_dir`` to ``target`` (same filesystem: atomic), moving an old one aside."""
    if target.exists():
        old = staging_root / f"{target.name}.replaced"
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
        model_dir.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        model_dir.rename(target)
    logger.info("installed model at %s (%s)", target, METADATA_FILE)
