"""Translating texts: detect, segment, route, cache, call workers, reassemble.

The servicer validates the request and maps errors; everything between lives here.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import math
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from duta.cache import Cache, cache_key
from duta.common.errors import DeadlineExceeded, TextTooLong, UnsupportedLanguagePair
from duta.langid import Detection, Detector
from duta.langid.codes import UNDETERMINED, base_language, same_language
from duta.router import metrics
from duta.router.pools import WorkerResult
from duta.router.routing import Hop, RoutePlan, RoutingTable, script_differs
from duta.router.settings import RouterSettings
from duta.text import Piece, normalize_for_model, segment, split_long, to_chinese_variant
from duta.text.html import HtmlChunk, split_html, visible_text
from duta.text.terms import Renderings, TermMasker
from duta.v1 import translator_pb2 as pb

logger = logging.getLogger(__name__)

_PLACEHOLDERS = re.compile(r"\[\s*\d{1,3}\s*\]")

# Worker token limits are in model tokens; the router has no tokenizer, so it estimates
# conservatively (≥ one token per CJK character, per 3 bytes of other text).
TOKENS_PER_BYTE = 1 / 3


# A text whose detected language no model serves is translated from the detector's next
# candidate that one serves, when the detection was below this confidence and the candidate is
# at least FALLBACK_MIN_CONFIDENCE; otherwise that text fails alone (Translation.error).
FALLBACK_MAX_CONFIDENCE = 0.8
FALLBACK_MIN_CONFIDENCE = 0.1


def _model_bytes(sentence: str) -> int:
    """UTF-8 length after NFKC, the normalisation SentencePiece applies (ﷺ becomes 18 letters)."""
    if sentence.isascii():
        return len(sentence)
    return len(unicodedata.normalize("NFKC", sentence).encode("utf-8"))


def estimate_tokens(sentence: str) -> int:
    """A likely estimate of a sentence's model token count (a third of its NFKC bytes)."""
    return math.ceil(_model_bytes(sentence) * TOKENS_PER_BYTE) + 1


def worst_case_tokens(sentence: str) -> int:
    """A true upper bound: a byte-fallback tokeniser spends at most one token per UTF-8 byte
    of the NFKC-normalised text, plus the end-of-sentence and language tokens."""
    return _model_bytes(sentence) + 2


@dataclass(frozen=True)
class Request:
    """A validated Translate request, codes canonical."""

    texts: Sequence[str]
    source: str  # "" = detect per text
    target: str
    beam_size: int
    use_cache: bool
    hints: tuple[str, ...]
    tier: int
    pivot: bool
    escalation_threshold: float
    return_sentences: bool
    html: bool = False
    terms: tuple[tuple[str, str], ...] = ()  # glossary and do-not-translate: source → output
    deadline: float | None = None  # time.monotonic() by which the caller wants an answer


@dataclass
class Outcome:
    """The translation of one sentence along its route."""

    text: str
    source: str = ""  # the sentence as the first model saw it
    confidence: float = 1.0
    cached: bool = True
    models: list[str] = field(default_factory=list)
    route: int = pb.ROUTE_DIRECT
    demo: bool = False


@dataclass
class _Text:
    index: int
    detection: Detection | None
    source: str
    plan: RoutePlan | None  # None: passthrough
    pieces: list[Piece]
    escaped: list[bool]  # per piece: HTML text to escape again on output
    sentences: list[str]  # model input per translatable piece (may be split further)
    layout: list[tuple[int, int]]  # per translatable piece: (first sentence, count)
    renderings: list[Renderings] = field(default_factory=list)  # per sentence: masked terms
    error: UnsupportedLanguagePair | None = None  # its detected language has no route


# A route plan, or why there is none (kept per request so each pair is planned once).
_Planned = RoutePlan | UnsupportedLanguagePair


