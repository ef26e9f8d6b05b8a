"""Compiled shipments: :meth:`CorridorNetwork.trip` in Numba, for the supply models' inner loop.

The Python method :meth:`riskmc.network.CorridorNetwork.trip` is the reference
and reads like the rules; :func:`ship` follows it step by step on arrays (same
arithmetic in the same order, same tie-breaking in the path search), and a test
checks that both give the same trips under random closures and attacks.

Arrays
------
The network is a :class:`NetArrays` tuple (:meth:`NetArrays.of`). A
replication's closures and attack days are in compressed-row form by segment
(:class:`SegmentTimes`): the rows of segment ``j`` are ``ptr[j]:ptr[j + 1]`` of
``start`` (and ``end``), sorted by start; merged closures do not overlap. Both
tuples and :func:`pack` live in :mod:`riskmc.network.arrays`, the connectivity
kernels (:func:`isolated_days`, :func:`held_at_source`) in
:mod:`riskmc.network.connectivity`; this module re-exports them.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numpy.typing import NDArray

from riskmc.network.arrays import NetArrays, SegmentTimes, pack
from riskmc.network.connectivity import held_at_source, isolated_days

__all__ = [
    "NetArrays",
    "SegmentTimes",
    "held_at_source",
    "held_at_source_packed",
    "isolated_days",
    "isolated_days_packed",
    "pack",
    "ship",
    "ship_held",
    "ship_many",
    "ship_many_packed",
    "unpack",
]

_ROAD_DAY_START = 0.25  # graph.ROAD_DAY_START, repeated here to keep the kernel self-contained


@nb.njit(cache=True, error_model="numpy")
def _road_arrival(window: float, depart: float, days: float) -> float:
    if days <= 0.0:
        return depart
    w = window
    day = math.floor(depart)
    x = day * w + min(max(depart - day - _ROAD_DAY_START, 0.0), w) + days
    k = math.ceil(x / w) - 1
    return k + _ROAD_DAY_START + (x - k * w)


@nb.njit(cache=True, error_model="numpy")
def _traverse(net: NetArrays, seg: int, depart: float, share: float) -> float:
    days = share * net.days[seg]
    if not net.ban[seg]:
        return float(depart + days)
    return _road_arrival(net.window, depart, days)


@nb.njit(cache=True, error_model="numpy")
def _reopens(c: SegmentTimes, seg: int, t: float) -> float:
    lo = c.ptr[seg]
    hi = c.ptr[seg + 1]
    if lo == hi:
        return t
    i = lo + np.searchsorted(c.start[lo:hi], t, side="right") - 1
    if i >= lo and t < c.end[i]:
        return float(c.end[i])
    return t


@nb.njit(cache=True, error_model="numpy")
def _arrival(net: NetArrays, route: NDArray[np.int64], n: int, t: float, c: SegmentTimes) -> float:
    for i in range(n):
        t = _traverse(net, route[i], _reopens(c, route[i], t), 1.0)
    return t


@nb.njit(cache=True, error_model="numpy")
def _arrival_open(net: NetArrays, route: NDArray[np.int64], n: int, t: float) -> float:
    for i in range(n):
        t = _traverse(net, route[i], t, 1.0)
    return t


@nb.njit(cache=True, error_model="numpy")
def _share_left(net: NetArrays, seg: int, entered: float, share: float, t: float) -> float:
    lo = 0.0
    hi = share
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if _traverse(net, seg, entered, mid) <= t:
            lo = mid
        else:
            hi = mid
    return share - lo


@nb.njit(cache=True, error_model="numpy")
def _dijkstra(
    net: NetArrays,
    source: int,
    target: int,
    allow: NDArray[np.bool_],
    closures: SegmentTimes,
    t: float,
    out: NDArray[np.int64],
    best: NDArray[np.float64],
    done: NDArray[np.bool_],
    prev_seg: NDArray[np.int64],
    prev_node: NDArray[np.int64],
) -> int:
    """Fastest path open at ``t`` into ``out``; returns its length, or -1 if there is none.

    Picks, at each step, the reached node with the least cost (ties: lowest
    index), as the heap of the Python version pops ``(cost, node)`` pairs. A
    segment closed at ``t`` is banned; it is looked up only when the search
    reaches it. ``best`` .. ``prev_node`` are scratch arrays of one entry per
    place.
    """
    n_places = len(net.node_ptr) - 1
    for v in range(n_places):
        best[v] = np.inf
        done[v] = False
        prev_seg[v] = -1
        prev_node[v] = -1
    best[source] = 0.0
    while True:
        u = -1
        cu = np.inf
        for v in range(n_places):
            if not done[v] and best[v] < cu:
                cu = best[v]
                u = v
        if u == -1 or u == target:
            break
        done[u] = True
        for k in range(net.node_ptr[u], net.node_ptr[u + 1]):
            seg = net.adj_seg[k]
            if not allow[seg]:
                continue
            v = net.adj_node[k]
            cost = cu + net.weight[seg]
            if cost < best[v] - 1e-12 and not _reopens(closures, seg, t) > t:
                best[v] = cost
                prev_seg[v] = seg
                prev_node[v] = u
    if not np.isfinite(best[target]):
        return -1
    n = 0
    node = target
    while node != source:
        out[n] = prev_seg[node]
        node = prev_node[node]
        n += 1
    out[:n] = out[:n][::-1].copy()
    return n


@nb.njit(cache=True, error_model="numpy")
def ship_held(
    net: NetArrays,
    closures: SegmentTimes,
    attacks: SegmentTimes,
    allow: NDArray[np.bool_],
    plan: NDArray[np.int64],
    source: int,
    target: int,
    depart: float,
) -> tuple[float, float, float, int, int, float, int, float]:
    """``(arrive, waited_days, km, hits, held_seg, held_until, hit_seg, hit_day)`` of a shipment.

    ``held_seg`` is the segment of the longest wait (-1 if none) and
    ``held_until`` the day that closure ended: what held the shipment most.
    ``hit_seg`` and ``hit_day`` are the segment and day of the first attack
    that hit it (-1 and 0 if none).

    The rules of :meth:`riskmc.network.CorridorNetwork.trip`: at departure and
    at each node facing a closed segment, go on (waiting) or take the fastest
    path open now, whichever arrives first; an attack on the segment being
    driven holds the shipment until the segment reopens.
    """
    # Most trips meet no closure and no attack on the planned path: one pass tells, and
    # then the trip is the plain traversal (what the general rules below come to).
    t = depart
    km = 0.0
    n = len(plan)
    for i in range(n):
        seg = plan[i]
        if _reopens(closures, seg, t) > t:
            break
        ahead = _traverse(net, seg, t, 1.0)
        lo = attacks.ptr[seg]
        hi = attacks.ptr[seg + 1]
        if hi > lo:
            j = lo + np.searchsorted(attacks.start[lo:hi], t, side="left")
            if j < hi and attacks.start[j] < ahead:
                break
        km += net.km[seg]
        t = ahead
    else:
        return t, 0.0, km, 0, -1, 0.0, -1, 0.0
    n_seg = len(net.km)
    route = np.empty(n_seg + 1, dtype=np.int64)
    route[:n] = plan
    pos = 0
    detour = np.empty(n_seg + 1, dtype=np.int64)
    n_places = len(net.node_ptr) - 1
    best = np.empty(n_places)
    done = np.empty(n_places, dtype=np.bool_)
    prev_seg = np.empty(n_places, dtype=np.int64)
    prev_node = np.empty(n_places, dtype=np.int64)
    node = source
    t = depart
    waited = 0.0
    km = 0.0
    hits = 0
    held_seg = -1
    held_until = 0.0
    hit_seg = -1
    hit_day = 0.0
    longest = 0.0
    decide = True
    while node != target:
        seg = route[pos]
        reopen = _reopens(closures, seg, t)
        if decide or reopen > t:
            decide = False
            rest = route[pos:n]
            stay = _arrival(net, rest, n - pos, t, closures)
            if stay > _arrival_open(net, rest, n - pos, t):
                m = _dijkstra(
                    net, node, target, allow, closures, t, detour, best, done, prev_seg, prev_node
                )
                if m >= 0:
                    same = m == n - pos
                    if same:
                        for i in range(m):
                            if detour[i] != route[pos + i]:
                                same = False
                                break
                    if not same and _arrival(net, detour, m, t, closures) < stay:
                        route[:m] = detour[:m]
                        n = m
                        pos = 0
                        continue
        if reopen > t:
            waited += reopen - t
            if reopen - t > longest:
                longest, held_seg, held_until = reopen - t, seg, reopen
            t = reopen
            continue
        start = t
        share = 1.0
        t = _traverse(net, seg, t, 1.0)
        lo = attacks.ptr[seg]
        hi = attacks.ptr[seg + 1]
        i = lo + np.searchsorted(attacks.start[lo:hi], start, side="left")
        while i < hi and attacks.start[i] < t:
            hit = attacks.start[i]
            hits += 1
            if hits == 1:
                hit_seg, hit_day = seg, hit
            share = _share_left(net, seg, start, share, hit)
            held = _reopens(closures, seg, hit)
            waited += held - hit
            if held - hit > longest:
                longest, held_seg, held_until = held - hit, seg, held
            start = held
            t = _traverse(net, seg, held, share)
            i = max(i + 1, lo + np.searchsorted(attacks.start[lo:hi], held, side="left"))
        km += net.km[seg]
        node = net.seg_to[seg] if net.seg_from[seg] == node else net.seg_from[seg]
        pos += 1
    return t, waited, km, hits, held_seg, held_until, hit_seg, hit_day


@nb.njit(cache=True, error_model="numpy")
def ship(
    net: NetArrays,
    closures: SegmentTimes,
    attacks: SegmentTimes,
    allow: NDArray[np.bool_],
    plan: NDArray[np.int64],
    source: int,
    target: int,
    depart: float,
) -> tuple[float, float, float, int]:
    """``(arrive, waited_days, km, hits)`` of one shipment along planned path ``plan``.

    The rules of :meth:`riskmc.network.CorridorNetwork.trip`: at departure and
    at each node facing a closed segment, go on (waiting) or take the fastest
    path open now, whichever arrives first; an attack on the segment being
    driven holds the shipment until the segment reopens.
    """
    arrive, waited, km, hits, _, _, _, _ = ship_held(
        net, closures, attacks, allow, plan, source, target, depart
    )
    return arrive, waited, km, hits


@nb.njit(cache=True, error_model="numpy")
def ship_many(
    net: NetArrays,
    closures: SegmentTimes,
    attacks: SegmentTimes,
    allow: NDArray[np.bool_],
    plan: NDArray[np.int64],
    source: int,
    target: int,
    departs: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """:func:`ship` for each departure day: arrays of arrive, waited, km and hits."""
    m = len(departs)
    arrive = np.empty(m)
    waited = np.empty(m)
    km = np.empty(m)
    hits = np.empty(m, dtype=np.int64)
    for k in range(m):
        arrive[k], waited[k], km[k], hits[k] = ship(
            net, closures, attacks, allow, plan, source, target, departs[k]
        )
    return arrive, waited, km, hits


@nb.njit(cache=True, error_model="numpy")
def held_at_source_packed(
    floats: NDArray[np.float64],
    ints: NDArray[np.int64],
    allow: NDArray[np.bool_],
    plan: NDArray[np.int64],
    source: int,
    target: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """:func:`held_at_source` on :func:`pack`'s arrays."""
    net, closures, _ = unpack(floats, ints)
    return held_at_source(net, closures, allow, plan, source, target)


