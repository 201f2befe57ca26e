"""Argument parsing and dispatch for the `duta` command."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from duta.common.errors import DutaError
from duta.common.logging import configure_logging

DEFAULT_ADDRESS = os.environ.get("DUTA_ADDRESS", "127.0.0.1:50051")


def _serve_router(args: argparse.Namespace) -> int:
    from duta.common.settings import load_settings
    from duta.router import RouterSettings, serve

    settings = load_settings(RouterSettings, args.config, port=args.port, host=args.host)
    configure_logging(settings.log_level, "router")
    asyncio.run(serve(settings, args.config))
    return 0


def _serve_worker(args: argparse.Namespace) -> int:
    from duta.common.settings import load_settings
    from duta.models import ModelDirError
    from duta.worker import WorkerSettings, serve

    settings = load_settings(
        WorkerSettings,
        args.config,
        model=args.model,
        port=args.port,
        host=args.host,
        source=args.source,
        target=args.target,
        metrics_port=args.metrics_port,
    )
    configure_logging(settings.log_level, "worker")
    try:
        asyncio.run(serve(settings))
    except ModelDirError as exc:
        print(f"duta: cannot serve {settings.model}: {exc}", file=sys.stderr)
        return 2
    return 0


def _add_serve(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="run one service in the foreground")
    which = serve.add_subparsers(dest="service", required=True)
    router = which.add_parser(
        "router", help="the public Translator service (language ID, routing, cache)"
    )
    router.add_argument("--config", help="routes/settings YAML file (workers, redis_url, limits)")
    router.add_argument("--port", type=int, help="gRPC port (default 50051; 0 picks a free one)")
    router.add_argument("--host", help="interface to bind (default 0.0.0.0)")
    router.set_defaults(func=_serve_router)
    worker = which.add_parser("worker", help="a translation worker serving one model directory")
    worker.add_argument("--model", required=True, help="model directory")
    worker.add_argument("--config", help="settings YAML file")
    worker.add_argument("--port", type=int, help="gRPC port (default 50052)")
    worker.add_argument("--host", help="interface to bind (default 0.0.0.0)")
    worker.add_argument("--source", help="source language, when the directory has no duta.json")
    worker.add_argument("--target", help="target language, when the directory has no duta.json")
    worker.add_argument("--metrics-port", type=int, help="Prometheus metrics HTTP port")
    worker.set_defaults(func=_serve_worker)


def build_parser() -> argparse.ArgumentParser:
    """The full `duta` argument parser."""
    from duta.batch import cli as batch_cli
    from duta.cli import client, up
    from duta.models import cli as models_cli

    parser = argparse.ArgumentParser(
        prog="duta", description="Duta: translation for the languages of Asia from small models."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_serve(sub)
    up.register(sub)
    client.register(sub, DEFAULT_ADDRESS)
    models_cli.register(sub)
    batch_cli.register(sub, DEFAULT_ADDRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `duta` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DutaError as exc:
        print(f"duta: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
