"""A project's flags over time (stand-down, blackout, dispatch blocked, ...) in Numba.

The compiled twin of :class:`riskmc.supply.state.Timeline`: flag ``f`` is
set on the union of its spans; the timeline is the list of days where the
flags change (``bounds``) and the flags from each (``masks``). Built the same
way (one change per span end, counted per flag, the mask after all changes
at one day kept), so both engines cut the same regimes.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

__all__ = ["build_timeline", "flags_at", "time_with"]

#: Bits a timeline can hold (riskmc.supply.kernels: STANDDOWN .. REMOB).
_N_BITS = 8


@nb.njit(cache=True, error_model="numpy")
def build_timeline(
    starts: NDArray[np.float64], ends: NDArray[np.float64], flags: NDArray[np.int64], n: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """``(bounds, masks)`` of the first ``n`` spans ``(starts[i], ends[i])`` of flag ``flags[i]``.

    Spans with ``end <= start`` are ignored, as in the SimPy model.
    """
    times = np.empty(2 * n)
    bits = np.empty(2 * n, dtype=np.int64)
    steps = np.empty(2 * n, dtype=np.int64)
    m = 0
    for i in range(n):
        if ends[i] > starts[i]:
            times[m] = starts[i]
            bits[m] = flags[i]
            steps[m] = 1
            times[m + 1] = ends[i]
            bits[m + 1] = flags[i]
            steps[m + 1] = -1
            m += 2
    order = np.argsort(times[:m], kind="mergesort")
    count = np.zeros(_N_BITS, dtype=np.int64)
    bounds = np.empty(m)
    masks = np.empty(m, dtype=np.int64)
    k = 0
    mask = 0
    for j in range(m):
        i = order[j]
        t = times[i]
        f = bits[i]
        b = 0
        while (1 << b) != f:
            b += 1
        count[b] += steps[i]
        mask = mask | f if count[b] > 0 else mask & ~f
        if k > 0 and bounds[k - 1] == t:
            masks[k - 1] = mask
        else:
            bounds[k] = t
            masks[k] = mask
            k += 1
    return bounds[:k], masks[:k]


@nb.njit(cache=True, error_model="numpy")
def flags_at(bounds: NDArray[np.float64], masks: NDArray[np.int64], t: float) -> tuple[int, float]:
    """The flags at ``t`` and the next day they change (``inf`` if never)."""
    i = np.searchsorted(bounds, t, side="right") - 1
    mask = masks[i] if i >= 0 else 0
    nxt = bounds[i + 1] if i + 1 < bounds.shape[0] else np.inf
    return mask, nxt


@nb.njit(cache=True, error_model="numpy")
def time_with(
    bounds: NDArray[np.float64], masks: NDArray[np.int64], flag: int, start: float, end: float
) -> float:
    """Days of ``[start, end)`` with ``flag`` set."""
    total = 0.0
    for i in range(bounds.shape[0]):
        if masks[i] & flag:
            nxt = bounds[i + 1] if i + 1 < bounds.shape[0] else np.inf
            total += max(0.0, min(nxt, end) - max(bounds[i], start))
    return total
