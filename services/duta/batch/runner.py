"""The job: every file of the shard read, cut into segments, streamed to the router, written.

Files are worked on concurrently (`files_in_flight`) and the segments of all of them share
the transport's in-flight budget, so the router always has work. Each file succeeds or fails
on its own: a corrupt or undecodable file is recorded with its reason and the rest go on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from duta.batch.formats import Extracted, FormatError, FormatOptions, Segment, format_for
from duta.batch.formats import supported_extensions as _extensions
from duta.batch.formats.markers import MARKER, strip_markers
from duta.batch.inputs import InputFile
from duta.batch.manifest import (
    Entry,
    Manifest,
    atomic_write,
    remove_leftovers,
    sha256,
    temp_dir,
)
from duta.batch.options import BatchOptions
from duta.batch.progress import Progress
from duta.batch.report import FileResult, JobReport
from duta.batch.transport import RouterTransport, TranslateFailed, code_name
from duta.text.html import split_html, visible_text
from duta.v1 import translator_pb2 as pb

__all__ = ["BatchRunner"]

log = logging.getLogger(__name__)
_DETECT_SAMPLE_CHARS = 2000
_MAX_TERMS = 200  # do-not-translate terms per request (the router's limit)


@dataclass
class _Stats:
    sentences: int = 0
    cached: int = 0
    demo: bool = False


class BatchRunner:
    """Runs one job (one shard) against a router."""

    def __init__(
        self, options: BatchOptions, transport: RouterTransport, progress: Progress
    ) -> None:
        self.options = options
        self.transport = transport
        self.progress = progress
        self.owner = options.shard.label or "job"
        self.manifest = Manifest(options.out, options.shard.label)
        self.settings = options.settings_key()
        self.demo = False

    async def run(self, files: Sequence[InputFile]) -> JobReport:
        """Translates `files`; the report lists every one of them."""
        started = time.monotonic()
        removed = remove_leftovers(self.options.out, self.owner) if self.options.out.exists() else 0
        if removed:
            log.info("removed %d temporary files left by a killed run", removed)
        slots = asyncio.Semaphore(self.options.files_in_flight)

        async def one(item: InputFile) -> FileResult:
            async with slots:
                result = await self._file(item)
            self.progress.file_done()
            return result

        results = await asyncio.gather(*(one(item) for item in files))
        self.progress.close()
        return JobReport(
            router=self.transport.address,
            target=self.options.target,
            shard=self.options.shard.label,
            elapsed_seconds=time.monotonic() - started,
            retries=self.transport.retries,
            demo_output=self.demo,
            files=list(results),
        )

    async def _file(self, item: InputFile) -> FileResult:
        fmt = format_for(item.path)
        if fmt is None:
            return FileResult(
                item.relative,
                "unsupported",
                error=f"unsupported extension {item.path.suffix or '(none)'!r}; "
                f"supported: {_extensions()}",
            )
        result = FileResult(item.relative, "failed", format=fmt.name)
        started = time.monotonic()
        try:
            await self._translate_file(item, fmt.extract, result)
        except FormatError as exc:
            result.error = str(exc)
        except TranslateFailed as exc:
            result.error = f"router: {code_name(exc.code)}: {exc.message}"
        except OSError as exc:
            result.error = f"{type(exc).__name__}: {exc.strerror or exc}"
        except Exception as exc:  # one file's bug must not end the job
            # The type only at ERROR: an exception's message may quote the document.
            log.error("unexpected %s on one file", type(exc).__name__)
            log.debug("traceback", exc_info=True)
            result.error = f"internal error ({type(exc).__name__})"
        result.seconds = round(time.monotonic() - started, 3)
        return result

    async def _translate_file(
        self,
        item: InputFile,
        extract: Callable[[bytes, FormatOptions], Extracted],
        result: FileResult,
    ) -> None:
        data = await asyncio.to_thread(item.path.read_bytes)
        digest = sha256(data)
        output = self.options.out / item.relative
        finished = self.manifest.finished
        if await asyncio.to_thread(finished, item.relative, digest, self.settings, output):
            result.status = "skipped"
            return
        fmt_options = FormatOptions(self.options.target, self.options.fields)
        extracted = await asyncio.to_thread(extract, data, fmt_options)
        segments = extracted.segments
        source = self.options.source or await self._detect(segments)
        translations, stats = await self._translate(segments, source)
        rendered = await asyncio.to_thread(extracted.render, translations)
        temp = temp_dir(self.options.out)
        await asyncio.to_thread(atomic_write, output, rendered, self.owner, temp)
        characters = sum(_characters(s) for s in segments)
        entry = Entry(
            item.relative, digest, self.settings, sha256(rendered), len(segments), characters
        )
        await asyncio.to_thread(self.manifest.record, entry)
        result.status, result.segments, result.characters = "ok", len(segments), characters
        result.sentences, result.cached_sentences = stats.sentences, stats.cached
        result.source_language = source
        self.demo = self.demo or stats.demo

    async def _detect(self, segments: Sequence[Segment]) -> str:
        """The file's language from a sample of its prose; empty (per text) when unsure."""
        sample = ""
        for segment in segments:
            prose = visible_text(split_html(segment.text)) if segment.html else segment.text
            sample += strip_markers(prose) + "\n"
            if len(sample) >= _DETECT_SAMPLE_CHARS:
                break
        if not sample.strip():
            return ""
        language = await self.transport.detect(sample[:_DETECT_SAMPLE_CHARS])
        return "" if language == "und" else language

    async def _translate(
        self, segments: Sequence[Segment], source: str
    ) -> tuple[list[str], _Stats]:
        batches = self._batches(segments)
        stats = _Stats()
        answers = await asyncio.gather(
            *(self._request(segments[a:b], source, stats) for a, b in batches)
        )
        return [text for answer in answers for text in answer], stats

    async def _request(self, segments: Sequence[Segment], source: str, stats: _Stats) -> list[str]:
        terms = sorted({m for s in segments for m in s.protect})
        request = pb.TranslateRequest(
            texts=[s.text for s in segments],
            source_language=source,
            target_language=self.options.target,
            format=pb.TEXT_FORMAT_HTML if segments[0].html else pb.TEXT_FORMAT_PLAIN,
            options=pb.TranslateOptions(
                do_not_translate=terms,
                no_cache=self.options.no_cache,
                beam_size=self.options.beam_size,
            ),
        )
        response = await self.transport.translate(request)
        texts = []
        for item in response.translations:
            if item.HasField("error") and item.error.code:
                raise TranslateFailed(item.error.code, item.error.message)
            stats.sentences += item.sentence_count
            stats.cached += item.cached_sentence_count
            stats.demo = stats.demo or item.demo_output
            texts.append(item.text)
        self.progress.add_segments(len(segments), sum(_characters(s) for s in segments))
        return texts

    def _batches(self, segments: Sequence[Segment]) -> list[tuple[int, int]]:
        """Consecutive ranges of segments, one request each (same mode, within the limits)."""
        batches: list[tuple[int, int]] = []
        start, chars = 0, 0
        terms: set[str] = set()
        for index, segment in enumerate(segments):
            full = index > start and (
                index - start >= self.options.max_request_texts
                or chars + len(segment.text) > self.options.max_request_chars
                or len(terms | set(segment.protect)) > _MAX_TERMS
                or segment.html != segments[start].html
            )
            if full:
                batches.append((start, index))
                start, chars, terms = index, 0, set()
            chars += len(segment.text)
            terms |= set(segment.protect)
        if start < len(segments):
            batches.append((start, len(segments)))
        return batches


def _characters(segment: Segment) -> int:
    """The characters of a segment's text, markers left out (they are not prose)."""
    return len(MARKER.sub("", segment.text))
