"""A replication's events as the compiled project model reads them, in Numba.

The network packed with the replication's closures and attack pieces
(:func:`pack`, the layout of :func:`riskmc.network.compiled.pack`), and a
project's site schedule read off the event tables (:func:`schedule`:
blackouts of the site's and the port's districts, stand-downs after site
attacks, the suspensions and their remobilisations). Used by the chunk
engine (:mod:`riskmc.supply.compiled.chunk`).
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

from riskmc.supply import kernels as kern

__all__ = ["pack", "schedule", "sorted_rows"]


@nb.njit(cache=True, error_model="numpy")
def sorted_rows(
    key: NDArray[np.int64], start: NDArray[np.float64], lo: int, hi: int, keep: NDArray[np.bool_]
) -> NDArray[np.int64]:
    """Rows ``lo..hi-1`` (those with ``keep``) ordered by (key, start), stably (np.lexsort)."""
    m = 0
    for i in range(lo, hi):
        if keep[i]:
            m += 1
    rows = np.empty(m, dtype=np.int64)
    s = np.empty(m)
    m = 0
    for i in range(lo, hi):
        if keep[i]:
            rows[m] = i
            s[m] = start[i]
            m += 1
    rows = rows[np.argsort(s, kind="mergesort")]
    k = np.empty(m, dtype=np.int64)
    for i in range(m):
        k[i] = key[rows[i]]
    return rows[np.argsort(k, kind="mergesort")]


@nb.njit(cache=True, error_model="numpy")
def pack(
    net_f: NDArray[np.float64],
    net_i: NDArray[np.int64],
    head: NDArray[np.int64],
    clo_key: NDArray[np.int64],
    clo_start: NDArray[np.float64],
    clo_end: NDArray[np.float64],
    c_rows: NDArray[np.int64],
    pc_key: NDArray[np.int64],
    pc_start: NDArray[np.float64],
    a_rows: NDArray[np.int64],
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """:func:`riskmc.network.compiled.pack` of a replication's closures and attack pieces."""
    n = head[0]
    m, ma = c_rows.shape[0], a_rows.shape[0]
    floats = np.empty(net_f.shape[0] + 2 * m + 2 * ma)
    ints = np.empty(5 + net_i.shape[0] + 2 * (n + 1), dtype=np.int64)
    for i in range(net_f.shape[0]):
        floats[i] = net_f[i]
    f = net_f.shape[0]
    for i in range(m):
        floats[f + i] = clo_start[c_rows[i]]
        floats[f + m + i] = clo_end[c_rows[i]]
    f += 2 * m
    for i in range(ma):
        floats[f + i] = pc_start[a_rows[i]]
        floats[f + ma + i] = pc_start[a_rows[i]]
    ints[0], ints[1], ints[2], ints[3], ints[4] = n, head[1], head[2], m, ma
    for i in range(net_i.shape[0]):
        ints[5 + i] = net_i[i]
    i0 = 5 + net_i.shape[0]
    _ptr(clo_key, c_rows, n, ints, i0)
    _ptr(pc_key, a_rows, n, ints, i0 + n + 1)
    return floats, ints


@nb.njit(cache=True, error_model="numpy")
def _ptr(
    key: NDArray[np.int64], rows: NDArray[np.int64], n: int, out: NDArray[np.int64], at: int
) -> None:
    """Compressed-row pointers of ``rows`` (sorted by key) into ``out[at:at + n + 1]``."""
    k = 0
    for j in range(n + 1):
        while k < rows.shape[0] and key[rows[k]] < j:
            k += 1
        out[at + j] = k


@nb.njit(cache=True, error_model="numpy")
def schedule(
    site_d: int,
    port_d: int,
    standdown_build: float,
    standdown_ops: float,
    hit_days: NDArray[np.float64],
    blk_key: NDArray[np.int64],
    blk_start: NDArray[np.float64],
    blk_end: NDArray[np.float64],
    b0: int,
    b1: int,
    suspended: NDArray[np.float64],
    n_suspended: int,
    remob_days: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], int]:
    """The site schedule's spans and flags (``project.site_schedule``).

    ``hit_days`` are the days of the attacks on the site, in table order.
    """
    n_site = n_port = 0
    n_att = hit_days.shape[0]
    for b in range(b0, b1):
        if blk_key[b] == site_d and site_d >= 0:
            n_site += 1
        elif blk_key[b] == port_d and port_d >= 0 and port_d != site_d:
            n_port += 1
    cap = 2 * n_site + n_port + 2 * n_att + 2 * n_suspended
    s = np.empty(cap)
    e = np.empty(cap)
    f = np.empty(cap, dtype=np.int64)
    n = 0
    for b in range(b0, b1):
        if site_d >= 0 and blk_key[b] == site_d:
            s[n], e[n], f[n] = blk_start[b], blk_end[b], kern.BLACKOUT
            s[n + 1], e[n + 1], f[n + 1] = blk_start[b], blk_end[b], kern.BLOCKED
            n += 2
        elif port_d >= 0 and port_d != site_d and blk_key[b] == port_d:
            s[n], e[n], f[n] = blk_start[b], blk_end[b], kern.BLOCKED
            n += 1
    for a in range(n_att):
        t = hit_days[a]
        s[n], e[n], f[n] = t, t + standdown_build, kern.STANDDOWN
        s[n + 1], e[n + 1], f[n + 1] = t, t + standdown_ops, kern.OPS_STANDDOWN
        n += 2
    for j in range(n_suspended):
        s[n], e[n], f[n] = suspended[j, 0], suspended[j, 1], kern.SUSPENDED
        n += 1
    if remob_days > 0:
        for j in range(n_suspended):
            a, b = suspended[j, 0], suspended[j, 1]
            s[n], e[n], f[n] = b, b + min(remob_days, b - a), kern.REMOB
            n += 1
    return s, e, f, n