@nb.njit(cache=True, error_model="numpy")
def unpack(
    floats: NDArray[np.float64], ints: NDArray[np.int64]
) -> tuple[NetArrays, SegmentTimes, SegmentTimes]:
    """Views of :func:`pack`'s arrays as the network, closures and attacks tuples."""
    n, n_places, n_links, m, ma = ints[0], ints[1], ints[2], ints[3], ints[4]
    f = 1
    i = 5
    net = NetArrays(
        ints[i : i + n],
        ints[i + n : i + 2 * n],
        floats[f : f + n],
        floats[f + n : f + 2 * n],
        floats[f + 2 * n : f + 3 * n],
        floats[f + 3 * n : f + 4 * n],
        floats[f + 4 * n : f + 5 * n],
        ints[i + 2 * n : i + 2 * n + n_places + 1],
        ints[i + 2 * n + n_places + 1 : i + 2 * n + n_places + 1 + n_links],
        ints[i + 2 * n + n_places + 1 + n_links : i + 2 * n + n_places + 1 + 2 * n_links],
        floats[0],
    )
    f += 5 * n
    i += 2 * n + n_places + 1 + 2 * n_links
    closures = SegmentTimes(ints[i : i + n + 1], floats[f : f + m], floats[f + m : f + 2 * m])
    f += 2 * m
    i += n + 1
    attacks = SegmentTimes(ints[i : i + n + 1], floats[f : f + ma], floats[f + ma : f + 2 * ma])
    return net, closures, attacks


