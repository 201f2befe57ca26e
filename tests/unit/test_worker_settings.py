"""Worker settings: environment prefix, defaults, validation; device resolution."""

from __future__ import annotations

import subprocess
import sys

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


def test_batching_defaults_bound_a_batch_by_tokens_times_beam() -> None:
    settings = WorkerSettings()
    assert settings.max_batch_tokens == 2048  # ≈ 90 kB per unit: ≈ 180 MB per replica at most
    assert settings.max_wait_ms == 20.0


def test_gpu_path_one_replica_unless_set_and_a_bounded_device_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from duta.worker import memory

    assert resolve_device("cuda", "auto") == ("cuda", "int8_float16")
    assert WorkerSettings(inter_threads=3).replicas("cpu") == 3
    assert WorkerSettings().replicas("cpu") == available_cores()
    assert WorkerSettings().replicas("cuda") == 1  # replicas on one GPU share it: one
    assert WorkerSettings(inter_threads=2).replicas("cuda") == 2  # unless asked for
    monkeypatch.setenv("DUTA_WORKER_CUDA_CACHE_MB", "64")
    settings = WorkerSettings()
    monkeypatch.delenv(memory.CUDA_ALLOCATOR_ENV, raising=False)
    memory.configure(settings.malloc_arena_max, settings.cuda_cache_mb)
    # bin_growth, min_bin, max_bin (CTranslate2's defaults), then the cache bound in bytes
    assert memory.os.environ[memory.CUDA_ALLOCATOR_ENV] == f"4,3,12,{64 * 2**20}"
    monkeypatch.setenv(memory.CUDA_ALLOCATOR_ENV, "8,3,10,1000")
    memory.configure(settings.malloc_arena_max, settings.cuda_cache_mb)
    assert memory.os.environ[memory.CUDA_ALLOCATOR_ENV] == "8,3,10,1000"  # the operator's wins


def test_memory_is_given_back_where_glibc_allows() -> None:
    from duta.worker import memory

    assert memory.release() is True  # glibc (the images are Debian-based)
    assert memory.resident_mb() > 0


_ARENAS = """
import ctypes, sys, tempfile, threading
from pathlib import Path
from duta.common.heap import libc
from duta.worker import memory

memory.configure(int(sys.argv[1]), 200)  # as the worker's entry point does, before threads
barrier, kept = threading.Barrier(8), []

def allocate():  # eight threads malloc at once: glibc would give each an arena of its own
    barrier.wait()
    kept.append([bytearray(100_000) for _ in range(20)])
    barrier.wait()

threads = [threading.Thread(target=allocate) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
lib = libc()
lib.fopen.restype, lib.fopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_char_p]
lib.malloc_info.argtypes, lib.fclose.argtypes = [ctypes.c_int, ctypes.c_void_p], [ctypes.c_void_p]
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "malloc_info.xml"
    stream = lib.fopen(str(path).encode(), b"w")
    lib.malloc_info(0, stream)
    lib.fclose(stream)
    print(path.read_text().count("<heap nr="))
"""


def _arenas(malloc_arena_max: int) -> int:
    argv = [sys.executable, "-c", _ARENAS, str(malloc_arena_max)]
    return int(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)


def test_malloc_arena_max_caps_the_arenas_however_many_threads_allocate() -> None:
    assert _arenas(0) > 2  # glibc's default: an arena per allocating thread (up to 8 per core)
    assert _arenas(WorkerSettings().malloc_arena_max) == 2  # the worker's default cap
    assert _arenas(1) == 1
