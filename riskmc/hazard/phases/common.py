"""What the hazard kernel's phases share: codes, constants, output dtypes, small helpers.

The theta columns, event-distribution rows and codes of processes, targets,
causes and kinds; the records the kernel writes (:data:`ATTACK_DTYPE`,
:data:`SPAN_DTYPE`, ...); and the inlined helpers every phase uses to grow
its arrays, append an attack or a piece, and draw an event's duration.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from riskmc.hazard.attack_severity import ATTACK_FIELDS
from riskmc.hazard.rng import LOGNORMAL, ndtri_fast, sample_dist

# theta columns of the scalar parameters (riskmc.hazard.inputs.SCALARS).
G_MULT, G_DISP, G_N, G_DECAY, G_SPILL = 0, 1, 2, 3, 4
G_CRATE, G_CATT, G_CBLK = 5, 6, 7
G_PROAD, G_PRAIL, G_PROT, G_PBLK, G_PROV = 8, 9, 10, 11, 12
# event_dists rows (riskmc.hazard.inputs.EVENT_DISTS), then one per seizure.
E_ROAD, E_RAIL, E_PROT, E_BLK, E_PROV, E_CDUR, E_CBLK, E_SEIZE0 = 0, 1, 2, 3, 4, 5, 6, 7
# Codes of processes, targets, causes and kinds.
POISSON, NEGBIN, HAWKES = 0, 1, 2
ROAD, RAIL, SITE, OTHER = 0, 1, 2, 3
C_ATTACK, C_SEIZURE, C_PROTEST, C_CAMPAIGN, C_PROVINCE, C_STRESS = 0, 1, 2, 3, 4, 5
K_BACKGROUND, K_TRIGGERED, K_CAMPAIGN, K_STRESS = 0, 1, 2, 3

YEAR = 365.25
BURN_IN_DECAYS = 12.0
# Sub-counters of a mark stream: attack j's block (j, SUB_SPAN) holds its
# closure duration, segment and blackout duration uniforms; rejection sampling
# of those durations uses blocks (j, SUB_CLOSE ...) and (j, SUB_BLACKOUT ...).
# All apart from the sequential blocks (sub 0) of the same stream.
SUB_SPAN, SUB_CLOSE, SUB_BLACKOUT = 1, 2, 1 << 21
# Sub-counter for rejection sampling of a protest's or an order's duration.
SUB_EVENT = 1
# Buckets a day in the counting sort of attacks by time: finer buckets leave
# fewer attacks out of order for the insertion pass after it.
SORT_PER_DAY = 2
# Buckets a piece in the counting sort of closure and blackout pieces.
SPAN_BUCKETS = 2
# Unsigned constants for index arithmetic. Hot loops index arrays with
# unsigned integers where LLVM cannot prove an index non-negative: one read
# back from data (a sorted order, a district, a stream ordinal) or a counter
# that grows by 0 or 1. A signed index makes Numba test it for a negative
# value (Python's wraparound) at every access, and the tests added up to a
# tenth of the consequences step. uint64 and int64 are not mixed in one
# expression: Numba would compute it in floating point.
_U1, _U2, _U3, _U4, _U5 = (np.uint64(k) for k in range(1, 6))
_U32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
# Most Hawkes parents drawn together: a chunk of them has Poisson(n x CHUNK)
# children in all, a mean small enough for exp(-mean) to be a normal double
# and the inversion's search short.
CHUNK = 256
# A cap of the Poisson search, never reached in practice (the mean is below CHUNK).
MAX_POISSON = 1 << 16

# Output tables: packed records, one per event. Compact on purpose: an event
# table is written once and read once, so its bytes are its cost.
ATTACK_DTYPE = np.dtype(
    [
        *ATTACK_FIELDS,
        # the attack's ordinal in its mark row: its deaths and suspension uniforms are
        # drawn from it when needed (riskmc.hazard.attack_severity)
        ("seq", "<i4"),
    ]
)
SPAN_DTYPE = np.dtype(
    [("replication", "<i4"), ("key", "<i2"), ("start", "<f8"), ("end", "<f8"), ("cause", "i1")]
)
CAMPAIGN_DTYPE = np.dtype(
    [("replication", "<i4"), ("campaign", "<i4"), ("start", "<f8"), ("end", "<f8")]
)
# A district joining a campaign; the uniforms are -1 (not drawn) unless the district is
# watched (holds the site of a project with suspensions).
JOIN_DTYPE = np.dtype(
    [
        ("replication", "<i4"),
        ("campaign", "<i4"),
        ("district", "<i2"),
        ("day", "<f8"),
        ("u_suspend", "<f8"),
        ("u_days", "<f8"),
    ]
)
REGIME_DTYPE = np.dtype(
    [("replication", "<i4"), ("state", "<i2"), ("start", "<f8"), ("end", "<f8")]
)


# The growing of scratch and output arrays. The copies go element by element:
# an array assigned to a slice makes Numba compile the message of a shape
# mismatch at every place it is inlined, seconds of a cold start. The rare
# growing itself is a call, so that the hot loops inline only the test.


@nb.njit(cache=True, error_model="numpy")
def _grow_to(a: np.ndarray, n: int) -> np.ndarray:
    """A copy of ``a`` (2-D) with room for at least ``n`` rows (twice as many)."""
    b = np.empty((max(2 * n, 2 * a.shape[0]), a.shape[1]), dtype=a.dtype)
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            b[i, j] = a[i, j]
    return b


@nb.njit(cache=True, error_model="numpy")
def _grow_to1(a: np.ndarray, n: int) -> np.ndarray:
    """A copy of ``a`` (1-D, records too) with room for at least ``n`` (twice as many)."""
    b = np.empty(max(2 * n, 2 * a.shape[0]), dtype=a.dtype)
    for i in range(a.shape[0]):
        b[i] = a[i]
    return b


@nb.njit(cache=True, error_model="numpy", inline="always")
def _room(a: np.ndarray, n: int) -> np.ndarray:
    """``a`` itself if row ``n`` fits, else a copy with twice the rows (2-D)."""
    if n < a.shape[0]:
        return a
    return _grow_to(a, a.shape[0])


@nb.njit(cache=True, error_model="numpy", inline="always")
def _room1(a: np.ndarray, n: int) -> np.ndarray:
    """``a`` itself if element ``n`` fits, else a copy twice as long (1-D)."""
    if n < a.shape[0]:
        return a
    return _grow_to1(a, a.shape[0])


@nb.njit(cache=True, error_model="numpy", inline="always")
def _plain(x: int) -> int:
    """``x`` as a plain int64, never an integer literal.

    Numba compiles a callee once more for every integer literal passed to
    it, even the first value of a counter that a loop later widens to int64;
    each extra version cost a second or more of a cold start. Counters that
    are passed on start from ``_plain(0)``.
    """
    return int(np.int64(x))


@nb.njit(cache=True, error_model="numpy", inline="always")
def _event_draw(
    ed: np.ndarray,
    row: int,
    u: float,
    k0: np.uint64,
    k1: np.uint64,
    rep: np.uint64,
    stream: np.uint64,
    index: int,
    sub: int,
) -> float:
    code = int(ed[row, 0])
    if code == LOGNORMAL:  # the common case, inline: no call
        return float(ed[row, 1]) * math.exp(ed[row, 2] * ndtri_fast(u))
    # _plain: sample_dist is compiled once, not once per constant a caller passes.
    return sample_dist(
        code,
        ed[row, 1],
        ed[row, 2],
        ed[row, 3],
        ed[row, 4],
        u,
        k0,
        k1,
        rep,
        stream,
        _plain(index),
        _plain(sub),
    )


@nb.njit(cache=True, error_model="numpy", inline="always")
def _grow1(a: np.ndarray, n: int) -> np.ndarray:
    """``a`` itself if ``n`` elements fit, else a copy with room for ``2 n`` (1-D)."""
    if n <= a.shape[0]:
        return a
    return _grow_to1(a, n)


@nb.njit(cache=True, error_model="numpy", inline="always")
def _span(
    loc: np.ndarray, n: int, key: int, start: float, end: float, cause: int, horizon: float
) -> tuple[np.ndarray, int]:
    if start >= horizon or end <= start:
        return loc, n
    loc = _room(loc, n)
    loc[n, 0] = key
    loc[n, 1] = start
    loc[n, 2] = min(end, horizon)
    loc[n, 3] = cause
    return loc, n + 1


@nb.njit(cache=True, error_model="numpy", inline="always")
def _attack(
    loc: np.ndarray, n: int, t: float, d: int, kind: int, camp: int, target: int
) -> tuple[np.ndarray, int]:
    loc = _room(loc, n)
    loc[n, 0] = t
    loc[n, 1] = d
    loc[n, 2] = kind
    loc[n, 3] = camp
    loc[n, 4] = target
    return loc, n + 1
