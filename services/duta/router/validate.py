"""The edge of the public API: requests checked and made canonical, or refused with
INVALID_ARGUMENT naming the field and what is allowed."""

from __future__ import annotations

from collections.abc import Sequence

from duta.common.errors import InvalidArgument, InvalidLanguage, TextTooLong
from duta.langid.codes import InvalidLanguageCode, canonicalize
from duta.router.settings import RouterSettings
from duta.router.types import Request
from duta.v1 import translator_pb2 as pb

MAX_BEAM = 8
MAX_TOP_K = 10
MAX_TERMS = 200
MAX_TERM_CHARS = 200


def canonical(code: str, field: str) -> str:
    """Canonicalises a BCP-47 code, naming the offending field on error."""
    try:
        return canonicalize(code)
    except InvalidLanguageCode as exc:
        raise InvalidLanguage(f"{field}: {exc}", field=field) from exc


def validate_translate(
    request: pb.TranslateRequest,
    settings: RouterSettings,
    deadline: float | None = None,
    bulk: bool = False,
) -> Request:
    """A Translate request checked and made canonical; InvalidArgument says what is wrong."""
    texts = list(request.texts)
    if not texts:
        raise InvalidArgument("texts is empty: send at least one text", field="texts")
    check_sizes(texts, settings, bulk)
    if not request.target_language.strip():
        raise InvalidLanguage(
            "target_language is empty: give a BCP-47 code such as 'en', 'zh-Hans', 'ja'",
            field="target_language",
        )
    target = canonical(request.target_language, "target_language")
    source = (
        canonical(request.source_language, "source_language") if request.source_language else ""
    )
    opts = request.options
    if opts.beam_size > MAX_BEAM:
        raise InvalidArgument(
            f"options.beam_size {opts.beam_size} is too large; allowed: 0–{MAX_BEAM}",
            field="options.beam_size",
        )
    if not 0.0 <= opts.escalation_threshold <= 1.0:
        raise InvalidArgument(
            "options.escalation_threshold must be between 0 and 1",
            field="options.escalation_threshold",
        )
    return Request(
        texts=texts,
        source=source,
        target=target,
        beam_size=opts.beam_size,
        use_cache=not opts.no_cache,
        hints=tuple(canonical(h, "options.source_hints") for h in opts.source_hints),
        tier=opts.tier,
        pivot=not opts.disable_pivot,
        escalation_threshold=opts.escalation_threshold,
        return_sentences=opts.return_sentences,
        html=request.format == pb.TEXT_FORMAT_HTML,
        terms=_terms(opts),
        deadline=deadline,
    )


def check_sizes(texts: Sequence[str], settings: RouterSettings, bulk: bool = False) -> None:
    """Texts per call, characters per text (the bulk limit in a stream), per call."""
    limits = settings
    max_chars = settings.stream_max_text_chars if bulk else settings.max_text_chars
    if len(texts) > limits.max_texts:
        raise InvalidArgument(
            f"{len(texts)} texts in one call; at most {limits.max_texts} are allowed",
            field="texts",
        )
    total = 0
    for index, text in enumerate(texts):
        total += len(text)
        if len(text) > max_chars:
            raise TextTooLong(
                f"text {index} has {len(text)} characters; at most {max_chars} "
                "are allowed per text"
                + ("" if bulk else " (split the document, or use TranslateStream)"),
                field=f"texts[{index}]",
            )
    if total > limits.max_request_chars:
        raise TextTooLong(
            f"the request has {total} characters; at most {limits.max_request_chars} are "
            "allowed per call",
            field="texts",
        )


def _terms(opts: pb.TranslateOptions) -> tuple[tuple[str, str], ...]:
    """Glossary and do-not-translate terms as (source, required output), validated."""
    if not opts.glossary and not opts.do_not_translate:
        return ()
    count = len(opts.glossary) + len(opts.do_not_translate)
    if count > MAX_TERMS:
        raise InvalidArgument(
            f"{count} glossary and do-not-translate terms; at most {MAX_TERMS} are allowed",
            field="options.glossary",
        )
    pairs = [(e.source, e.target) for e in opts.glossary]
    pairs += [(term, term) for term in opts.do_not_translate]
    for source, target in pairs:
        if not source.strip() or len(source) > MAX_TERM_CHARS or len(target) > MAX_TERM_CHARS:
            raise InvalidArgument(
                "glossary and do-not-translate terms must be non-blank and at most "
                f"{MAX_TERM_CHARS} characters",
                field="options.glossary",
            )
    return tuple(pairs)
