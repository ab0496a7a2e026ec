"""Giving freed memory back to the operating system.

glibc keeps memory freed by small and medium allocations in its heaps for reuse; after a
model is unloaded or a huge document closed that can be hundreds of MB the process no longer
uses, but still holds. ``malloc_trim`` returns the free pages. And glibc raises its threshold
for serving a block from its own mapping each time such a block is freed, so the next copy of a
20 MB document lands inside a thread's heap, whose free top ``malloc_trim`` does not return:
the threshold is fixed instead. (On other C libraries there is nothing to do.)
"""

from __future__ import annotations

import ctypes
import logging
from functools import cache
from typing import Any

log = logging.getLogger(__name__)


@cache
def _libc() -> Any:
    # The process's own symbols: glibc's when it runs on glibc. (ctypes.util.find_library
    # would start /sbin/ldconfig, a process the server has no business starting.)
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h
LARGE_BLOCK = 4 << 20  # blocks this large always get a mapping of their own, unmapped on free


def fix_large_block_threshold() -> bool:
    """Serve every block of ``LARGE_BLOCK`` or more from a mapping of its own (so freeing it
    returns it to the system at once); call once at start-up."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    return bool(libc.mallopt(ctypes.c_int(M_MMAP_THRESHOLD), ctypes.c_int(LARGE_BLOCK)))


def release_freed_memory() -> bool:
    """Return the C heap's free pages to the system; False where that is not possible."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(ctypes.c_size_t(0))
    return True
