"""One router over the demo workers and a real Redis, shared by the router test modules."""

from __future__ import annotations

import pytest

from duta.router import RouterSettings, WorkerEndpoint
from tests.conftest import running_router


@pytest.fixture(scope="session")
def shared_router(loop_thread, workers, redis_server, detector):
    settings = RouterSettings(
        host="127.0.0.1",
        port=0,
        workers=tuple(WorkerEndpoint(address=workers.address(n)) for n in workers.services),
        redis_url=redis_server.url,
        max_text_chars=2000,
    )
    with running_router(loop_thread, settings, detector) as router:
        yield router