class Pipeline:
    """Turns a validated Request into pb.Translation messages."""

    def __init__(
        self, settings: RouterSettings, detector: Detector, table: RoutingTable, cache: Cache
    ) -> None:
        self.settings = settings
        self.detector = detector
        self.table = table
        self.cache = cache

    async def translate(self, req: Request) -> list[pb.Translation]:
        """Translates every text of the request; raises DutaError subclasses on failure."""
        try:
            return await self._translate(req, estimate_tokens)
        except TextTooLong:
            # A sentence had more model tokens than estimated (rare characters fall back to
            # bytes): split by the worst case and go again; what was done is in the cache.
            logger.info("a sentence was over a worker's token limit; splitting by the worst case")
            return await self._translate(req, worst_case_tokens)

    async def _translate(
        self, req: Request, estimate: Callable[[str], int]
    ) -> list[pb.Translation]:
        texts = await asyncio.to_thread(self._prepare, req, estimate)
        by_plan: dict[int, list[_Text]] = {}
        for item in texts:
            if item.plan is not None and item.sentences:
                by_plan.setdefault(id(item.plan), []).append(item)
        outcomes: dict[int, list[Outcome]] = {}
        groups = list(by_plan.values())
        results = await asyncio.gather(*(self._run_group(group, req) for group in groups))
        for result in results:
            outcomes.update(result)
        translations = [self._assemble(item, outcomes.get(item.index, []), req) for item in texts]
        for translation in translations:
            route = "FAILED" if translation.HasField("error") else pb.Route.Name(translation.route)
            metrics.TEXTS.labels(route).inc()
        return translations

    def _prepare(self, req: Request, estimate: Callable[[str], int]) -> list[_Text]:
        plans: dict[tuple[str, str], _Planned] = {}
        masker = TermMasker(dict(req.terms))
        documents = [split_html(text) for text in req.texts] if req.html else None
        detections = None
        if not req.source:
            visible = [visible_text(d) for d in documents] if documents else req.texts
            detections = self.detector.detect_many(visible, hints=req.hints or None)
        prepared = []
        for index, text in enumerate(req.texts):
            detection = detections[index] if detections else None
            if detection is not None:
                metrics.DETECTIONS.labels(detection.language).inc()
            source = req.source or (detection.language if detection else UNDETERMINED)
            plan, error = None, None
            if source != UNDETERMINED and not _passthrough(source, req.target):
                try:
                    plan = self._plan(plans, source, req)
                except UnsupportedLanguagePair as exc:
                    if req.source:
                        raise  # the caller's own pair: the whole request is wrong
                    assert detection is not None
                    source, plan = self._routable_candidate(plans, detection, req)
                    if not source:
                        source, error = detection.language, exc  # this text fails alone
            language = None if source == UNDETERMINED else source
            pieces, escaped = _pieces(text, documents[index] if documents else None, language)
            item = _Text(index, detection, source, plan, pieces, escaped, [], [], error=error)
            if plan is not None:
                self._split_sentences(item, plan, masker, estimate)
            prepared.append(item)
        failed = [item.error for item in prepared if item.error is not None]
        if failed and len(failed) == len(prepared):
            raise failed[0]  # nothing to translate: the request fails as one
        return prepared

    def _routable_candidate(
        self, plans: dict[tuple[str, str], _Planned], detection: Detection, req: Request
    ) -> tuple[str, RoutePlan | None]:
        """When no model serves the detected language and the detector was unsure: the next
        candidate that can be served (or is the target itself), as ("", None) when none.

        "Cancel" read as Italian (0.57) with English second (0.27) is translated from English
        rather than failed; the answer's `source_language` says which language was used.
        """
        if detection.confidence >= FALLBACK_MAX_CONFIDENCE:
            return "", None
        for candidate in detection.candidates[1:]:
            if candidate.confidence < FALLBACK_MIN_CONFIDENCE:
                break
            if _passthrough(candidate.language, req.target):
                return candidate.language, None
            try:
                return candidate.language, self._plan(plans, candidate.language, req)
            except UnsupportedLanguagePair:
                continue
        return "", None

    def _plan(self, plans: dict[tuple[str, str], _Planned], source: str, req: Request) -> RoutePlan:
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

    def _split_sentences(
        self, item: _Text, plan: RoutePlan, masker: TermMasker, estimate: Callable[[str], int]
    ) -> None:
        limit = self._token_limit(plan)
        for piece in item.pieces:
            if piece.translate:
                parts = split_long(normalize_for_model(piece.text), limit, estimate)
                item.layout.append((len(item.sentences), len(parts)))
                for part in parts:
                    masked, renderings = masker.mask(part)
                    item.sentences.append(masked)
                    item.renderings.append(renderings)

    def _timeout(self, req: Request) -> float:
        """Seconds a worker call may take: the caller's remaining deadline, capped."""
        timeout = self.settings.worker_timeout_seconds
        if req.deadline is not None:
            timeout = min(timeout, req.deadline - time.monotonic())
        if timeout <= 0:
            raise DeadlineExceeded("the call's deadline passed before the workers were asked")
        return timeout

    def _token_limit(self, plan: RoutePlan) -> int:
        limits = [h.pool.info.limits.max_input_tokens for h in plan.hops if h.pool.info]
        return max(8, min(limits, default=256))

    async def _run_group(self, group: list[_Text], req: Request) -> dict[int, list[Outcome]]:
        plan = group[0].plan
        assert plan is not None
        flat = [s for item in group for s in item.sentences]
        results = await self.run_plan(plan, flat, req)
        out, start = {}, 0
        for item in group:
            out[item.index] = results[start : start + len(item.sentences)]
            start += len(item.sentences)
        return out

    async def run_plan(self, plan: RoutePlan, sentences: list[str], req: Request) -> list[Outcome]:
        """Runs sentences through every hop of a plan, the cache in front of each hop."""
        current = sentences
        if plan.convert_source:
            current = [to_chinese_variant(s, plan.hops[0].source) for s in current]
        outcomes = [Outcome(text="", source=s, route=plan.kind) for s in current]
        literal = [i for i, s in enumerate(current) if not _has_words(s)]
        for i in literal:  # nothing left for a model, e.g. a sentence that is one glossary term
            outcomes[i] = Outcome(text=current[i], source=current[i], cached=False)
            outcomes[i].route = pb.ROUTE_PASSTHROUGH
        todo = [i for i in range(len(current)) if i not in set(literal)]
        active = [outcomes[i] for i in todo]
        current = [current[i] for i in todo]
        for hop in plan.hops if current else ():
            results = await self._run_hop(hop, current, req)
            for outcome, (result, cached) in zip(active, results, strict=True):
                outcome.text = result.text
                outcome.confidence = min(outcome.confidence, math.exp(min(result.score, 0.0)))
                outcome.cached = outcome.cached and cached
                outcome.models.append(hop.pool.name)
                outcome.demo = outcome.demo or result.demo
            current = [o.text for o in active]
        if plan.convert_target:
            for outcome in active:
                outcome.text = to_chinese_variant(outcome.text, plan.target)
        await self._escalate(plan, sentences, outcomes, req)
        return outcomes

    async def _run_hop(
        self, hop: Hop, sentences: list[str], req: Request
    ) -> list[tuple[WorkerResult, bool]]:
        model = hop.pool.model_ref
        keys = [cache_key(s, hop.source, hop.target, (model,), req.beam_size) for s in sentences]
        cached = await self.cache.get_many(keys) if req.use_cache else [None] * len(keys)
        found: dict[str, WorkerResult] = {}
        for key, value in zip(keys, cached, strict=True):
            if value is not None:
                found[key] = _decode(value, model)
        missing = list(
            dict.fromkeys(s for s, k in zip(sentences, keys, strict=True) if k not in found)
        )
        fresh: dict[str, WorkerResult] = {}
        if missing:
            results = await hop.pool.translate(
                missing, hop.source, hop.target, req.beam_size, self._timeout(req)
            )
            fresh = dict(zip(missing, results, strict=True))
            if req.use_cache:
                await self.cache.set_many(
                    {
                        cache_key(s, hop.source, hop.target, (model,), req.beam_size): _encode(r)
                        for s, r in fresh.items()
                    }
                )
        hits = len(sentences) - sum(1 for k in keys if k not in found)
        metrics.SENTENCES.labels(hop.pool.name, "hit").inc(hits)
        metrics.SENTENCES.labels(hop.pool.name, "miss").inc(len(sentences) - hits)
        return [
            (found[k], True) if k in found else (fresh[s], False)
            for s, k in zip(sentences, keys, strict=True)
        ]

    async def _escalate(
        self, plan: RoutePlan, sentences: list[str], outcomes: list[Outcome], req: Request
    ) -> None:
        threshold = req.escalation_threshold or self.settings.escalation_threshold
        if threshold <= 0 or req.tier == pb.TIER_SMALL:
            return
        hop = self.table.escalation(plan)
        low = [
            i
            for i, o in enumerate(outcomes)
            if o.confidence < threshold and o.route != pb.ROUTE_PASSTHROUGH
        ]
        if hop is None or not low:
            return
        inputs = [sentences[i] for i in low]
        if script_differs(plan.source, hop.source):
            inputs = [to_chinese_variant(s, hop.source) for s in inputs]
        results = await self._run_hop(hop, inputs, req)
        convert = script_differs(plan.target, hop.target)
        for i, text, (result, cached) in zip(low, inputs, results, strict=True):
            outcomes[i] = Outcome(
                text=to_chinese_variant(result.text, plan.target) if convert else result.text,
                source=text,
                confidence=math.exp(min(result.score, 0.0)),
                cached=cached,
                models=[*outcomes[i].models, hop.pool.name],
                route=pb.ROUTE_ESCALATED,
                demo=result.demo,
            )

    def _assemble(self, item: _Text, outcomes: list[Outcome], req: Request) -> pb.Translation:
        translation = pb.Translation(source_language=item.source)
        if item.detection is not None:
            translation.detected_language = item.detection.language
            translation.detection_confidence = item.detection.confidence
        if item.error is not None:
            translation.error.code = item.error.code.value[0]
            translation.error.message = str(item.error)
            translation.error.status.CopyFrom(item.error.to_status())
            return translation
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
        translation.text = "".join(parts)
        if item.plan is None or not item.sentences:
            translation.route = pb.ROUTE_PASSTHROUGH
            translation.route_languages[:] = [item.source, req.target]
            return translation
        models = list(dict.fromkeys(m for o in outcomes for m in o.models))
        translation.models[:] = models
        routes: list[int] = [o.route for o in outcomes]
        translation.route = max(routes, key=_ROUTE_RANK.__getitem__)  # type: ignore[assignment]
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
                    route=outcome.route,
                )
        return translation


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


