"""`duta batch translate`: documents in, translated documents out."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from duta.batch.inputs import InputError, discover
from duta.batch.options import BatchOptions
from duta.batch.progress import Progress
from duta.batch.report import JobReport
from duta.batch.runner import BatchRunner
from duta.batch.sharding import COUNT_ENV, INDEX_ENV, shard_from
from duta.batch.transport import RetryPolicy, RouterTransport

__all__ = ["register"]

EXIT_FAILED_FILES = 1
EXIT_USAGE = 2


def _options(args: argparse.Namespace) -> BatchOptions:
    source = "" if args.source in (None, "", "auto") else args.source
    fields = tuple(f for spec in args.fields or () for f in spec.split(",") if f.strip())
    return BatchOptions(
        target=args.to,
        out=Path(args.out),
        source=source,
        fields=fields,
        shard=shard_from(args.shard_index, args.shard_count),
        max_in_flight=args.concurrency,
        files_in_flight=args.files_in_flight,
        beam_size=args.beam_size,
        no_cache=args.no_cache,
        report=Path(args.report) if args.report else None,
    )


@contextlib.contextmanager
def _router(args: argparse.Namespace) -> Iterator[str]:
    """The router's address: the given one, or a local cluster started for the job."""
    if not args.embedded:
        yield args.router
        return
    from duta.cli.up import Cluster, free_port
    from duta.cli.up_models import DEMO_WARNING, ensure_models, serves_demo

    models = Path(args.models)
    ensure_models(models, None)  # as `duta up`: what is there, else the demo pairs
    if serves_demo(models):
        print(DEMO_WARNING, file=sys.stderr, flush=True)
    cluster = Cluster(models=models, port=free_port(), use_redis=not args.no_redis)
    print(f"duta batch: starting a local cluster from {models} …", file=sys.stderr)
    try:
        cluster.start(timeout=args.startup_timeout)
        yield cluster.address
    finally:
        cluster.stop()


async def _job(args: argparse.Namespace, options: BatchOptions, address: str) -> int:
    try:
        files = options.shard.select(discover(args.inputs, exclude=options.out))
    except InputError as exc:
        print(f"duta batch: {exc}", file=sys.stderr)
        return EXIT_USAGE
    transport = RouterTransport(
        address, options.max_in_flight, RetryPolicy(attempts=args.retries + 1)
    )
    try:
        problem = await transport.check(args.connect_timeout)
        if problem:
            hint = (
                "Start one with `duta up` (in another terminal), point --router at yours, or add "
                "--embedded to start a local cluster for this job."
            )
            print(
                f"duta batch: {problem}. {hint if 'API key' not in problem else ''}".rstrip(),
                file=sys.stderr,
            )
            return EXIT_USAGE
        progress = Progress(len(files), args.progress, interval=args.log_interval)
        report = await BatchRunner(options, transport, progress).run(files)
    finally:
        await transport.close()
    _finish(report, options)
    return EXIT_FAILED_FILES if report.count("failed") else 0


def _finish(report: JobReport, options: BatchOptions) -> None:
    report.write(options.report_path)
    print(report.summary())
    print(f"report: {options.report_path}")


def _translate(args: argparse.Namespace) -> int:
    try:
        options = _options(args)
    except ValueError as exc:
        print(f"duta batch: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with _router(args) as address:
            return asyncio.run(_job(args, options, address))
    except RuntimeError as exc:  # the embedded cluster did not start
        print(f"duta batch: {exc}", file=sys.stderr)
        return EXIT_USAGE


def register(sub: argparse._SubParsersAction, default_address: str) -> None:
    """Adds `duta batch translate`."""
    batch = sub.add_parser("batch", help="translate document sets (files in, files out)")
    which = batch.add_subparsers(dest="batch_command", required=True)
    p = which.add_parser(
        "translate",
        help="translate files, directories or globs into a mirrored output tree",
        description="Translates documents (txt md html docx pptx srt vtt po xlf json jsonl) "
        "through the router; resumable (a manifest in OUT), shardable (Indexed Jobs).",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files, directories or globs")
    p.add_argument("--to", required=True, help="target language (BCP-47)")
    p.add_argument("--from", dest="source", default="auto", help="source language, or auto")
    p.add_argument("--out", required=True, help="output directory (mirrors the input tree)")
    p.add_argument("--router", default=default_address, help="router address (host:port)")
    p.add_argument("--embedded", action="store_true", help="start a local cluster for the job")
    p.add_argument("--models", default="models", help="--embedded: directory of models")
    p.add_argument("--no-redis", action="store_true", help="--embedded: in-process cache")
    p.add_argument("--fields", action="append", help="JSON/JSONL keys or paths (a,b or $.a[*].b)")
    p.add_argument("--shard-index", type=int, help=f"this shard (default ${INDEX_ENV} or 0)")
    p.add_argument("--shard-count", type=int, help=f"number of shards (default ${COUNT_ENV} or 1)")
    p.add_argument("--concurrency", type=int, default=32, help="messages in flight to the router")
    p.add_argument("--files-in-flight", type=int, default=8, help="files worked on at once")
    p.add_argument(
        "--retries", type=int, default=7, help="retries on UNAVAILABLE/RESOURCE_EXHAUSTED"
    )
    p.add_argument("--beam-size", type=int, default=0, help="beam size (0: the models' default)")
    p.add_argument("--no-cache", action="store_true", help="bypass the router's cache")
    p.add_argument("--report", help="JSON report path (default OUT/.duta-batch/report*.json)")
    p.add_argument(
        "--progress",
        choices=("auto", "bar", "log", "none"),
        default="auto",
        help="progress bar on a terminal, log lines otherwise (auto)",
    )
    p.add_argument("--log-interval", type=float, default=10.0, help="seconds between log lines")
    p.add_argument("--connect-timeout", type=float, default=5.0, help="seconds to reach the router")
    p.add_argument("--startup-timeout", type=float, default=180.0, help="--embedded: per part")
    p.set_defaults(func=_translate)
