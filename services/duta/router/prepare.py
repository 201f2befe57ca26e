"""Stage 1, prepare: detect each text's language, plan its route, segment it, mask terms.

A plain text whose sentences the detector is sure are in different languages is prepared as
one part per run of one language (`PreparedText.parts`), each routed from its own language.

Everything here is CPU work on one request (run off the event loop); the result is a list of
`PreparedText`, whose `sentences` are what the workers will see.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from duta.common.errors import UnsupportedLanguagePair
from duta.langid import Detection, Detector, LanguageRun, language_runs
from duta.langid.codes import UNDETERMINED, base_language, same_language
from duta.router import metrics
from duta.router.routing import RoutePlan, RoutingTable
from duta.router.tokens import token_limit
from duta.router.types import Request
from duta.text import Piece, normalize_for_model, segment, split_long
from duta.text.html import HtmlChunk, split_html, visible_text
from duta.text.terms import Renderings, TermMasker

# A text whose detected language no model serves is translated from the detector's next
# candidate that one serves, when the detection was below this confidence and the candidate is
# at least FALLBACK_MIN_CONFIDENCE; otherwise that text fails alone (Translation.error).
# The detector's confidences are calibrated probabilities (answers at >= 0.8 are right >= 95 %
# of the time; one word of a shared script rarely reaches 0.3), so a 5 % candidate is plausible.
FALLBACK_MAX_CONFIDENCE = 0.8
FALLBACK_MIN_CONFIDENCE = 0.05

# Plain texts up to MEMO_TEXT_CHARS keep their segmentation in a bounded memo (the last
# MEMO_TEXTS of them; ≤ 9 MB full of 200-character CJK texts): a text that comes again — a
# cache hit — is not segmented, normalised and split again (a sixth of a hit's time before).
MEMO_TEXT_CHARS = 200
MEMO_TEXTS = 2048


@dataclass
class PreparedText:
    """One input text, ready for the workers."""

    index: int
    detection: Detection | None
    source: str  # the language translated from (the detected one, or its stand-in)
    plan: RoutePlan | None  # None: passthrough
    pieces: list[Piece]
    escaped: list[bool]  # per piece: HTML text to escape again on output
    sentences: list[str]  # model input per translatable piece (may be split further)
    layout: list[tuple[int, int]]  # per translatable piece: (first sentence, count)
    renderings: list[Renderings] = field(default_factory=list)  # per sentence: masked terms
    error: UnsupportedLanguagePair | None = None  # its detected language has no route
    # A text that switches language: one PreparedText per run of one language, routed on its
    # own (this item then has no plan or sentences of its own).
    parts: list[PreparedText] = field(default_factory=list)


# A route plan, or why there is none (kept per request so each pair is planned once).
Planned = RoutePlan | UnsupportedLanguagePair


class Preparer:
    """Detection, planning (with the close-language table) and segmentation of a request."""

    def __init__(self, detector: Detector, table: RoutingTable, fallbacks: Mapping[str, str]):
        self.detector = detector
        self.table = table
        self.fallbacks = dict(fallbacks)

    def prepare(self, req: Request, estimate: Callable[[str], int]) -> list[PreparedText]:
        """Prepares every text; raises UnsupportedLanguagePair when none can be translated."""
        plans: dict[tuple[str, str], Planned] = {}
        masker = TermMasker(dict(req.terms)) if req.terms else _NO_TERMS
        documents = [split_html(text) for text in req.texts] if req.html else None
        detections = None
        if not req.source:
            visible = [visible_text(d) for d in documents] if documents else req.texts
            detections = self.detector.detect_many(visible, hints=req.hints or None)
        prepared = []
        for index, text in enumerate(req.texts):
            detection = detections[index] if detections else None
            if detection is not None:
                metrics.child(metrics.DETECTIONS, detection.language).inc()
            document = documents[index] if documents else None
            runs = self._runs(text, req) if detection is not None and document is None else []
            if len(runs) > 1:
                parts = [
                    self._one(plans, req, masker, estimate, index, run.text, None, run.detection)
                    for run in runs
                ]
                prepared.append(_mixed(index, detection, parts))
                continue
            item = self._one(plans, req, masker, estimate, index, text, document, detection)
            prepared.append(item)
        failed = [item.error for item in prepared if item.error is not None]
        if failed and len(failed) == len(prepared):
            raise failed[0]  # nothing to translate: the request fails as one
        return prepared

    def _one(
        self,
        plans: dict[tuple[str, str], Planned],
        req: Request,
        masker: TermMasker,
        estimate: Callable[[str], int],
        index: int,
        text: str,
        document: list[HtmlChunk] | None,
        detection: Detection | None,
    ) -> PreparedText:
        """One text (or one language run of a text) detected, routed and segmented."""
        source, plan, error = self._route(plans, req, detection)
        language = None if source == UNDETERMINED else source
        if plan is None:
            pieces, escaped = _pieces(text, document, language)
            return PreparedText(index, detection, source, None, pieces, escaped, [], [], [], error)
        if document is None and len(text) <= MEMO_TEXT_CHARS:
            kept = _plain(text, language, token_limit(plan), estimate)
            pieces, sentences, layout = list(kept[0]), list(kept[1]), list(kept[2])
            escaped = [False] * len(pieces)
        else:
            pieces, escaped = _pieces(text, document, language)
            sentences, layout = _model_sentences(pieces, token_limit(plan), estimate)
        masked = [masker.mask(sentence) for sentence in sentences]
        return PreparedText(
            index,
            detection,
            source,
            plan,
            pieces,
            escaped,
            [sentence for sentence, _ in masked],
            layout,
            [renderings for _, renderings in masked],
            error=error,
        )

    def _runs(self, text: str, req: Request) -> list[LanguageRun]:
        """The language runs of a plain text of several sentences (one run: not mixed)."""
        if sum(piece.translate for piece in segment(text)) < 2:
            return []
        return language_runs(text, self.detector.detect_sentences(text, req.hints or None))

    def _route(
        self, plans: dict[tuple[str, str], Planned], req: Request, detection: Detection | None
    ) -> tuple[str, RoutePlan | None, UnsupportedLanguagePair | None]:
        """(language translated from, plan or None for passthrough, error of this text)."""
        source = req.source or (detection.language if detection else UNDETERMINED)
        if source == UNDETERMINED or passthrough(source, req.target):
            return source, None, None
        try:
            return source, self._plan(plans, source, req), None
        except UnsupportedLanguagePair as exc:
            relative = self._relative(plans, source, req)
            if relative is not None:
                return relative
            if req.source:
                raise  # the caller's own pair: the whole request is wrong
            assert detection is not None
            candidate, plan = self._routable_candidate(plans, detection, req)
            if candidate:
                return candidate, plan, None
            return detection.language, None, exc  # this text fails alone

    def _relative(
        self, plans: dict[tuple[str, str], Planned], source: str, req: Request
    ) -> tuple[str, RoutePlan | None, None] | None:
        """The close-language table: `yue` with no model of its own read as `zh-Hant`…"""
        relative = self.fallbacks.get(source) or self.fallbacks.get(base_language(source))
        if not relative or same_language(relative, source):
            return None
        if passthrough(relative, req.target):
            return relative, None, None
        try:
            return relative, self._plan(plans, relative, req), None
        except UnsupportedLanguagePair:
            return None

    def _routable_candidate(
        self, plans: dict[tuple[str, str], Planned], detection: Detection, req: Request
    ) -> tuple[str, RoutePlan | None]:
        """When no model serves the detected language and the detector was unsure: the next
        candidate that can be served (or is the target itself), as ("", None) when none.

        "Pizza" read as Italian (0.15) with English second (0.07) is translated from English
        rather than failed; the answer's `source_language` says which language was used.
        """
        if detection.confidence >= FALLBACK_MAX_CONFIDENCE:
            return "", None
        for candidate in detection.candidates[1:]:
            if candidate.confidence < FALLBACK_MIN_CONFIDENCE:
                break
            if passthrough(candidate.language, req.target):
                return candidate.language, None
            try:
                return candidate.language, self._plan(plans, candidate.language, req)
            except UnsupportedLanguagePair:
                continue
        return "", None

    def _plan(self, plans: dict[tuple[str, str], Planned], source: str, req: Request) -> RoutePlan:
        """The request's plan for source → target, worked out (or found missing) once."""
        key = (source, req.target)
        if key not in plans:
            try:
                plans[key] = self.table.plan(source, req.target, req.tier, req.pivot)
            except UnsupportedLanguagePair as exc:
                plans[key] = exc
        planned = plans[key]
        if isinstance(planned, UnsupportedLanguagePair):
            raise planned
        return planned


