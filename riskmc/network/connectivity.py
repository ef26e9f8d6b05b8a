"""Compiled connectivity under closures: when two places are cut apart, and for how long.

:func:`isolated_days` counts the days a site cannot reach its port by any open
path; :func:`held_at_source` gives the spans when a shipment cannot leave its
origin. Both sweep a replication's closures (:class:`~riskmc.network.arrays.SegmentTimes`)
in time order and search the network (:class:`~riskmc.network.arrays.NetArrays`)
only when the planned path is closed.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

from riskmc.network.arrays import NetArrays, SegmentTimes

__all__ = ["held_at_source", "isolated_days"]


@nb.njit(cache=True, error_model="numpy")
def _connected(
    net: NetArrays,
    allow: NDArray[np.bool_],
    closed: NDArray[np.int64],
    source: int,
    target: int,
    seen: NDArray[np.bool_],
    stack: NDArray[np.int64],
) -> bool:
    """Whether an open path of allowed segments joins the places (``seen``, ``stack``: scratch)."""
    n_places = len(net.node_ptr) - 1
    for v in range(n_places):
        seen[v] = False
    stack[0] = source
    seen[source] = True
    top = 1
    while top > 0:
        top -= 1
        u = stack[top]
        if u == target:
            return True
        for k in range(net.node_ptr[u], net.node_ptr[u + 1]):
            seg = net.adj_seg[k]
            v = net.adj_node[k]
            if allow[seg] and closed[seg] == 0 and not seen[v]:
                seen[v] = True
                stack[top] = v
                top += 1
    return False


@nb.njit(cache=True, error_model="numpy")
def _closure_changes(
    net: NetArrays, closures: SegmentTimes, allow: NDArray[np.bool_], t0: float, t1: float
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Starts (+1) and ends (-1) of the allowed segments' closures within ``[t0, t1)``.

    Returns ``(times, segments, deltas, order)``, ``order`` sorting the times (stable).
    """
    m = len(closures.start)
    times = np.empty(2 * m)
    segs = np.empty(2 * m, dtype=np.int64)
    delta = np.empty(2 * m, dtype=np.int64)
    k = 0
    for j in range(len(net.km)):
        if not allow[j]:
            continue
        for i in range(closures.ptr[j], closures.ptr[j + 1]):
            s = max(closures.start[i], t0)
            e = min(closures.end[i], t1)
            if e > s:
                times[k] = s
                segs[k] = j
                delta[k] = 1
                times[k + 1] = e
                segs[k + 1] = j
                delta[k + 1] = -1
                k += 2
    return times, segs, delta, np.argsort(times[:k], kind="mergesort")


@nb.njit(cache=True, error_model="numpy")
def isolated_days(
    net: NetArrays,
    closures: SegmentTimes,
    allow: NDArray[np.bool_],
    plan: NDArray[np.int64],
    source: int,
    target: int,
    t0: float,
    t1: float,
) -> float:
    """Days of ``[t0, t1)`` when no open path of allowed segments joins ``source`` and ``target``.

    Sweeps the closures' starts and ends; between two of them, connectivity
    is checked (depth-first search) only when a segment of the planned path
    ``plan`` is closed, since an open planned path joins the two places.
    """
    n_seg = len(net.km)
    times, segs, delta, order = _closure_changes(net, closures, allow, t0, t1)
    k = len(order)
    on_plan = np.zeros(n_seg, dtype=np.bool_)
    for j in plan:
        on_plan[j] = True
    closed = np.zeros(n_seg, dtype=np.int64)
    n_places = len(net.node_ptr) - 1
    seen = np.empty(n_places, dtype=np.bool_)
    stack = np.empty(n_places, dtype=np.int64)
    plan_closed = 0
    total = 0.0
    linked = True  # connected after the changes so far (nothing is closed before the first)
    i = 0
    while i < k:
        t = times[order[i]]
        opened = shut = False
        while i < k and times[order[i]] == t:
            j = segs[order[i]]
            closed[j] += delta[order[i]]
            if delta[order[i]] > 0:
                shut = True
            else:
                opened = True
            if on_plan[j]:
                plan_closed += delta[order[i]]
            i += 1
        if plan_closed == 0:
            linked = True
        elif (linked and not shut) or (not linked and not opened):
            pass  # an opening cannot cut the places apart, a closing cannot join them
        elif i < k:
            linked = _connected(net, allow, closed, source, target, seen, stack)
        else:
            break  # the last change: no interval follows
        if i < k and plan_closed > 0 and not linked:
            total += times[order[i]] - t
    return total


@nb.njit(cache=True, error_model="numpy")
def held_at_source(
    net: NetArrays,
    closures: SegmentTimes,
    allow: NDArray[np.bool_],
    plan: NDArray[np.int64],
    source: int,
    target: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Spans when a shipment from ``source`` to ``target`` cannot leave ``source``.

    That is, the planned path's first segment is closed and no open path of
    allowed segments joins the two places (else the shipment reroutes, as
    :func:`ship` does). Returns the spans' starts and ends, in order, with
    touching spans joined.
    """
    n_seg = len(net.km)
    first = plan[0]
    times, segs, delta, order = _closure_changes(net, closures, allow, -np.inf, np.inf)
    k = len(order)
    closed = np.zeros(n_seg, dtype=np.int64)
    n_places = len(net.node_ptr) - 1
    seen = np.empty(n_places, dtype=np.bool_)
    stack = np.empty(n_places, dtype=np.int64)
    starts = np.empty(k)
    ends = np.empty(k)
    n = 0
    i = 0
    while i < k:
        t = times[order[i]]
        while i < k and times[order[i]] == t:
            closed[segs[order[i]]] += delta[order[i]]
            i += 1
        if (
            i < k
            and closed[first] > 0
            and not _connected(net, allow, closed, source, target, seen, stack)
        ):
            nxt = times[order[i]]
            if n > 0 and ends[n - 1] == t:
                ends[n - 1] = nxt
            else:
                starts[n] = t
                ends[n] = nxt
                n += 1
    return starts[:n], ends[:n]
