"""A site stockpile fed by base-stock convoys, in Numba: shared by both engines.

Between two changes of regime (a blackout, a stand-down, a lost cargo coming
in, a stock-out, the end of a phase), a stockpile is drawn down at a constant
rate, and a base-stock policy sends a convoy each time the stock position
(stock plus cargo on the road) falls one convoy below the level. The
departure days of a regime are therefore known in advance; :func:`stockpile_plan`
works them out, ships each convoy (:func:`riskmc.network.compiled.ship`), and
shortens the regime when something inside it changes the rules: a convoy hit
on the road (its lost cargo lowers the position when it arrives) or the
stock running out.

A stockpile's state is a vector (the slots below) and its rows of convoys on
the road. The SimPy model holds them in :class:`riskmc.supply.state.Stockpile`,
the compiled engine in arrays (:mod:`riskmc.supply.compiled.project`); both
call these kernels, which :mod:`riskmc.supply.kernels` re-exports.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

from riskmc.network.compiled import ship_held, unpack

__all__ = [
    "EMPTY_T",
    "N_SLOTS",
    "PENDING_COLUMNS",
    "pile_plan",
    "stockout",
    "stockpile_advance",
    "stockpile_plan",
]


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


# Slots of a stockpile's state vector (see riskmc.supply.state.Stockpile).
STOCK, LEVEL, CONVOY_T, LOSS, RHO, N_PEND, DISPATCHED, DELIVERED, CONSUMED, LOST = range(10)
CONVOYS, LOSSES, DELAYED, DETOUR_TKM, DETOUR_PV, INITIAL, PLANNED_KM = range(10, 17)
NEXT_LOSSY, NEXT_ARRIVAL, IN_TRANSIT, CONVOYS_PV, BLOCK_HOLD, WAIT_DAYS, LOST_PV = range(17, 24)
BLOCK_CODE = 24  # what blocked dispatch last (a HELD_BY_* code), while BLOCK_HOLD > 0
N_SLOTS = 25
#: Columns of a stockpile's rows of convoys on the road.
PENDING_COLUMNS = 5
#: A stock below this many tonnes is empty.
EMPTY_T = 1e-6


@nb.njit(cache=True, error_model="numpy")
def _next_events(st: NDArray[np.float64], pend: NDArray[np.float64]) -> None:
    lossy = np.inf
    first = np.inf
    for k in range(int(st[N_PEND])):
        t = pend[k, 0]
        first = min(first, t)
        if pend[k, 1] < pend[k, 2]:
            lossy = min(lossy, t)
    st[NEXT_LOSSY] = lossy
    st[NEXT_ARRIVAL] = first


@nb.njit(cache=True, error_model="numpy")
def stockpile_plan(
    floats: NDArray[np.float64],
    ints: NDArray[np.int64],
    allow: NDArray[np.bool_],
    plan: NDArray[np.int64],
    source: int,
    target: int,
    st: NDArray[np.float64],
    pend: NDArray[np.float64],
    now: float,
    rate: float,
    until: float,
    can_dispatch: bool,
    block_hold: float,
    block_code: int,
) -> float:
    """Send a regime's convoys into a stockpile's state; returns when the regime ends.

    With no draw-down and an empty stock, the regime ends at the next
    delivery at the latest (convoys sent now included).

    ``st`` is the state vector (slots above) and ``pend`` the convoys on the
    road, one row ``(arrival day, tonnes arriving, tonnes loaded, held by
    segment, held until)`` each, the first ``st[N_PEND]`` rows valid; both
    are updated in place. What held a convoy most is the segment and end of
    its longest wait for a closure, or ``block_code`` (``HELD_BY_BLACKOUT``,
    ``HELD_BY_SUSPENSION``) when the convoy leaves ``now`` after dispatch was
    blocked ``block_hold`` days, longer. The regime
    ends at ``until``, at the earliest arrival of a hit convoy, or at a
    stock-out, whichever comes first; convoys leaving before that are kept.
    """
    net, closures, attacks = unpack(floats, ints)
    c = st[CONVOY_T]
    n_pend = int(st[N_PEND])
    cap = pend.shape[0]
    end = min(until, st[NEXT_LOSSY])
    position = st[STOCK] + st[IN_TRANSIT]
    departs = np.empty(cap - n_pend)
    waited = np.empty(cap - n_pend)
    km = np.empty(cap - n_pend)
    hits = np.empty(cap - n_pend, dtype=np.int64)
    n = 0
    if can_dispatch:
        while True:
            short = position + (n + 1) * c - st[LEVEL]
            if rate > 0.0:
                t = now + max(0.0, short / rate)
            elif short <= 1e-9:
                t = now
            else:
                break
            if t >= end:
                break
            if n_pend + n == cap:  # no room: end the regime here, the next one goes on
                end = t
                break
            a, w, d, h, held, held_until, _, _ = ship_held(
                net, closures, attacks, allow, plan, source, target, t
            )
            row = n_pend + n
            pend[row, 0] = a
            pend[row, 1] = c * (1.0 - st[LOSS]) ** h
            pend[row, 2] = c
            if t == now and block_hold > w:
                held, held_until = block_code, now
            pend[row, 3] = held
            pend[row, 4] = held_until
            departs[n] = t
            waited[n] = w
            km[n] = d
            hits[n] = h
            if h > 0 and a < end:
                end = a
            n += 1
    if rate > 0.0:
        out = stockout(now, st[STOCK], rate, pend[: n_pend + n, 0], pend[: n_pend + n, 1])
        if out < end:
            end = out
    m = 0
    while m < n and departs[m] < end:
        m += 1
    for k in range(m):
        detour = km[k] - st[PLANNED_KM]
        st[CONVOYS] += 1.0
        st[CONVOYS_PV] += np.exp(-st[RHO] * departs[k])
        st[WAIT_DAYS] += waited[k]
        if hits[k] > 0:
            st[LOSSES] += 1.0
        if waited[k] > 0.0 or detour != 0.0:
            st[DELAYED] += 1.0
        if detour != 0.0:
            st[DETOUR_TKM] += c * detour
            st[DETOUR_PV] += c * detour * np.exp(-st[RHO] * departs[k])
    st[DISPATCHED] += m * c
    st[IN_TRANSIT] += m * c
    st[N_PEND] = n_pend + m
    _next_events(st, pend)
    if rate <= 0.0 and st[STOCK] <= EMPTY_T:
        # an empty stock waits for the next delivery, maybe one sent just now
        end = min(end, st[NEXT_ARRIVAL])
    return float(end)


@nb.njit(cache=True, error_model="numpy")
def stockpile_advance(
    st: NDArray[np.float64], pend: NDArray[np.float64], now: float, end: float, rate: float
) -> float:
    """Deliveries up to ``end`` and the draw-down at ``rate`` since ``now``; returns tonnes used."""
    n = int(st[N_PEND])
    k = 0
    while k < n:
        if pend[k, 0] <= end:
            st[STOCK] += pend[k, 1]
            st[DELIVERED] += pend[k, 1]
            lost = pend[k, 2] - pend[k, 1]
            st[LOST] += lost
            # valued when the convoy arrives short, discounted to day 0 like CONVOYS_PV
            st[LOST_PV] += lost * np.exp(-st[RHO] * pend[k, 0])
            st[IN_TRANSIT] -= pend[k, 2]
            n -= 1
            pend[k, :] = pend[n, :]
        else:
            k += 1
    st[N_PEND] = n
    if n == 0:
        st[IN_TRANSIT] = 0.0  # no rounding residue once nothing is on the road
    used = rate * (end - now)
    st[STOCK] -= used
    if st[STOCK] < 0.0:  # rounding at a stock-out
        used += st[STOCK]
        st[STOCK] = 0.0
    st[CONSUMED] += used
    _next_events(st, pend)
    return used


@nb.njit(cache=True, error_model="numpy")
def pile_plan(
    floats: NDArray[np.float64],
    ints: NDArray[np.int64],
    allow: NDArray[np.bool_],
    plan: NDArray[np.int64],
    source: int,
    target: int,
    st: NDArray[np.float64],
    pend: NDArray[np.float64],
    now: float,
    rate: float,
    until: float,
    can_dispatch: bool,
    hold_code: int,
) -> float:
    """One regime of a stockpile: :func:`stockpile_plan`, keeping count of blocked dispatch.

    ``st[BLOCK_HOLD]`` is how long dispatch has been blocked up to ``now``:
    the first convoy to leave after a block learns it (what held it), and
    a blocked regime adds its length. ``hold_code`` is what blocks this
    regime's dispatch when ``can_dispatch`` is false (``HELD_BY_BLACKOUT``,
    ``HELD_BY_SUSPENSION``); the last block's code is the one the convoy learns.
    """
    hold = st[BLOCK_HOLD]
    code = int(st[BLOCK_CODE])
    st[BLOCK_HOLD] = 0.0
    if rate <= 0.0 and (
        not can_dispatch or st[STOCK] + st[IN_TRANSIT] + st[CONVOY_T] > st[LEVEL] + 1e-9
    ):
        # nothing drawn and nothing to send: the regime ends at its limit, at a hit
        # convoy's arrival, or, with the stock empty, at the next delivery
        end = min(until, st[NEXT_LOSSY])
        if st[STOCK] <= EMPTY_T:
            end = min(end, st[NEXT_ARRIVAL])
    else:
        end = stockpile_plan(
            floats,
            ints,
            allow,
            plan,
            source,
            target,
            st,
            pend,
            now,
            rate,
            until,
            can_dispatch,
            hold,
            code,
        )
    if not can_dispatch:
        st[BLOCK_HOLD] = hold + (end - now)
        st[BLOCK_CODE] = hold_code
    return float(end)
