"""Connection options of a Duta client, and the channel they make."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

DEFAULT_ADDRESS = "127.0.0.1:50051"

# Round robin over every router the target resolves to. gRPC retries a call that failed
# before any answer arrived (connection refused or reset, a
# draining server's UNAVAILABLE) on its own, with backoff; RESOURCE_EXHAUSTED is retried by the
# client itself, after the delay the server asks for in RetryInfo.
_SERVICE_CONFIG = {
    # A target naming several routers (`dns:///` of a Service, `ipv4:a,b`) spreads calls over
    # all of them, and stops sending to one as soon as its health says NOT_SERVING (draining):
    # calls racing a server's final stop would otherwise come back CANCELLED (grpc/grpc#41785).
    "loadBalancingConfig": [{"round_robin": {}}],
    "healthCheckConfig": {"serviceName": "duta.v1.Translator"},
    "methodConfig": [
        {
            "name": [{"service": "duta.v1.Translator"}],
            "retryPolicy": {
                "maxAttempts": 4,
                "initialBackoff": "0.1s",
                "maxBackoff": "2s",
                "backoffMultiplier": 2,
                "retryableStatusCodes": ["UNAVAILABLE"],
            },
        }
    ],
}


@dataclass(frozen=True)
class ClientOptions:
    """How to reach a Duta router.

    Attributes:
        address: `host:port` of the router (env `DUTA_ADDRESS`), or any gRPC target (`dns:///…`).
        timeout: default deadline of a call, in seconds.
        api_key: sent as `authorization: Bearer <key>` (env `DUTA_API_KEY`).
        tls: use TLS (implied by any of the certificate options).
        root_certificates: PEM file of the CA that signed the router's certificate (None: the
            system's roots).
        client_certificate, client_key: PEM files for mutual TLS.
        server_name: overrides the name checked against the router's certificate.
        max_attempts: attempts of a call refused as overloaded (RESOURCE_EXHAUSTED) or unavailable;
            1 disables every retry (gRPC's own too).
        metadata: extra metadata sent with every call.
    """

    address: str = field(default_factory=lambda: os.environ.get("DUTA_ADDRESS", DEFAULT_ADDRESS))
    timeout: float = 60.0
    api_key: str | None = field(default_factory=lambda: os.environ.get("DUTA_API_KEY") or None)
    tls: bool = False
    root_certificates: str | Path | None = None
    client_certificate: str | Path | None = None
    client_key: str | Path | None = None
    server_name: str | None = None
    max_attempts: int = 4
    metadata: tuple[tuple[str, str], ...] = ()

    @property
    def secure(self) -> bool:
        """True when the channel uses TLS."""
        return bool(self.tls or self.root_certificates or self.client_certificate)

    def channel_options(self) -> list[tuple[str, Any]]:
        """gRPC channel arguments: retries, keepalive, message sizes, TLS name override."""
        retries = self.max_attempts > 1
        options: list[tuple[str, Any]] = [
            ("grpc.service_config", json.dumps(_SERVICE_CONFIG if retries else {})),
            ("grpc.enable_retries", int(retries)),
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.keepalive_timeout_ms", 10_000),
            ("grpc.max_receive_message_length", 64 * 1024 * 1024),
            ("grpc.max_send_message_length", 64 * 1024 * 1024),
        ]
        if self.server_name:
            options.append(("grpc.ssl_target_name_override", self.server_name))
        return options

    def credentials(self) -> grpc.ChannelCredentials:
        """TLS credentials from the configured PEM files."""
        return grpc.ssl_channel_credentials(
            root_certificates=_read(self.root_certificates),
            private_key=_read(self.client_key),
            certificate_chain=_read(self.client_certificate),
        )

    def call_metadata(self, request_id: str | None = None) -> tuple[tuple[str, str], ...]:
        """Metadata of one call: the API key, the caller's extras, an optional request id."""
        metadata = list(self.metadata)
        if self.api_key:
            metadata.append(("authorization", f"Bearer {self.api_key}"))
        if request_id:
            metadata.append(("x-request-id", request_id))
        return tuple(metadata)


def _read(path: str | Path | None) -> bytes | None:
    return Path(path).read_bytes() if path else None
