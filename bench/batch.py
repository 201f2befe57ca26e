"""Batch benchmark: `duta batch` throughput against the router's own capacity, and a re-run.

Starts a local cluster the way `duta up` does (Redis, a demo en→ja worker, the router, each its
own process), builds a document set of every format (COPIES variants of each fixture in
tests/data/batch, DOCX and PPTX built in code), then measures in one run:

- router capacity: every segment of the set sent straight to the router over TranslateStream
  (64 messages in flight, cache off) with 1, 4 and 16 segments per message, before and after
  the batch job (after one unmeasured warm-up pass); the capacity is the best of these
  (mean of its two runs);
- the batch job: `duta batch translate` over the same files (cache off): reading, parsing,
  streaming, rendering and writing included;
- the re-run: a job with the cache on, then one sentence appended to one paragraph of every
  file and the job run again; its cache hit rate, and the sentences that reached a worker
  against the sentences that changed (target: only those).

    python bench/batch.py                  # defaults: 8 copies of each fixture
    python bench/batch.py --copies 16

The last line is ``batch/router=… rerun_hit_rate=…``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.data.batch.office builds the DOCX/PPTX fixtures

from duta.batch.formats import FormatOptions, Segment, format_for  # noqa: E402
from duta.batch.inputs import discover  # noqa: E402
from duta.batch.transport import RouterTransport  # noqa: E402
from duta.cli.main import main as duta  # noqa: E402
from duta.cli.up import Cluster, free_port  # noqa: E402
from duta.models import build_demo_models  # noqa: E402
from duta.v1 import translator_pb2 as pb  # noqa: E402
from tests.data.batch.office import build_docx, build_pptx  # noqa: E402

DOCS = REPO / "tests" / "data" / "batch" / "docs"
# One sentence of each text fixture; a copy's variant and the re-run's change are made there.
ANCHORS = {
    "notes.txt": "This text explains how to reset a password.",
    "guide.md": "Run the installer and follow the steps.",
    "page.html": "This version fixes several bugs.",
    "movie.srt": "Where are you going tonight?",
    "sub/captions.vtt": "Hello there, how are you?",
    "sub/messages.po": "Hello, %(name)s! Welcome back.",
    "sub/strings.xlf": "Save your work before closing &amp; leaving.",
    "sub/strings20.xliff": "The settings were saved.",
    "app.json": "Save the file",
    "records.jsonl": "My password is rejected since yesterday.",
}
FIELDS = "title,body,$.menu.*,$.menu.items[*]"
SIZES = (1, 4, 16)  # segments per message tried for the router's capacity


def build_set(root: Path, copies: int, change: str = "") -> None:
    """COPIES variants of every fixture; `change` appends a sentence to one paragraph of each."""
    for copy in range(copies):
        target = root / f"copy{copy:02d}"
        notes = [
            f" Copy {copy} is number {copy * 13 + 7}." + change.format(copy * 100 + index)
            for index in range(len(ANCHORS) + 2)
        ]
        for (name, anchor), extra in zip(ANCHORS.items(), notes, strict=False):
            text = (DOCS / name).read_text(encoding="utf-8")
            assert anchor in text, name
            path = target / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.replace(anchor, anchor + extra, 1), encoding="utf-8")
        (target / "office").mkdir()
        build_docx(target / "office" / "handbook.docx", note=notes[-2])
        build_pptx(target / "office" / "results.pptx", note=notes[-1])


def set_segments(root: Path) -> list[Segment]:
    """Every segment of the document set, as the batch job extracts them."""
    segments: list[Segment] = []
    for item in discover([str(root)]):
        fmt = format_for(item.path)
        assert fmt is not None
        segments += fmt.extract(item.path.read_bytes(), FormatOptions("ja", (FIELDS,))).segments
    return segments


async def router_capacity(address: str, segments: list[Segment], per_request: int) -> float:
    """Segments/s with the segments sent straight to the router, `per_request` per message."""
    transport = RouterTransport(address, max_in_flight=64)
    groups = [
        [s for s in segments if s.html == html][i : i + per_request]
        for html in (False, True)
        for i in range(0, sum(s.html == html for s in segments), per_request)
    ]
    requests = [
        pb.TranslateRequest(
            texts=[s.text for s in group],
            source_language="en",
            target_language="ja",
            format=pb.TEXT_FORMAT_HTML if group[0].html else pb.TEXT_FORMAT_PLAIN,
            options=pb.TranslateOptions(
                no_cache=True, do_not_translate=sorted({m for s in group for m in s.protect})
            ),
        )
        for group in groups
        if group
    ]
    started = time.perf_counter()
    await asyncio.gather(*(transport.translate(r) for r in requests))
    elapsed = time.perf_counter() - started
    await transport.close()
    return len(segments) / elapsed


def job(address: str, root: Path, out: Path, *extra: str) -> dict:
    """Runs `duta batch translate` in this process; returns its JSON report."""
    argv = ["batch", "translate", str(root), "--from", "en", "--to", "ja", "--out", str(out)]
    argv += ["--router", address, "--fields", FIELDS, "--progress", "none", "--concurrency", "64"]
    status = duta([*argv, *extra])
    assert status == 0, f"batch job exited {status}"
    return json.loads((out / ".duta-batch" / "report.json").read_text())


def run(args: argparse.Namespace, work: Path) -> None:
    build_demo_models(work / "models", [("en", "ja")])
    cluster = Cluster(models=work / "models", port=free_port(), workdir=work)
    build_set(work / "docs", args.copies)
    cluster.start()
    try:
        segments = set_segments(work / "docs")
        asyncio.run(router_capacity(cluster.address, segments, 4))  # warm-up, not counted
        before = {n: asyncio.run(router_capacity(cluster.address, segments, n)) for n in SIZES}
        report = job(cluster.address, work / "docs", work / "out-nocache", "--no-cache")
        after = {n: asyncio.run(router_capacity(cluster.address, segments, n)) for n in SIZES}
        best = max(SIZES, key=lambda n: before[n] + after[n])
        capacity = (before[best] + after[best]) / 2
        batch_rate = report["segments_per_second"]
        job(cluster.address, work / "docs", work / "out")  # fills the cache
        shutil.rmtree(work / "docs")
        build_set(work / "docs", args.copies, change=" Revision {} was approved today.")
        rerun = job(cluster.address, work / "docs", work / "out")
    finally:
        cluster.stop()
    files = rerun["files"]["ok"]
    misses = rerun["sentences"] - rerun["cached_sentences"]
    print(
        f"document set: {files} files ({args.copies} copies × 12 formats), {len(segments)} segments"
    )
    for n in SIZES:
        print(
            f"router, {n:2d} segments/message: {before[n]:.1f} seg/s before the job, "
            f"{after[n]:.1f} after"
        )
    print(f"router capacity (best, {best}/message, mean of both): {capacity:.1f} seg/s")
    print(f"batch job (cache off): {batch_rate:.1f} seg/s, {report['elapsed_seconds']:.1f} s")
    print(
        f"re-run after one sentence changed per file: {rerun['files']['ok']} files redone, "
        f"{rerun['sentences']} sentences, {misses} reached a worker "
        f"(changed: {files}), hit rate {rerun['cache_hit_rate']:.3f}"
    )
    print(f"batch/router={batch_rate / capacity:.2f} rerun_hit_rate={rerun['cache_hit_rate']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=8, help="variants of each fixture")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="duta-bench-batch-") as work:
        run(args, Path(work))


if __name__ == "__main__":
    main()
