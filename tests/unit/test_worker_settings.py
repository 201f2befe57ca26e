"""Worker settings: environment prefix, defaults, validation; device resolution."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from duta.worker.engine import resolve_device
from duta.worker.settings import WorkerSettings, available_cores


def test_environment_prefix_and_types(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUTA_WORKER_MAX_WAIT_MS", "2.5")
    monkeypatch.setenv("DUTA_WORKER_MAX_QUEUE_TOKENS", "1234")
    monkeypatch.setenv("DUTA_WORKER_BATCHING", "false")
    settings = WorkerSettings()
    assert settings.max_wait_ms == 2.5
    assert settings.max_queue_tokens == 1234
    assert settings.batching is False


def test_default_threads_fill_the_cores_without_oversubscribing() -> None:
    settings = WorkerSettings()
    assert settings.inter_threads == available_cores()
    assert settings.intra_threads == 1


def test_settings_are_frozen_and_reject_unknown_or_bad_values() -> None:
    settings = WorkerSettings()
    with pytest.raises(ValidationError):
        settings.port = 1  # type: ignore[misc]
    with pytest.raises(ValidationError):
        WorkerSettings(max_batch_tokenz=10)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        WorkerSettings(beam_size=9)
    with pytest.raises(ValidationError):
        WorkerSettings(max_wait_ms=-1)


@pytest.mark.parametrize(
    ("device", "compute_type", "expected"),
    [
        ("cpu", "auto", ("cpu", "int8")),
        ("cuda", "auto", ("cuda", "int8_float16")),
        ("cpu", "float32", ("cpu", "float32")),
    ],
)
def test_compute_type_follows_the_device(device, compute_type, expected) -> None:
    assert resolve_device(device, compute_type) == expected


def test_auto_device_is_cpu_without_cuda() -> None:
    import ctranslate2

    expected = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    assert resolve_device("auto", "auto")[0] == expected
