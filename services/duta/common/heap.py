"""glibc's heap through ctypes: give the memory malloc holds free back to the system.

After a large allocation is freed (a big batch, a word list read), glibc keeps the memory in
its arenas; `malloc_trim` returns it. Shared by the worker (after bursts) and language ID
(after reading its word lists); a no-op where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def libc() -> ctypes.CDLL | None:
    """glibc, or None where the C library has no mallopt/malloc_trim (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        lib = ctypes.CDLL(name or "libc.so.6")
        lib.mallopt  # noqa: B018 — glibc only (musl has no mallopt)
        lib.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return lib


def release() -> bool:
    """Gives the memory malloc holds free back to the system; False where it cannot."""
    lib = libc()
    if lib is None:
        return False
    lib.malloc_trim(0)
    return True
