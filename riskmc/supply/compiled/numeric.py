"""Numeric helpers of the compiled project model: tables that grow, NumPy's sums, discounting."""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numpy.typing import NDArray

__all__ = ["daily_rate", "grow", "pairwise_sum"]


@nb.njit(cache=True, error_model="numpy")
def grow(a: NDArray[np.float64]) -> NDArray[np.float64]:
    """A copy of table ``a`` with twice its rows, the new ones zero."""
    out = np.zeros((2 * a.shape[0], a.shape[1]))
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[i, j] = a[i, j]
    return out


@nb.njit(cache=True, error_model="numpy")
def _block_sum(a: NDArray[np.float64], lo: int, n: int) -> float:
    """NumPy's sum of at most 128 numbers: eight lanes, then the rest in order."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return float(res)
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - (n % 8):
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return float(res)


@nb.njit(cache=True, error_model="numpy")
def pairwise_sum(a: NDArray[np.float64], lo: int, n: int) -> float:
    """``a[lo:lo + n].sum()`` added up as NumPy adds it: halves (cut at a multiple of
    eight) summed apart down to blocks of 128 (:func:`_block_sum`).

    The SimPy model sums its road export convoys with NumPy; the same order
    here keeps residual columns (a difference of two large sums) equal too.
    Without recursion: a recursive function loaded from Numba's cache crashed
    its callers (Numba 0.68).
    """
    if n <= 128:
        return _block_sum(a, lo, n)
    depth = 64  # halving from 2**63 items
    los = np.empty(depth, dtype=np.int64)
    ns = np.empty(depth, dtype=np.int64)
    stage = np.zeros(depth, dtype=np.int64)
    vals = np.empty(depth + 1)
    top, nv = 0, 0
    los[0], ns[0] = lo, n
    while top >= 0:
        m = ns[top]
        if m <= 128:
            vals[nv] = _block_sum(a, los[top], m)
            nv += 1
            top -= 1
            continue
        half = m // 2
        half -= half % 8
        if stage[top] == 0:  # the first half
            stage[top] = 1
            los[top + 1], ns[top + 1], stage[top + 1] = los[top], half, 0
            top += 1
        elif stage[top] == 1:  # the second half
            stage[top] = 2
            los[top + 1], ns[top + 1], stage[top + 1] = los[top] + half, m - half, 0
            top += 1
        else:  # both done: their sum
            vals[nv - 2] = vals[nv - 2] + vals[nv - 1]
            nv -= 1
            top -= 1
    return float(vals[0])


@nb.njit(cache=True, error_model="numpy")
def daily_rate(rate_per_year: float) -> float:
    """:func:`riskmc.supply.plans.daily_rate`."""
    return math.log1p(rate_per_year) / 365.25
