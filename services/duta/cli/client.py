"""`duta translate` and `duta detect`: call a running router."""

from __future__ import annotations

import argparse
import json
import sys

import grpc
from google.protobuf.json_format import MessageToDict

from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc


def _stub(address: str) -> tuple[grpc.Channel, translator_pb2_grpc.TranslatorStub]:
    channel = grpc.insecure_channel(address)
    return channel, translator_pb2_grpc.TranslatorStub(channel)


def _read_texts(args: argparse.Namespace) -> list[str]:
    if args.text and args.text != ["-"]:
        return list(args.text)
    return [line.rstrip("\n") for line in sys.stdin if line.strip()]


def _call(fn, request, timeout: float):  # noqa: ANN001, ANN202 - any unary stub method
    try:
        return fn(request, timeout=timeout)
    except grpc.RpcError as exc:
        print(f"duta: {exc.code().name}: {exc.details()}", file=sys.stderr)
        raise SystemExit(1) from None


def _translate(args: argparse.Namespace) -> int:
    channel, stub = _stub(args.address)
    with channel:
        request = pb.TranslateRequest(
            texts=_read_texts(args),
            source_language=args.source or "",
            target_language=args.to,
            options=pb.TranslateOptions(beam_size=args.beam_size, no_cache=args.no_cache),
        )
        response = _call(stub.Translate, request, args.timeout)
    failed = sum(item.HasField("error") for item in response.translations)
    if args.json:
        print(json.dumps(MessageToDict(response), ensure_ascii=False, indent=2))
        return 1 if failed else 0
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
    return 1 if failed else 0


def _detect(args: argparse.Namespace) -> int:
    channel, stub = _stub(args.address)
    with channel:
        request = pb.DetectLanguageRequest(
            texts=_read_texts(args), hints=args.hints, top_k=args.top_k
        )
        response = _call(stub.DetectLanguage, request, args.timeout)
    if args.json:
        print(json.dumps(MessageToDict(response), ensure_ascii=False, indent=2))
        return 0
    for detection in response.detections:
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
        parser.set_defaults(func=func)
        if name == "translate":
            parser.add_argument("--to", required=True, help="target language (BCP-47)")
            parser.add_argument("--from", dest="source", help="source language (default: detect)")
            parser.add_argument("--beam-size", type=int, default=0)
            parser.add_argument("--no-cache", action="store_true")
        else:
            parser.add_argument("--hints", nargs="*", default=[], help="expected languages")
            parser.add_argument("--top-k", type=int, default=3)
