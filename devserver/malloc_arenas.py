"""At most two glibc malloc arenas for `forge dev`'s processes.

glibc gives a thread that allocates while another holds the main arena an arena of its own, up to eight per core, and
keeps each one's freed memory for later. The emulation runs a thread per execution (about 90 at concurrency 32) and
the API workers a thread per waiting request, so each process held a dozen arenas' high-water marks (measured with
MALLOC_ARENA_MAX=2 on the webhook benchmark: 22 MB less for the emulation at rest, about 35 MB less for the whole
tree at concurrency 32, executions/s unchanged). Most of Python's allocations go to its own small-object allocator,
not malloc, and the interpreter lock lets one thread allocate at a time, so fewer arenas cost no throughput.
"""

from __future__ import annotations

import ctypes
import ctypes.util

# mallopt's parameter number for M_ARENA_MAX (glibc's malloc.h).
_M_ARENA_MAX = -8
ARENAS = 2


def limit_malloc_arenas() -> None:
    """Call it before the process starts a thread; processes forked after inherit it. Does nothing without glibc."""
    library = ctypes.util.find_library("c")
    if library is None:
        return
    try:
        mallopt = ctypes.CDLL(library).mallopt
    except (OSError, AttributeError):  # not glibc (macOS's libc has no mallopt)
        return
    mallopt(_M_ARENA_MAX, ARENAS)
