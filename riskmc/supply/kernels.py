"""Compiled inner loop of the supply models: a batch of base-stock convoys, and the stock-out.

Between two changes of regime (a blackout, a stand-down, a lost cargo coming
in, a stock-out, the end of a phase), a stockpile is drawn down at a constant
rate, and a base-stock policy sends a convoy each time the stock position
(stock plus cargo on the road) falls one convoy below the level. The
departure days of a regime are therefore known in advance; :func:`feed_batch`
works them out, ships each convoy (:func:`riskmc.network.compiled.ship`), and
shortens the regime when something inside it changes the rules: a convoy hit
on the road (its lost cargo lowers the position when it arrives) or the
stock running out.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

from riskmc.network.compiled import ship, unpack

__all__ = ["feed_batch", "stockout"]


@nb.njit(cache=True, error_model="numpy")
def stockout(
    now: float,
    stock: float,
    rate: float,
    times: NDArray[np.float64],
    tonnes: NDArray[np.float64],
) -> float:
    """First day the stock is empty, drawing ``rate`` a day from ``now`` with deliveries.

    ``times``/``tonnes`` are deliveries still to come (any order). Returns
    ``inf`` when ``rate`` is 0.
    """
    if rate <= 0.0:
        return np.inf
    order = np.argsort(times, kind="mergesort")
    s = stock
    prev = now
    for k in order:
        t = times[k]
        if t > prev:
            left = s - rate * (t - prev)
            if left <= 0.0:
                return prev + s / rate
            s = left
            prev = t
        s += tonnes[k]
    return prev + s / rate


@nb.njit(cache=True, error_model="numpy")
def feed_batch(
    floats: NDArray[np.float64],
    ints: NDArray[np.int64],
    allow: NDArray[np.bool_],
    plan: NDArray[np.int64],
    source: int,
    target: int,
    now: float,
    stock: float,
    position: float,
    level: float,
    convoy_t: float,
    loss_share: float,
    rate: float,
    until: float,
    can_dispatch: bool,
    pending_t: NDArray[np.float64],
    pending_q: NDArray[np.float64],
) -> tuple[
    float,
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.int64],
]:
    """Convoys sent in the regime starting ``now`` and where the regime ends.

    ``floats`` and ``ints`` are the network, closures and attacks packed by
    :func:`riskmc.network.compiled.pack`.

    Returns ``(end, departs, arrive, waited, km, hits)``: the regime ends at
    ``until`` or earlier, at the arrival of a convoy that was hit or at a
    stock-out; the arrays hold the convoys that leave before ``end``.
    """
    net, closures, attacks = unpack(floats, ints)
    cap = 16
    departs = np.empty(cap)
    arrive = np.empty(cap)
    waited = np.empty(cap)
    km = np.empty(cap)
    hits = np.empty(cap, dtype=np.int64)
    n = 0
    end = until
    if can_dispatch:
        k = 1
        while True:
            short = position + k * convoy_t - level
            if rate > 0.0:
                t = now + max(0.0, short / rate)
            elif short <= 1e-9:
                t = now
            else:
                break
            if t >= end:
                break
            if n == cap:
                cap *= 2
                departs = np.concatenate((departs, np.empty(cap - n)))
                arrive = np.concatenate((arrive, np.empty(cap - n)))
                waited = np.concatenate((waited, np.empty(cap - n)))
                km = np.concatenate((km, np.empty(cap - n)))
                hits = np.concatenate((hits, np.empty(cap - n, dtype=np.int64)))
            a, w, d, h = ship(net, closures, attacks, allow, plan, source, target, t)
            departs[n] = t
            arrive[n] = a
            waited[n] = w
            km[n] = d
            hits[n] = h
            if h > 0 and a < end:
                end = a
            n += 1
            k += 1
    if rate > 0.0:
        times = np.concatenate((pending_t, arrive[:n]))
        tonnes = np.concatenate((pending_q, convoy_t * (1.0 - loss_share) ** hits[:n]))
        out = stockout(now, stock, rate, times, tonnes)
        if out < end:
            end = out
    m = 0
    while m < n and departs[m] < end:
        m += 1
    return end, departs[:m], arrive[:m], waited[:m], km[:m], hits[:m]
