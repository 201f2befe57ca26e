"""Stage 5, assemble: one text's sentences back into its answer (the wire message).

Terms are restored, the pieces of split sentences joined, HTML escaped again, Chinese
variants converted for passthrough, and the text's route, models and confidence summarised.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from duta.langid.codes import base_language
from duta.router.prepare import PreparedText
from duta.router.routing import script_differs
from duta.router.types import ROUTE_RANK, Outcome, Request, Route
from duta.text import to_chinese_variant
from duta.text.terms import TermMasker
from duta.v1 import translator_pb2 as pb

_NO_SPACE_TARGETS = ("zh", "ja", "yue", "th", "lo", "km", "my")


def assemble(
    item: PreparedText, outcomes: Mapping[int, list[Outcome]], req: Request
) -> pb.Translation:
    """The Translation of one prepared text from its sentences' outcomes (by id() of the text,
    or of each of its parts when it switches language)."""
    if item.parts and item.error is None:
        translation = _parts(item, outcomes, req)
    else:
        translation = _single(item, outcomes.get(id(item), []), req)
    if item.detection is not None:
        translation.detected_language = item.detection.language
        translation.detection_confidence = item.detection.confidence
        found = [part.source for part in item.parts] or [item.detection.language]
        translation.detected_languages[:] = list(dict.fromkeys(found))
    return translation


def _parts(
    item: PreparedText, outcomes: Mapping[int, list[Outcome]], req: Request
) -> pb.Translation:
    """A text that switches language: its runs' translations, joined and summarised."""
    parts = [_single(part, outcomes.get(id(part), []), req) for part in item.parts]
    translation = pb.Translation(source_language=item.source, text="".join(p.text for p in parts))
    translated = [p for p in parts if p.sentence_count]
    translation.models[:] = list(dict.fromkeys(m for p in parts for m in p.models))
    routes = [Route(p.route) for p in parts]
    translation.route = max(routes, key=ROUTE_RANK.__getitem__).value  # type: ignore[assignment]
    languages = (lang for p in parts for lang in p.route_languages)
    translation.route_languages[:] = list(dict.fromkeys(languages))
    translation.sentence_count = sum(p.sentence_count for p in parts)
    translation.cached_sentence_count = sum(p.cached_sentence_count for p in parts)
    translation.cached = bool(translated) and all(p.cached for p in translated)
    translation.confidence = min((p.confidence for p in translated), default=0.0)
    translation.demo_output = any(p.demo_output for p in parts)
    for part in parts:
        translation.sentences.extend(part.sentences)
    return translation


def _single(item: PreparedText, outcomes: list[Outcome], req: Request) -> pb.Translation:
    """The Translation of one text (or one language run of a text)."""
    translation = pb.Translation(source_language=item.source)
    if item.error is not None:
        translation.error.code = item.error.code.value[0]
        translation.error.message = str(item.error)
        translation.error.status.CopyFrom(item.error.to_status())
        return translation
    translation.text = _text(item, outcomes, req)
    if item.plan is None or not item.sentences:
        translation.route = pb.ROUTE_PASSTHROUGH
        translation.route_languages[:] = [item.source, req.target]
        return translation
    translation.models[:] = list(dict.fromkeys(m for o in outcomes for m in o.models))
    route = max((o.route for o in outcomes), key=ROUTE_RANK.__getitem__)
    translation.route = route.value  # type: ignore[assignment]
    translation.route_languages[:] = item.plan.languages
    translation.sentence_count = len(outcomes)
    translation.cached_sentence_count = sum(o.cached for o in outcomes)
    translation.cached = all(o.cached for o in outcomes)
    translation.confidence = min(o.confidence for o in outcomes)
    translation.demo_output = any(o.demo for o in outcomes)
    if req.return_sentences:
        for outcome in outcomes:
            translation.sentences.add(
                source=outcome.source,
                text=outcome.text,
                cached=outcome.cached,
                confidence=outcome.confidence,
                models=outcome.models,
                route=Route(outcome.route).value,
                source_language=item.source,
            )
    return translation


def _text(item: PreparedText, outcomes: list[Outcome], req: Request) -> str:
    convert = (
        item.plan is None
        and base_language(item.source) == "zh"
        and script_differs(req.target, item.source)
    )
    parts, layout = [], iter(item.layout)
    for piece, escaped in zip(item.pieces, item.escaped, strict=True):
        if item.plan is not None and piece.translate:
            first, count = next(layout)
            text = _join(
                [
                    TermMasker.restore(o.text, item.renderings[i])
                    for i, o in enumerate(outcomes[first : first + count], start=first)
                ],
                req.target,
            )
        elif convert and (escaped or not req.html):
            text = to_chinese_variant(piece.text, req.target)
        else:
            text = piece.text
        parts.append(html.escape(text, quote=False) if escaped else text)
    return "".join(parts)


def _join(parts: list[str], target: str) -> str:
    """Joins the translations of the pieces of one long sentence."""
    separator = "" if target.split("-")[0] in _NO_SPACE_TARGETS else " "
    return separator.join(p.strip() for p in parts)
