"""The `duta` command line: serve, up, translate, detect, models."""

from duta.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