# The route of a text is the most involved route of its sentences.
_ROUTE_RANK: dict[int, int] = {
    pb.ROUTE_PASSTHROUGH: 0,
    pb.ROUTE_DIRECT: 1,
    pb.ROUTE_PIVOT: 2,
    pb.ROUTE_ESCALATED: 3,
}


def _has_words(sentence: str) -> bool:
    """True when a (masked) sentence still has letters for a model to translate."""
    return any(ch.isalpha() for ch in _PLACEHOLDERS.sub("", sentence))


def _passthrough(source: str, target: str) -> bool:
    """Same language: nothing for a model to do (Chinese scripts are converted by OpenCC)."""
    return same_language(source, target) or base_language(source) == base_language(target) == "zh"


_NO_SPACE_TARGETS = ("zh", "ja", "yue", "th", "lo", "km", "my")


def _join(parts: list[str], target: str) -> str:
    """Joins the translations of the pieces of one long sentence."""
    separator = "" if target.split("-")[0] in _NO_SPACE_TARGETS else " "
    return separator.join(p.strip() for p in parts)


def _encode(result: WorkerResult) -> str:
    return json.dumps({"t": result.text, "s": result.score, "d": result.demo}, ensure_ascii=False)


def _decode(value: str, model: str) -> WorkerResult:
    data = json.loads(value)
    return WorkerResult(text=data["t"], score=float(data["s"]), model=model, demo=bool(data["d"]))
