"""TranslateStream's session: a stream that ends early (the caller cancelled) cancels the work
it had in progress, and never reads more than its window ahead of what was taken."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from duta.router.stream import StreamSession
from duta.v1 import translator_pb2 as pb


def test_a_cancelled_stream_cancels_its_work_in_progress() -> None:
    started: list[str] = []
    cancelled: list[str] = []

    async def translate(request: pb.TranslateRequest) -> pb.TranslateResponse:
        started.append(request.texts[0])
        try:
            await asyncio.Event().wait()  # a worker call that has not answered yet
        except asyncio.CancelledError:
            cancelled.append(request.texts[0])
            raise
        return pb.TranslateResponse()

    async def messages() -> AsyncIterator[pb.TranslateStreamRequest]:
        for i in range(100):
            yield pb.TranslateStreamRequest(
                id=str(i), request=pb.TranslateRequest(texts=[f"t{i}"], target_language="en")
            )

    async def scenario() -> StreamSession:
        session = StreamSession(translate, window=3)
        answers = session.run(messages())
        waiting = asyncio.ensure_future(answers.__anext__())
        while len(started) < 3:  # the window is full: three in progress, none answered
            await asyncio.sleep(0)
        for _ in range(20):  # it reads no further however long nothing is answered
            await asyncio.sleep(0)
        assert session.read == 3
        waiting.cancel()  # what gRPC does to the handler when the caller cancels
        await asyncio.gather(waiting, return_exceptions=True)
        await answers.aclose()
        for _ in range(100):  # cancelled tasks end within a few loop passes
            if not session.tasks:
                break
            await asyncio.sleep(0)
        return session

    session = asyncio.run(scenario())
    assert sorted(cancelled) == sorted(started) == ["t0", "t1", "t2"]
    assert session.sent == 0
