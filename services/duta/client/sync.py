"""The blocking client."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import grpc

from duta.client.errors import DutaRpcError
from duta.client.options import ClientOptions
from duta.client.requests import detect_request, retry_pause, translate_request
from duta.client.types import Detection, Translation
from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc

R = TypeVar("R")


class Client:
    """A blocking Duta client; one channel, reused by every call (thread-safe).

    >>> with Client("127.0.0.1:50051") as duta:          # doctest: +SKIP
    ...     [t.text for t in duta.translate(["今天天气很好"], "en")]

    Every method raises :class:`DutaRpcError` (code, message, reason, field violations,
    retry delay) when the call fails; calls refused as overloaded or unavailable are retried
    up to `max_attempts` times, after the delay the server asks for, within the deadline.
    """

    def __init__(self, address: str | None = None, **options: Any) -> None:
        if address is not None:
            options["address"] = address
        self.options = ClientOptions(**options)
        opts = self.options.channel_options()
        if self.options.secure:
            self.channel = grpc.secure_channel(
                self.options.address, self.options.credentials(), opts
            )
        else:
            self.channel = grpc.insecure_channel(self.options.address, opts)
        self.stub = translator_pb2_grpc.TranslatorStub(self.channel)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the channel."""
        self.channel.close()

    def translate(
        self,
        texts: str | Sequence[str],
        target: str,
        *,
        timeout: float | None = None,
        request_id: str | None = None,
        **options: Any,
    ) -> list[Translation]:
        """Translates texts into `target` (BCP-47), one Translation per text, in order.

        Args:
            texts: one text or several.
            target: target language, e.g. `en`, `zh-Hant-TW`.
            timeout: deadline in seconds (default: the client's).
            request_id: sent as `x-request-id`; appears in the router's and workers' logs.
            options: `source`, `html`, `beam_size`, `no_cache`, `glossary` (dict),
                `do_not_translate`, `hints`, `tier` (auto/small/large), `disable_pivot`,
                `escalation_threshold`, `return_sentences`.
        """
        request = translate_request(texts, target, **options)
        reply = self._call(self.stub.Translate, request, timeout, request_id)
        return [Translation.from_pb(t) for t in reply.translations]

    def translate_request(
        self, request: pb.TranslateRequest, *, timeout: float | None = None
    ) -> pb.TranslateResponse:
        """Sends a ready-made TranslateRequest (retried like every call)."""
        return self._call(self.stub.Translate, request, timeout, None)

    def detect(
        self,
        texts: str | Sequence[str],
        *,
        hints: Sequence[str] = (),
        top_k: int = 3,
        timeout: float | None = None,
    ) -> list[Detection]:
        """Identifies the language of each text (top-k candidates, best first)."""
        request = detect_request(texts, hints, top_k)
        reply = self._call(self.stub.DetectLanguage, request, timeout, None)
        return [Detection.from_pb(d) for d in reply.detections]

    def list_languages(
        self, *, source: str = "", target: str = "", timeout: float | None = None
    ) -> pb.ListLanguagesResponse:
        """What the cluster serves: languages, models and (filtered) pairs."""
        request = pb.ListLanguagesRequest(source_language=source, target_language=target)
        return self._call(self.stub.ListLanguages, request, timeout, None)

    def translate_stream(
        self,
        requests: Iterable[tuple[str, pb.TranslateRequest]],
        *,
        timeout: float | None = None,
    ) -> Iterator[tuple[str, list[Translation] | DutaRpcError]]:
        """Bulk translation over one stream: yields (id, translations or error) as they finish.

        The router reads ahead only as far as its flow-control window allows, so `requests`
        may be a lazy generator over a large document set.
        """
        messages = (pb.TranslateStreamRequest(id=i, request=r) for i, r in requests)
        try:
            for reply in self.stub.TranslateStream(
                messages, timeout=timeout, metadata=self.options.call_metadata()
            ):
                if reply.error_code:
                    yield reply.id, DutaRpcError.from_status(reply.error)
                else:
                    yield reply.id, [Translation.from_pb(t) for t in reply.response.translations]
        except grpc.RpcError as exc:
            raise DutaRpcError.from_rpc_error(exc) from None

    def _call(
        self,
        method: Callable[..., R],
        request: Any,
        timeout: float | None,
        request_id: str | None,
    ) -> R:
        deadline = time.monotonic() + (timeout or self.options.timeout)
        metadata = self.options.call_metadata(request_id)
        attempt = 0
        while True:
            attempt += 1
            try:
                return method(request, timeout=deadline - time.monotonic(), metadata=metadata)
            except grpc.RpcError as exc:
                error = DutaRpcError.from_rpc_error(exc)
            pause = retry_pause(error, attempt, self.options.max_attempts, deadline)
            if pause is None:
                raise error
            time.sleep(pause)