def _mixed(index: int, detection: Detection | None, parts: list[PreparedText]) -> PreparedText:
    """The text of several language runs; it fails alone if one of its runs cannot be routed."""
    error = next((part.error for part in parts if part.error is not None), None)
    item = PreparedText(index, detection, parts[0].source, None, [], [], [], [], error=error)
    item.parts = parts
    return item


def _model_sentences(
    pieces: list[Piece], limit: int, estimate: Callable[[str], int]
) -> tuple[list[str], list[tuple[int, int]]]:
    """The model's input (normalised, split to fit `limit` tokens) and, per translatable
    piece, (its first sentence, how many)."""
    sentences: list[str] = []
    layout = []
    for piece in pieces:
        if piece.translate:
            parts = split_long(normalize_for_model(piece.text), limit, estimate)
            layout.append((len(sentences), len(parts)))
            sentences.extend(parts)
    return sentences, layout


@functools.lru_cache(maxsize=MEMO_TEXTS)
def _plain(
    text: str, language: str | None, limit: int, estimate: Callable[[str], int]
) -> tuple[tuple[Piece, ...], tuple[str, ...], tuple[tuple[int, int], ...]]:
    """A plain text's pieces, model sentences and layout, kept for when it comes again."""
    pieces = segment(text, language)
    sentences, layout = _model_sentences(pieces, limit, estimate)
    return tuple(pieces), tuple(sentences), tuple(layout)


def _pieces(
    text: str, document: list[HtmlChunk] | None, language: str | None
) -> tuple[list[Piece], list[bool]]:
    """Segments plain text, or the text nodes of an HTML document (markup kept verbatim)."""
    if document is None:
        pieces = segment(text, language)
        return pieces, [False] * len(pieces)
    pieces, escaped = [], []
    for chunk in document:
        if chunk.text is None:
            pieces.append(Piece(chunk.raw, False))
            escaped.append(False)
        else:
            node = segment(chunk.text, language)
            pieces.extend(node)
            escaped.extend([True] * len(node))
    return pieces, escaped


_NO_TERMS = TermMasker({})


@functools.lru_cache(maxsize=4096)
def passthrough(source: str, target: str) -> bool:
    """Same language: nothing for a model to do (Chinese scripts are converted by OpenCC)."""
    return same_language(source, target) or base_language(source) == base_language(target) == "zh"
