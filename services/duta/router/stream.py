"""TranslateStream with flow control: at most `window` messages in progress or answered and
not yet taken by the caller; reading the request stream stops while the window is full.

A slot is freed only when its answer has been handed to gRPC, and gRPC's own HTTP/2 flow
control holds that hand-over while the caller does not read, so a caller that stops reading
stops the router from reading its requests: memory stays bounded by the window. A cancelled
stream cancels the work in progress.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from duta.common.errors import DutaError
from duta.router import metrics
from duta.v1 import translator_pb2 as pb

Translate = Callable[[pb.TranslateRequest], Awaitable[pb.TranslateResponse]]


class StreamSession:
    """One TranslateStream call."""

    def __init__(self, translate: Translate, window: int) -> None:
        self.translate = translate
        self.window = asyncio.Semaphore(window)
        self.answers: asyncio.Queue[pb.TranslateStreamResponse | None] = asyncio.Queue()
        self.tasks: set[asyncio.Task[None]] = set()
        self.read = 0  # messages read from the caller so far
        self.sent = 0  # answers handed to gRPC (held there by HTTP/2 flow control)

    async def run(
        self, requests: AsyncIterator[pb.TranslateStreamRequest]
    ) -> AsyncIterator[pb.TranslateStreamResponse]:
        """Yields one answer per request message, in completion order."""
        reader = asyncio.create_task(self._read(requests))
        try:
            while (answer := await self.answers.get()) is not None:
                yield answer
                self.sent += 1
                self.window.release()  # gRPC took it: one more message may be read
                metrics.STREAM_PENDING.dec()
            await reader
        finally:
            reader.cancel()
            for task in self.tasks:
                task.cancel()
            metrics.STREAM_PENDING.dec(len(self.tasks) + self.answers.qsize())

    async def _read(self, requests: AsyncIterator[pb.TranslateStreamRequest]) -> None:
        try:
            async for message in requests:
                await self.window.acquire()
                self.read += 1
                metrics.STREAM_PENDING.inc()
                task = asyncio.create_task(self._handle(message))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            while self.tasks:
                await asyncio.gather(*list(self.tasks))
        finally:
            await self.answers.put(None)

    async def _handle(self, message: pb.TranslateStreamRequest) -> None:
        try:
            response = await self.translate(message.request)
            answer = pb.TranslateStreamResponse(id=message.id, response=response)
        except DutaError as exc:
            answer = pb.TranslateStreamResponse(
                id=message.id,
                error_code=exc.code.value[0],
                error_message=str(exc),
                error=exc.to_status(),
            )
        await self.answers.put(answer)
