"""The yardstick of `bench/router.py`: a trivial grpc.aio server answering Translate with the L1
router's own answer to each sentence (the same message, byte for byte), built per call as any
server builds its answer; health included, nothing else.

    python bench/router_echo.py PORT ANSWERS  # a TranslateResponse; ANSWERS.request, its request
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2_grpc
from grpc_health.v1.health import aio as health_aio

from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc


class Echo(translator_pb2_grpc.TranslatorServicer):
    def __init__(self, answers: dict[str, pb.Translation]) -> None:
        self.answers = answers

    async def Translate(self, request, context):  # noqa: ANN001, ANN201, N802
        return pb.TranslateResponse(translations=[self.answers[request.texts[0]]])


async def serve(port: int, answers_file: Path) -> None:
    request = pb.TranslateRequest.FromString(Path(f"{answers_file}.request").read_bytes())
    response = pb.TranslateResponse.FromString(answers_file.read_bytes())
    server = grpc.aio.server()
    answers = dict(zip(request.texts, response.translations, strict=True))
    translator_pb2_grpc.add_TranslatorServicer_to_server(Echo(answers), server)
    health_pb2_grpc.add_HealthServicer_to_server(health_aio.HealthServicer(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), Path(sys.argv[2])))
