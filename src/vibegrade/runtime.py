"""Process-level tuning for the vibegrade application: the CLI and the service (``vibegrade serve``).

Rendering allocates several frame-sized buffers (6-8 MB each at 1080p) per call. glibc serves such
requests with fresh ``mmap`` pages that are returned on ``free``, so every call pays page faults on
~50 MB of new memory: about 10 ms per 1080p render on these machines. Raising the mmap threshold and the
trim threshold makes glibc keep and reuse that memory instead. This is an application decision: importing
``vibegrade`` as a library never changes the allocator; :func:`tune_allocator` is called by the CLI.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_done = False


def tune_allocator(mmap_threshold: int = 256 * 1024 * 1024, trim_threshold: int = 512 * 1024 * 1024) -> bool:
    """Keep large freed buffers for reuse (glibc only; elsewhere a no-op). Returns True when applied."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or an unusual libc
        return False
    ok = bool(mallopt(_M_MMAP_THRESHOLD, mmap_threshold)) and bool(mallopt(_M_TRIM_THRESHOLD, trim_threshold))
    _done = ok
    return ok


def release_memory() -> bool:
    """Give freed heap memory back to the OS now (glibc ``malloc_trim``; elsewhere a no-op).

    :func:`tune_allocator` keeps freed buffers of up to 256 MB for reuse, in the arena of each thread that
    freed them; after grading a large image on a thread pool that can add up to hundreds of MB per thread.
    The service calls this after each large image, so that its memory stays within the decode budget.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.malloc_trim(0))
    except (OSError, AttributeError):
        return False


BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def limit_blas_threads(threads: int, *, override: bool = False) -> bool:
    """Ask BLAS/OpenMP for ``threads`` threads through the environment (``OPENBLAS_NUM_THREADS`` etc.).

    BLAS reads these when NumPy is first imported, so call this before that; child processes inherit
    them. Variables already set are kept unless ``override``. Returns False when NumPy was already
    imported in this process (then only child processes are affected).

    One thread per process is fastest for the service under concurrent requests: OpenBLAS's idle
    threads spin and take CPU from the renderer (docs/benchmarks.md, "Service").
    """
    import os

    for var in BLAS_THREAD_VARS:
        if override:
            os.environ[var] = str(threads)
        else:
            os.environ.setdefault(var, str(threads))
    return "numpy" not in sys.modules
