"""`duta.client`: the typed Python client of Duta's public API (sync and asyncio).

What a backend team imports instead of the generated stubs::

    from duta.client import Client

    with Client("127.0.0.1:50051", api_key="…") as duta:
        for t in duta.translate(["今天天气很好。"], "en"):
            print(t.text, t.source_language, t.route, t.models)

Failures raise :class:`DutaRpcError` with the stable `reason` of the server's ErrorInfo.
"""

from duta.client.aio import AsyncClient
from duta.client.errors import DutaRpcError
from duta.client.options import ClientOptions
from duta.client.requests import translate_request
from duta.client.sync import Client
from duta.client.types import Candidate, Detection, Sentence, Translation

__all__ = [
    "AsyncClient",
    "Candidate",
    "Client",
    "ClientOptions",
    "Detection",
    "DutaRpcError",
    "Sentence",
    "Translation",
    "translate_request",
]
