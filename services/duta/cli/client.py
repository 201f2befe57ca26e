"""`duta translate` and `duta detect`: call a running router through `duta.client`."""

from __future__ import annotations

import argparse
import json
import sys

from google.protobuf.json_format import MessageToDict

from duta.client import Client, DutaRpcError, translate_request
from duta.v1 import translator_pb2 as pb


def _read_texts(args: argparse.Namespace) -> list[str]:
    if args.text and args.text != ["-"]:
        return list(args.text)
    return [line.rstrip("\n") for line in sys.stdin if line.strip()]


def _client(args: argparse.Namespace) -> Client:
    return Client(
        args.address,
        timeout=args.timeout,
        root_certificates=args.ca_cert,
        tls=bool(args.tls),
    )


def _fail(exc: DutaRpcError) -> SystemExit:
    print(f"duta: {exc}", file=sys.stderr)
    for field, description in exc.field_violations:
        if field:
            print(f"  field {field}: {description}", file=sys.stderr)
    return SystemExit(1)


def _translate(args: argparse.Namespace) -> int:
    request = translate_request(
        _read_texts(args),
        args.to,
        source=args.source,
        beam_size=args.beam_size,
        no_cache=args.no_cache,
    )
    try:
        with _client(args) as client:
            response = client.translate_request(request)
    except DutaRpcError as exc:
        raise _fail(exc) from None
    failed = sum(item.HasField("error") for item in response.translations)
    if args.json:
        print(json.dumps(MessageToDict(response), ensure_ascii=False, indent=2))
        return 1 if failed else 0
    _print_translations(response)
    return 1 if failed else 0


def _print_translations(response: pb.TranslateResponse) -> None:
    for item in response.translations:
        if item.HasField("error"):
            print()  # one line per text, in order, even for a text that failed
            print(f"  [not translated: {item.error.message}]", file=sys.stderr)
            continue
        print(item.text)
        route = "→".join(item.route_languages)
        note = " DEMO MODEL: random output, not a translation" if item.demo_output else ""
        models = ", ".join(item.models) or "none"
        print(
            f"  [{route} via {models}{' (cached)' if item.cached else ''}]{note}", file=sys.stderr
        )


def _detect(args: argparse.Namespace) -> int:
    try:
        with _client(args) as client:
            detections = client.detect(_read_texts(args), hints=args.hints, top_k=args.top_k)
    except DutaRpcError as exc:
        raise _fail(exc) from None
    if args.json:
        response = pb.DetectLanguageResponse(
            detections=[
                pb.Detection(
                    language=d.language,
                    confidence=d.confidence,
                    script=d.script,
                    candidates=[
                        pb.LanguageCandidate(language=c.language, confidence=c.confidence)
                        for c in d.candidates
                    ],
                )
                for d in detections
            ]
        )
        print(json.dumps(MessageToDict(response), ensure_ascii=False, indent=2))
        return 0
    for detection in detections:
        others = ", ".join(f"{c.language} {c.confidence:.2f}" for c in detection.candidates[1:])
        print(f"{detection.language}\t{detection.confidence:.3f}\t{others}")
    return 0


def register(sub: argparse._SubParsersAction, default_address: str) -> None:
    """Adds `translate` and `detect`."""
    for name, func, help_text in (
        ("translate", _translate, "translate texts through a running router"),
        ("detect", _detect, "identify the language of texts"),
    ):
        parser = sub.add_parser(name, help=help_text)
        parser.add_argument("text", nargs="*", help="texts (none or '-': one per line on stdin)")
        parser.add_argument(
            "--address", default=default_address, help="router host:port (env DUTA_ADDRESS)"
        )
        parser.add_argument("--timeout", type=float, default=60.0, help="seconds")
        parser.add_argument("--json", action="store_true", help="print the full response as JSON")
        parser.add_argument("--tls", action="store_true", help="connect with TLS")
        parser.add_argument("--ca-cert", help="PEM file of the router's CA (implies --tls)")
        parser.set_defaults(func=func)
        if name == "translate":
            parser.add_argument("--to", required=True, help="target language (BCP-47)")
            parser.add_argument("--from", dest="source", help="source language (default: detect)")
            parser.add_argument("--beam-size", type=int, default=0)
            parser.add_argument("--no-cache", action="store_true")
        else:
            parser.add_argument("--hints", nargs="*", default=[], help="expected languages")
            parser.add_argument("--top-k", type=int, default=3)
