"""What bounds the worker's memory besides the batch budget: the allocators under CTranslate2.

On CPU, CTranslate2 allocates through glibc malloc. After a large batch (long sentences, big
beams) glibc keeps the freed memory in its arenas — one per thread that ever allocated, and
the mmap threshold rises to the largest block freed — so a worker that once ran a burst of
long inputs stays at its peak resident size for ever. The worker caps the arenas at start
and gives free memory back to the system whenever it goes idle (`malloc_trim`). A fixed low
mmap threshold would return memory too, but CTranslate2 then maps and faults its per-step
buffers afresh at every decoding step: measured 2–4× slower here, so it is not used.

On CUDA, CTranslate2 keeps freed device memory in a caching allocator (cub's), bounded by
`CT2_CUDA_CACHING_ALLOCATOR_CONFIG`; the worker sets it from its settings before the model
loads, unless the environment already does.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from duta.common.heap import libc, release

logger = logging.getLogger(__name__)

__all__ = ["configure", "cuda_allocator_config", "release", "resident_mb"]

_M_ARENA_MAX = -8  # glibc mallopt parameter (malloc.h)
# CTranslate2's defaults for the cub caching allocator, except the cache bound.
_CUB_BIN_GROWTH, _CUB_MIN_BIN, _CUB_MAX_BIN = 4, 3, 12
CUDA_ALLOCATOR_ENV = "CT2_CUDA_CACHING_ALLOCATOR_CONFIG"


def cuda_allocator_config(cache_mb: int) -> str:
    """The `CT2_CUDA_CACHING_ALLOCATOR_CONFIG` value that caps the cached device memory."""
    return f"{_CUB_BIN_GROWTH},{_CUB_MIN_BIN},{_CUB_MAX_BIN},{cache_mb * 2**20}"


def configure(malloc_arena_max: int, cuda_cache_mb: int) -> None:
    """Bounds the allocators; call once, before the model loads (the process's entry point)."""
    os.environ.setdefault(CUDA_ALLOCATOR_ENV, cuda_allocator_config(cuda_cache_mb))
    lib = libc()
    if lib is not None and malloc_arena_max > 0:
        lib.mallopt(_M_ARENA_MAX, malloc_arena_max)


def resident_mb() -> float:
    """This process's resident memory now, in MB (0 where /proc is absent)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1]) / 1024
