"""The router: Duta's public face and language-ID service."""

from duta.router.server import Router, build_router, serve
from duta.router.settings import RouterSettings, WorkerEndpoint

__all__ = ["Router", "RouterSettings", "WorkerEndpoint", "build_router", "serve"]
