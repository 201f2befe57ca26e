"""Catalog of recommended real models for Asian language pairs (data only; see MODELS.md).

Pulling them is a separate step; none can be downloaded without access to the model hub.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from duta.models._codes import to_model_token
from duta.models.metadata import Family, Tier

Source = Literal["ctranslate2", "convert"]
# Families whose models name each language by a token (and so serve only those they have).
_TOKEN_FAMILIES = ("nllb", "m2m100", "opus-mt-multi")


class CatalogEntry(BaseModel):
    """One recommended model.

    Attributes:
        repo_id: Model hub repository id.
        family: Token conventions and file layout (see ``duta.models.families``).
        pairs: (source, target) BCP-47 pairs it serves; ``("*", "*")`` for many-to-many.
        tier: "small" per-pair model or "large" multilingual escalation model.
        license: Licence of the weights.
        commercial_use: False when the licence forbids commercial use.
        size: Download size as published.
        source: "ctranslate2" (pre-converted) or "convert" (OPUS-MT checkpoint to convert).
        subfolder: Folder inside the repository that holds the model, if any.
        notes: What an operator must know before choosing it.
    """

    model_config = ConfigDict(frozen=True)

    repo_id: str
    family: Family
    pairs: tuple[tuple[str, str], ...]
    tier: Tier = "small"
    license: str
    commercial_use: bool = True
    size: str = ""
    source: Source = "ctranslate2"
    subfolder: str = ""
    notes: str = ""


_QUICKMT_PAIRS = (
    ("zh", "en"), ("en", "zh"), ("ja", "en"), ("en", "ja"), ("ko", "en"), ("en", "ko"),
    ("vi", "en"), ("en", "vi"), ("th", "en"), ("en", "th"), ("id", "en"), ("en", "id"),
    ("bn", "en"), ("en", "bn"), ("ur", "en"), ("en", "ur"), ("fa", "en"), ("en", "fa"),
    ("hi", "en"),
)  # fmt: skip
_QUICKMT_NOTES = {
    ("ja", "en"): "FLORES-200 chrF 58.6 / COMET 87.8 (NLLB-600M 53.4, opus-mt-ja-en 49.2)",
    ("zh", "en"): "FLORES-200 chrF 58.4",
}
_OPUS_CONVERT = ("zh-en", "en-zh", "ja-en", "ko-en", "id-en", "en-id", "tl-en", "en-tl")

TRAPS: dict[str, str] = {
    "Helsinki-NLP/opus-mt-en-jap": (
        "not Japanese: 'jap' is another language (bible data only); for en→ja use "
        "quickmt/quickmt-en-ja or jkawamoto/fugumt-en-ja-ct2"
    ),
}


def _quickmt() -> list[CatalogEntry]:
    return [
        CatalogEntry(
            repo_id=f"quickmt/quickmt-{src}-{tgt}",
            family="quickmt",
            pairs=((src, tgt),),
            license="CC-BY-4.0",
            size="~200M params, model.bin 200-400 MB",
            notes=_QUICKMT_NOTES.get((src, tgt), "skip the eole-model/ folder when pulling"),
        )
        for src, tgt in _QUICKMT_PAIRS
    ]


def _opus_mt() -> list[CatalogEntry]:
    return _opus_mt_pre_converted() + _opus_mt_converted()


def _opus_mt_pre_converted() -> list[CatalogEntry]:
    pre_converted = [
        CatalogEntry(
            repo_id="gaudi/opus-mt-zh-en-ctranslate2",
            family="opus-mt",
            pairs=(("zh-Hans", "en"), ("zh-Hant", "en")),
            license="CC-BY-4.0",
            size="~150 MB",
        ),
        CatalogEntry(
            repo_id="gaudi/opus-mt-en-zh-ctranslate2",
            family="opus-mt-multi",
            pairs=(("en", "zh-Hans"), ("en", "zh-Hant"), ("en", "yue")),
            license="Apache-2.0",
            size="~150 MB",
            notes="target chosen by >>cmn_Hans<<, >>cmn_Hant<<, >>yue_Hant<<; yue output is poor",
        ),
    ]
    pre_converted += [
        CatalogEntry(
            repo_id=f"gaudi/opus-mt-en-{tgt}-ctranslate2",
            family="opus-mt",
            pairs=(("en", tgt),),
            license="upstream Helsinki-NLP licence (see model card)",
            size="~150 MB",
            notes="if its vocabulary has >>xxx<< tokens it is multi-target: pull detects it",
        )
        for tgt in ("vi", "id")
    ]
    return pre_converted


def _opus_mt_converted() -> list[CatalogEntry]:
    converted = [
        CatalogEntry(
            repo_id=f"Helsinki-NLP/opus-mt-{pair}",
            family="opus-mt",
            pairs=(tuple(pair.split("-")),),  # type: ignore[arg-type]
            license="upstream Helsinki-NLP licence (see model card)",
            source="convert",
            notes="converted to int8 with ct2-transformers-converter on pull",
        )
        for pair in _OPUS_CONVERT
    ]
    converted += [
        CatalogEntry(
            repo_id="Helsinki-NLP/opus-mt-mul-en",
            family="opus-mt",
            pairs=(("*", "en"),),
            license="upstream Helsinki-NLP licence (see model card)",
            source="convert",
            notes="many languages into English; weaker than per-pair models",
        ),
        CatalogEntry(
            repo_id="Helsinki-NLP/opus-mt-en-mul",
            family="opus-mt-multi",
            pairs=(("en", "*"),),
            license="upstream Helsinki-NLP licence (see model card)",
            source="convert",
            notes="English into many languages, chosen by a >>xxx<< token",
        ),
    ]
    converted += [
        CatalogEntry(
            repo_id=f"Helsinki-NLP/opus-mt-tc-big-{src}-{tgt}",
            family="opus-mt",
            pairs=((src, tgt),),
            license="upstream Helsinki-NLP licence (see model card)",
            source="convert",
            notes="transformer-big: slower than the base models",
        )
        for src, tgt in (("en", "ko"), ("ko", "en"))
    ]
    return converted


def _others() -> list[CatalogEntry]:
    return [
        CatalogEntry(
            repo_id="jkawamoto/fugumt-en-ja-ct2",
            family="opus-mt",
            pairs=(("en", "ja"),),
            license="CC-BY-SA-4.0",
            notes="Marian model; chrF 0.385 vs 0.268 for opus-mt-tc-base-en-ja. "
            "Not Helsinki-NLP/opus-mt-en-jap: " + TRAPS["Helsinki-NLP/opus-mt-en-jap"],
        ),
        CatalogEntry(
            repo_id="skywood/nllb-200-distilled-600M-ct2-int8",
            family="nllb",
            pairs=(("*", "*"),),
            tier="large",
            license="CC-BY-NC-4.0",
            commercial_use=False,
            size="model.bin 623 MB",
            notes="NON-COMMERCIAL licence. The escalation tier; the only route to Cantonese "
            "(yue_Hant), also zho_Hant, zsm_Latn (Malay), tgl_Latn",
        ),
        CatalogEntry(
            repo_id="Torurzr/screentranslator-mt",
            family="m2m100",
            pairs=(("*", "*"),),
            tier="large",
            license="MIT",
            size="~474 MB",
            subfolder="m2m100-418M-int8",
            notes="commercial-friendly large tier; no yue, no Hans/Hant split; weaker than NLLB",
        ),
    ]


CATALOG: tuple[CatalogEntry, ...] = tuple(_quickmt() + _opus_mt() + _others())


def find_entries(source: str | None = None, target: str | None = None) -> list[CatalogEntry]:
    """Entries serving ``source`` → ``target`` (base language match; None matches anything).

    A many-to-many side ("*") of a family that names languages by token (NLLB, M2M100,
    multi-target OPUS-MT) matches only the languages the family has a token for: M2M100 has
    none for Cantonese, so ``zh → yue`` is NLLB's alone.
    """

    def matches(code: str | None, entry_code: str, family: str) -> bool:
        if code is None:
            return True
        if entry_code != "*":
            return entry_code.split("-")[0] == code.split("-")[0]
        if family not in _TOKEN_FAMILIES:
            return True
        try:
            to_model_token(code, family)
        except ValueError:
            return False
        return True

    return [
        entry
        for entry in CATALOG
        if any(
            matches(source, s, entry.family) and matches(target, t, entry.family)
            for s, t in entry.pairs
        )
    ]


# Languages a many-to-many ("*") model is installed for: the Asian languages Duta routes, and
# English. A family without a token for one of them (M2M100 has no yue) simply leaves it out.
WIDE_LANGUAGES: tuple[str, ...] = (
    "en", "zh-Hans", "zh-Hant", "yue", "ja", "ko", "vi", "th", "id", "ms", "tl", "hi", "bn",
    "ur", "fa", "ta", "ne", "mr", "my", "km", "lo",
)  # fmt: skip


def recommended(source: str, target: str) -> list[CatalogEntry]:
    """Entries for ``source`` → ``target``, best first.

    An entry naming the pair beats a many-to-many one, a small model beats the large tier,
    a pre-converted model beats one that needs converting; otherwise catalog order (the
    catalog lists the best published quality first).
    """

    def rank(entry: CatalogEntry) -> tuple[int, int, int]:
        exact = any("*" not in (s, t) for s, t in entry.pairs)
        return (not exact, entry.tier != "small", entry.source != "ctranslate2")

    return sorted(find_entries(source, target), key=rank)
