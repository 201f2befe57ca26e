"""The asyncio client (grpc.aio): the same methods as `Client`, awaitable."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

import grpc

from duta.client.errors import DutaRpcError
from duta.client.options import ClientOptions
from duta.client.requests import detect_request, retry_pause, translate_request
from duta.client.types import Detection, Translation
from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc

R = TypeVar("R")


class AsyncClient:
    """An asyncio Duta client; create it inside the event loop that uses it.

    >>> async with AsyncClient("127.0.0.1:50051") as duta:   # doctest: +SKIP
    ...     [t.text for t in await duta.translate(["今天天气很好"], "en")]
    """

    def __init__(self, address: str | None = None, **options: Any) -> None:
        if address is not None:
            options["address"] = address
        self.options = ClientOptions(**options)
        opts = self.options.channel_options()
        if self.options.secure:
            self.channel = grpc.aio.secure_channel(
                self.options.address, self.options.credentials(), opts
            )
        else:
            self.channel = grpc.aio.insecure_channel(self.options.address, opts)
        self.stub = translator_pb2_grpc.TranslatorStub(self.channel)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Closes the channel."""
        await self.channel.close()

    async def translate(
        self,
        texts: str | Sequence[str],
        target: str,
        *,
        timeout: float | None = None,
        request_id: str | None = None,
        **options: Any,
    ) -> list[Translation]:
        """Translates texts into `target`; see `Client.translate`."""
        request = translate_request(texts, target, **options)
        reply = await self._call(self.stub.Translate, request, timeout, request_id)
        return [Translation.from_pb(t) for t in reply.translations]

    async def translate_request(
        self, request: pb.TranslateRequest, *, timeout: float | None = None
    ) -> pb.TranslateResponse:
        """Sends a ready-made TranslateRequest (retried like every call)."""
        return await self._call(self.stub.Translate, request, timeout, None)

    async def detect(
        self,
        texts: str | Sequence[str],
        *,
        hints: Sequence[str] = (),
        top_k: int = 3,
        timeout: float | None = None,
    ) -> list[Detection]:
        """Identifies the language of each text; see `Client.detect`."""
        request = detect_request(texts, hints, top_k)
        reply = await self._call(self.stub.DetectLanguage, request, timeout, None)
        return [Detection.from_pb(d) for d in reply.detections]

    async def list_languages(
        self, *, source: str = "", target: str = "", timeout: float | None = None
    ) -> pb.ListLanguagesResponse:
        """What the cluster serves; see `Client.list_languages`."""
        request = pb.ListLanguagesRequest(source_language=source, target_language=target)
        return await self._call(self.stub.ListLanguages, request, timeout, None)

    async def translate_stream(
        self,
        requests: Iterable[tuple[str, pb.TranslateRequest]],
        *,
        timeout: float | None = None,
    ) -> AsyncIterator[tuple[str, list[Translation] | DutaRpcError]]:
        """Bulk translation over one stream; see `Client.translate_stream`."""
        messages = (pb.TranslateStreamRequest(id=i, request=r) for i, r in requests)
        call = self.stub.TranslateStream(
            messages, timeout=timeout, metadata=self.options.call_metadata()
        )
        try:
            async for reply in call:
                if reply.error_code:
                    yield reply.id, DutaRpcError.from_status(reply.error)
                else:
                    yield reply.id, [Translation.from_pb(t) for t in reply.response.translations]
        except grpc.RpcError as exc:
            raise DutaRpcError.from_rpc_error(exc) from None

    async def _call(
        self,
        method: Callable[..., Awaitable[R]],
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
                return await method(request, timeout=deadline - time.monotonic(), metadata=metadata)
            except grpc.RpcError as exc:
                error = DutaRpcError.from_rpc_error(exc)
            pause = retry_pause(error, attempt, self.options.max_attempts, deadline)
            if pause is None:
                raise error
            await asyncio.sleep(pause)
