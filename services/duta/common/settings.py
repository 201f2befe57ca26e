"""Settings loading shared by the services: environment variables, then an optional YAML file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
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