@nb.njit(cache=True, error_model="numpy")
def ship_many_packed(
    floats: NDArray[np.float64],
    ints: NDArray[np.int64],
    allow: NDArray[np.bool_],
    plan: NDArray[np.int64],
    source: int,
    target: int,
    departs: NDArray[np.float64],
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.float64],
]:
    """:func:`ship_many` on :func:`pack`'s arrays, with each shipment's first hit.

    Returns arrays of arrive, waited, km, hits, and the segment and day of
    the first attack that hit each shipment (-1 and 0 if none).
    """
    net, closures, attacks = unpack(floats, ints)
    m = len(departs)
    arrive = np.empty(m)
    waited = np.empty(m)
    km = np.empty(m)
    hits = np.empty(m, dtype=np.int64)
    hit_seg = np.empty(m, dtype=np.int64)
    hit_day = np.empty(m)
    for k in range(m):
        arrive[k], waited[k], km[k], hits[k], _, _, hit_seg[k], hit_day[k] = ship_held(
            net, closures, attacks, allow, plan, source, target, departs[k]
        )
    return arrive, waited, km, hits, hit_seg, hit_day


@nb.njit(cache=True, error_model="numpy")
def isolated_days_packed(
    floats: NDArray[np.float64],
    ints: NDArray[np.int64],
    allow: NDArray[np.bool_],
    plan: NDArray[np.int64],
    source: int,
    target: int,
    t0: float,
    t1: float,
) -> float:
    """:func:`isolated_days` on :func:`pack`'s arrays."""
    net, closures, _ = unpack(floats, ints)
    return isolated_days(net, closures, allow, plan, source, target, t0, t1)
