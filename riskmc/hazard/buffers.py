"""Memory for the hazard kernel's output tables, lent again once nothing refers to it.

:func:`riskmc.sample_hazard` takes each block's output buffers from the pool
here and gives them back after the block; :func:`release_buffers` hands the
memory kept back to the system.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import threading

import numpy as np
from numpy.typing import NDArray

__all__ = ["release_buffers"]


class _Buffers:
    """Memory for the kernels' output tables, lent again once nothing refers to it.

    The first touch of fresh memory is dear on a virtual machine: the system
    zeroes every page. Sampling 1,024 replications of the default scenario
    (16 blocks, tables kept until the end) took about a tenth longer with fresh
    memory than with memory touched before (measured in one process, best of
    7: 261 ms against 236). glibc hands large freed blocks back to the system,
    so a loop that samples, uses and drops its sample (the engine chunk after
    chunk, the benchmark) paid that every time.

    The pool keeps the buffers it made, up to ``limit`` bytes. A buffer is lent
    again only when its reference count shows that the pool's list is all that
    refers to it: the tables handed out are views of it, and a view holds a
    reference to the array it views (as does every slice, field or column made
    from it), so no table that is still reachable is ever written over. This
    needs exact reference counts, i.e. CPython with the GIL; elsewhere every
    block gets fresh memory.
    """

    #: Buffers smaller than this are left to the allocator (no page to save).
    SMALLEST = 1 << 16

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: list[NDArray[np.uint8]] = []
        self._lock = threading.Lock()
        self.enabled = sys.implementation.name == "cpython" and not sysconfig.get_config_var(
            "Py_GIL_DISABLED"
        )
        # The count of a buffer held by the list alone, read the way take() reads it.
        self._held.append(np.empty(self.SMALLEST, dtype=np.uint8))
        self._alone = self._refs(0)
        self._held.clear()

    def _refs(self, i: int) -> int:
        return sys.getrefcount(self._held[i])

    @property
    def held_bytes(self) -> int:
        return sum(b.nbytes for b in self._held)

    def take(self, n: int, dtype: np.dtype[np.void]) -> tuple[NDArray[np.uint8], NDArray[np.void]]:
        """Room for ``n`` records: the raw buffer (for :meth:`give`), and the records."""
        nbytes = n * dtype.itemsize
        if self.enabled and nbytes >= self.SMALLEST:
            with self._lock:
                best = -1
                for i in range(len(self._held)):
                    size = self._held[i].nbytes
                    fits = size >= nbytes and (best < 0 or size < self._held[best].nbytes)
                    if fits and self._refs(i) == self._alone:
                        best = i
                if best >= 0:
                    raw = self._held.pop(best)
                    return raw, raw[:nbytes].view(dtype)
        raw = np.empty(nbytes, dtype=np.uint8)
        return raw, raw.view(dtype)

    def give(self, raw: NDArray[np.uint8]) -> None:
        """Keep ``raw`` for later (while the pool has room); views of it may live on."""
        if not self.enabled or raw.nbytes < self.SMALLEST:
            return
        with self._lock:
            if self.held_bytes + raw.nbytes <= self.limit:
                self._held.append(raw)

    def clear(self) -> int:
        """Forget every buffer (the memory goes when its last table goes); the bytes held."""
        with self._lock:
            held = sum(b.nbytes for b in self._held)
            self._held.clear()
        return held


#: The output buffers of every sample_hazard call in this process.
_BUFFERS = _Buffers(limit=256 << 20)


def release_buffers() -> int:
    """Let go of the memory kept for later samples' tables; the bytes let go.

    :func:`riskmc.sample_hazard` keeps the memory of tables that are no longer used
    (up to 256 MiB a process) to write the next sample into; a program done
    sampling can hand it back. Tables still in use are not affected.
    """
    return _BUFFERS.clear()


def _after_fork_in_child() -> None:
    # A fork copies the lock as it was: held, if another thread was lending.
    _BUFFERS._lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)
