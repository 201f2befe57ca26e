"""ListLanguages: what the cluster serves, language by language, with CLDR display names."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from babel import Locale, UnknownLocaleError

from duta.router.routing import RoutingTable, match_language
from duta.v1 import translator_pb2 as pb


@dataclass
class _Entry:
    source: bool = False
    target: bool = False
    models: dict[str, None] = field(default_factory=dict)
    tiers: dict[str, None] = field(default_factory=dict)
    served_as: str = ""


@functools.lru_cache(maxsize=4096)
def display_names(code: str, locale: str) -> tuple[str, str]:
    """(name in `locale`, name in itself) from CLDR; the code itself when CLDR has none."""
    try:
        language = Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return code, code
    try:
        shown = language.get_display_name(Locale.parse(locale.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        shown = language.get_display_name("en")
    return shown or code, language.get_display_name() or code


def languages(
    table: RoutingTable, fallbacks: Mapping[str, str], locale: str = "en"
) -> list[pb.Language]:
    """One entry per language a known model reads or writes, plus the close-language table's
    languages whose relative is read (`served_as`)."""
    entries: dict[str, _Entry] = {}
    for pool in table.pools:
        if pool.info is None:
            continue
        for code, is_source in [(c, True) for c in pool.info.source_languages] + [
            (c, False) for c in pool.info.target_languages
        ]:
            entry = entries.setdefault(code, _Entry())
            entry.source |= is_source
            entry.target |= not is_source
            entry.models[pool.info.model_id] = None
            entry.tiers[pool.info.tier or "small"] = None
    sources = [code for code, entry in entries.items() if entry.source]
    for code, relative in sorted(fallbacks.items()):
        match = match_language(relative, sources)
        served = entries[match[0]] if match else None
        if code not in entries and served is not None:
            entries[code] = _Entry(source=True, models=dict(served.models), served_as=relative)
            entries[code].tiers = dict(served.tiers)
    out = []
    for code in sorted(entries):
        entry = entries[code]
        shown, native = display_names(code, locale or "en")
        out.append(
            pb.Language(
                code=code,
                display_name=shown,
                native_name=native,
                source=entry.source,
                target=entry.target,
                models=list(entry.models),
                tiers=list(entry.tiers),
                served_as=entry.served_as,
            )
        )
    return out


def list_languages(
    table: RoutingTable,
    fallbacks: Mapping[str, str],
    *,
    source: str = "",
    target: str = "",
    locale: str = "en",
    include_pairs: bool = False,
) -> pb.ListLanguagesResponse:
    """The ListLanguages answer: languages and models always; pairs when asked for, filtered,
    or when no multilingual (large) tier makes their number N²."""
    response = pb.ListLanguagesResponse(languages=languages(table, fallbacks, locale))
    multilingual = any(p.info and p.info.tier == "large" for p in table.pools)
    if include_pairs or source or target or not multilingual:
        for plan in table.servable_pairs(source, target):
            pools = [hop.pool for hop in plan.hops]
            response.pairs.add(
                source_language=plan.source,
                target_language=plan.target,
                route=plan.kind.value,
                models=plan.models,
                tier=pools[0].info.tier if pools[0].info else "small",
                demo=any(p.info and p.info.demo for p in pools),
                available=all(p.available for p in pools),
            )
    for pool in table.pools:
        if pool.info:
            response.models.add(
                id=pool.info.model_id,
                revision=pool.info.revision,
                tier=pool.info.tier,
                source_languages=pool.info.source_languages,
                target_languages=pool.info.target_languages,
                demo=pool.info.demo,
                available=pool.available,
            )
    return response
