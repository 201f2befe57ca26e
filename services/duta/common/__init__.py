"""Pieces every Duta service shares: server bootstrap, errors, logging, interceptors."""

from duta.common.errors import (
    DutaError,
    InvalidArgument,
    Overloaded,
    ServiceUnavailable,
    UnsupportedLanguagePair,
)
from duta.common.logging import configure_logging
from duta.common.server import GrpcService, serve_forever

__all__ = [
    "DutaError",
    "GrpcService",
    "InvalidArgument",
    "Overloaded",
    "ServiceUnavailable",
    "UnsupportedLanguagePair",
    "configure_logging",
    "serve_forever",
]
