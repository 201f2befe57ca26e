"""Settings loading shared by the services: environment variables, then an optional YAML file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import Field
from pydantic_settings import BaseSettings

from duta.common.errors import InvalidArgument

S = TypeVar("S", bound=BaseSettings)


def load_settings(cls: type[S], config_file: str | Path | None = None, **overrides: Any) -> S:
    """Builds a settings object: explicit overrides > environment > YAML file > defaults.

    Args:
        cls: the settings class (a pydantic-settings BaseSettings with an env prefix).
        config_file: optional YAML file whose top-level keys are the settings' field names.
        overrides: values from the command line; None values are ignored.
    """
    file_values: dict[str, Any] = {}
    if config_file:
        path = Path(config_file)
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidArgument(f"cannot read settings file {path}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise InvalidArgument(f"settings file {path} must hold a mapping at the top level")
        file_values = loaded
    explicit = {k: v for k, v in overrides.items() if v is not None}
    env_only = cls()  # environment and defaults
    env_set = {k: getattr(env_only, k) for k in env_only.model_fields_set}
    merged = {**file_values, **env_set, **explicit}
    return cls(**merged)


class ServiceSettings(BaseSettings):
    """What every Duta service shares: where it listens, metrics, TLS, drain, logging.

    Subclasses set their own environment prefix (`DUTA_ROUTER_`, `DUTA_WORKER_`).
    """

    host: str = "0.0.0.0"
    port: int = 50051
    metrics_port: int | None = Field(None, description="Prometheus HTTP port; None disables.")
    grace_seconds: float = Field(
        20.0, ge=0, description="SIGTERM: time to finish in-flight work after the drain delay."
    )
    drain_delay_seconds: float = Field(
        5.0,
        ge=0,
        description="SIGTERM: seconds of NOT_SERVING while still serving, so that load "
        "balancers and Kubernetes endpoints stop sending before the port closes.",
    )
    tls_cert_file: Path | None = Field(None, description="PEM certificate: serve TLS when set.")
    tls_key_file: Path | None = Field(None, description="PEM private key of tls_cert_file.")
    tls_client_ca_file: Path | None = Field(
        None, description="PEM CA: require client certificates signed by it (mutual TLS)."
    )
    log_level: str = "INFO"

    def server_tls(self) -> tuple[bytes, bytes, bytes | None] | None:
        """(certificate, key, client CA or None) when TLS is configured, else None."""
        if self.tls_cert_file is None:
            return None
        if self.tls_key_file is None:
            raise InvalidArgument("tls_cert_file is set but tls_key_file is not")
        ca = self.tls_client_ca_file.read_bytes() if self.tls_client_ca_file else None
        return self.tls_cert_file.read_bytes(), self.tls_key_file.read_bytes(), ca
