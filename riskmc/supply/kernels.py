"""Compiled inner loop of the supply models: operations regimes, shared by both engines.

:func:`operate_step` is one regime of a mine in operations, whole: it books
the regime that just ended (stocks, storage, output, exports) and works out
the next one (its rates, its convoys, when it ends). The SimPy process of
:mod:`riskmc.supply.model` calls it once per event and sleeps until the end
it returns; the compiled engine (:mod:`riskmc.supply.compiled.project`) calls
it in a loop. Its state is two small vectors and three tables (see the slots
below). The stockpiles' kernels (base-stock convoys and stock-outs:
:func:`stockpile_plan`, :func:`pile_plan`, :func:`stockpile_advance`) live in
:mod:`riskmc.supply.stockpile` and are re-exported here, with the codes and
flags both models share.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numpy.typing import NDArray

from riskmc.network.compiled import _reopens, unpack
from riskmc.supply.stockpile import (
    BLOCK_CODE,
    BLOCK_HOLD,
    CONSUMED,
    CONVOY_T,
    CONVOYS,
    CONVOYS_PV,
    DELAYED,
    DELIVERED,
    DETOUR_PV,
    DETOUR_TKM,
    DISPATCHED,
    EMPTY_T,
    IN_TRANSIT,
    INITIAL,
    LEVEL,
    LOSS,
    LOSSES,
    LOST,
    LOST_PV,
    N_PEND,
    N_SLOTS,
    NEXT_ARRIVAL,
    NEXT_LOSSY,
    PENDING_COLUMNS,
    PLANNED_KM,
    RHO,
    STOCK,
    WAIT_DAYS,
    pile_plan,
    stockout,
    stockpile_advance,
    stockpile_plan,
)

__all__ = [
    "BLOCK_CODE",
    "BLOCK_HOLD",
    "CONSUMED",
    "CONVOYS",
    "CONVOYS_PV",
    "CONVOY_T",
    "DELAYED",
    "DELIVERED",
    "DETOUR_PV",
    "DETOUR_TKM",
    "DISPATCHED",
    "EMPTY_T",
    "HELD_BY_BLACKOUT",
    "HELD_BY_SUSPENSION",
    "INITIAL",
    "IN_TRANSIT",
    "LEVEL",
    "LOSS",
    "LOSSES",
    "LOST",
    "LOST_PV",
    "NEXT_ARRIVAL",
    "NEXT_LOSSY",
    "N_OPS_PARAMS",
    "N_OPS_SLOTS",
    "N_PEND",
    "N_SLOTS",
    "PENDING_COLUMNS",
    "PLANNED_KM",
    "RHO",
    "STOCK",
    "WAIT_DAYS",
    "pile_plan",
    "stockout",
    "stockpile_advance",
    "stockpile_plan",
]

#: "Held by" code of a convoy whose dispatch a blackout held.
HELD_BY_BLACKOUT = -2
#: "Held by" codes of lost output (beside a segment index): the tail of an earlier
#: disruption, a stand-down after a site attack, and no disruption (e.g. export capacity).
HELD_BY_NOTHING, HELD_BY_SITE_ATTACK, HELD_BY_CAPACITY = -1, -3, -5
#: "Held by" code of a suspension (SPEC 3b): the site closed, or remobilizing after it.
HELD_BY_SUSPENSION = -6
#: Flags of a project's timeline (bits of its masks).
STANDDOWN, BLACKOUT, BLOCKED, EXPORT_CLOSED, OPS_STANDDOWN = 1, 2, 4, 8, 16
SUSPENDED, REMOB = 32, 64
#: Share of the work and output while remobilizing after a suspension.
REMOB_SHARE = 0.5


# Operations: constants (``par``) and state (``ost``) of operate_step.
P_OUTPUT, P_CONSUMABLES, P_CAP, P_RAIL, P_TRAIN_RATE, P_PRICE, P_RHO = range(7)
P_LOAD, P_RAMPED, P_FIRST, P_RAMP_DAYS, P_RAMP_STEP, P_END, P_COMMS = range(7, 14)
P_SURGE_RATE = 14
N_OPS_PARAMS = 15
O_STORAGE, O_PRODUCED, O_IDLE, O_EXPORTED, O_EXPORT_PV, O_N_FLOWS, O_N_DEPARTS = range(7)
O_PENDING, O_NOW, O_END, O_USE, O_Q, O_FULL_Q, O_OUT, O_D_STORAGE = range(7, 15)
O_T_LEVEL, O_LEVEL, O_START, O_ROAD_OUT = range(15, 19)
O_POTENTIAL, O_N_LOST, O_LOST_HELD, O_LOST_UNTIL = range(19, 23)
N_OPS_SLOTS = 23
#: What :func:`operate_step` returns once operations have reached their end.
OPS_DONE = -1.0


@nb.njit(cache=True, error_model="numpy")
def _ramp(par: NDArray[np.float64], t: float) -> tuple[float, float]:
    """Share of full output at ``t`` and when it next changes (staircase ramp)."""
    days = par[P_RAMP_DAYS]
    first = par[P_FIRST]
    if par[P_RAMPED] == 0.0 or days <= 0.0 or t >= first + days:
        return 1.0, np.inf
    steps = math.ceil(days / par[P_RAMP_STEP])
    width = days / steps
    k = min(int((t - first) / width), steps - 1)
    nxt = first + (k + 1) * width  # the next step boundary strictly after t
    if nxt <= t:
        k += 1
        nxt = first + (k + 1) * width
    if k >= steps:
        return 1.0, np.inf
    return (k + 0.5) / steps, nxt


@nb.njit(cache=True, error_model="numpy")
def _present_value(rho: float, a: float, b: float) -> float:
    if rho == 0.0:
        return b - a
    return (math.exp(-rho * a) - math.exp(-rho * b)) / rho


@nb.njit(cache=True, error_model="numpy")
def _book_regime(
    st: NDArray[np.float64],
    pend: NDArray[np.float64],
    par: NDArray[np.float64],
    ost: NDArray[np.float64],
    flows: NDArray[np.float64],
    departs: NDArray[np.float64],
    lost: NDArray[np.float64],
) -> None:
    """Book the pending regime: deliveries and draw-down, storage, output, exports, losses."""
    now, end, q = ost[O_NOW], ost[O_END], ost[O_Q]
    stockpile_advance(st, pend, now, end, ost[O_USE])
    dt = end - now
    cap = par[P_CAP]
    start = ost[O_START]
    # at a storage event, snap to its level, so that rounding cannot stall the clock
    if end >= ost[O_T_LEVEL]:
        storage = ost[O_LEVEL]
    else:
        storage = min(max(start + ost[O_D_STORAGE] * dt, 0.0), cap)
    if ost[O_ROAD_OUT] != 0.0 and q > 0.0:
        # a convoy leaves each time storage holds a load again: on known days
        load = par[P_LOAD]
        nd = int(ost[O_N_DEPARTS])
        sent = 0
        for k in range(1, math.ceil(dt * q / load) + 2):
            t = now + (k * load - start) / q
            if t < end:
                if nd + sent >= departs.shape[0]:
                    raise RuntimeError("operate_step: more road export convoys than produced")
                departs[nd + sent] = t
                sent += 1
        ost[O_N_DEPARTS] = nd + sent
        storage = min(max(start + q * dt - sent * load, 0.0), cap)
    ost[O_STORAGE] = storage
    ost[O_PRODUCED] += q * dt
    full_q = ost[O_FULL_Q]
    ost[O_POTENTIAL] += full_q * dt
    if q < full_q:
        ost[O_IDLE] += dt * (1.0 - q / full_q)
        if dt > 0.0:
            k = int(ost[O_N_LOST])
            lost[k, 0] = ost[O_LOST_HELD]
            lost[k, 1] = ost[O_LOST_UNTIL]
            lost[k, 2] = (full_q - q) * dt
            lost[k, 3] = now
            lost[k, 4] = end
            ost[O_N_LOST] = k + 1
    out = ost[O_OUT]
    if out > 0.0:
        ost[O_EXPORTED] += out * dt
        ost[O_EXPORT_PV] += par[P_PRICE] * out * _present_value(par[P_RHO], now, end)
        n = int(ost[O_N_FLOWS])
        flows[n, 0] = now
        flows[n, 1] = end
        flows[n, 2] = out
        ost[O_N_FLOWS] = n + 1
    ost[O_PENDING] = 0.0


@nb.njit(cache=True, error_model="numpy")
def _held_output(
    floats: NDArray[np.float64],
    ints: NDArray[np.int64],
    st: NDArray[np.float64],
    pend: NDArray[np.float64],
    export_route: NDArray[np.int64],
    mask: int,
    rail: bool,
    can_dispatch: bool,
    starved: bool,
    storage: float,
    cap: float,
    now: float,
) -> tuple[float, float]:
    """What holds output below what the mine could make now: ``(held by, until)``.

    A suspension (``HELD_BY_SUSPENSION``); a stand-down
    (``HELD_BY_SITE_ATTACK``); consumables run out (what held
    the next consumables convoy, as for a construction stall, the convoys
    sent at ``now`` included; with none on the road, ``HELD_BY_BLACKOUT``
    while dispatch is blocked); or storage
    full while the export is stopped: the closure on the export route (every
    segment for rail, the first for road) that reopens last, or
    ``HELD_BY_BLACKOUT`` when road convoys wait for mobile data; the half
    rate of a remobilization (``HELD_BY_SUSPENSION``). ``HELD_BY_CAPACITY``
    otherwise (storage full with the export running).
    """
    if (mask & SUSPENDED) != 0:
        return float(HELD_BY_SUSPENSION), now
    if (mask & OPS_STANDDOWN) != 0:
        return float(HELD_BY_SITE_ATTACK), now
    if starved:
        n = int(st[N_PEND])
        if n == 0:  # nothing on the road: what keeps convoys from leaving
            return float(HELD_BY_NOTHING if can_dispatch else HELD_BY_BLACKOUT), now
        k = 0
        for i in range(1, n):
            if pend[i, 0] < pend[k, 0]:
                k = i
        return pend[k, 3], pend[k, 4]
    if storage >= cap - EMPTY_T:
        if (mask & EXPORT_CLOSED) != 0:
            _, closures, _ = unpack(floats, ints)
            held, last = float(HELD_BY_CAPACITY), now
            m = export_route.shape[0] if rail else min(1, export_route.shape[0])
            for i in range(m):
                seg = export_route[i]
                reopen = _reopens(closures, seg, now)
                if reopen > last:
                    held, last = float(seg), reopen
            return held, last
        if not rail and not can_dispatch:
            return float(HELD_BY_BLACKOUT), now
    if (mask & REMOB) != 0:
        return float(HELD_BY_SUSPENSION), now
    return float(HELD_BY_CAPACITY), now


@nb.njit(cache=True, error_model="numpy")
def operate_step(
    floats: NDArray[np.float64],
    ints: NDArray[np.int64],
    allow: NDArray[np.bool_],
    inbound: NDArray[np.int64],
    port: int,
    site: int,
    st: NDArray[np.float64],
    pend: NDArray[np.float64],
    bounds: NDArray[np.float64],
    masks: NDArray[np.int64],
    export_route: NDArray[np.int64],
    par: NDArray[np.float64],
    ost: NDArray[np.float64],
    flows: NDArray[np.float64],
    departs: NDArray[np.float64],
    lost: NDArray[np.float64],
    now: float,
) -> float:
    """Book the regime that ended at ``now`` and plan the next; returns when it ends.

    Returns :data:`OPS_DONE` once ``now`` reaches the end of operations
    (``par[P_END]``). ``bounds``/``masks`` are the timeline: flags ``masks[i]``
    hold from ``bounds[i]`` to ``bounds[i + 1]``. ``st``/``pend`` are the
    consumables stockpile (:func:`stockpile_plan`), ``par`` the constants and
    ``ost`` the state (slots ``P_*`` and ``O_*``); ``flows`` gets a row
    ``(from, to, tonnes a day)`` per regime that exports, ``departs`` the
    departure day of each road export convoy, ``lost`` a row ``(held by,
    until, tonnes, from, to)`` per regime that produces less than it could:
    what held it (:func:`_held_output`). The rules are those of
    :mod:`riskmc.supply.model` ("Operations").
    """
    if ost[O_PENDING] != 0.0:
        _book_regime(st, pend, par, ost, flows, departs, lost)
    if now >= par[P_END] - 1e-9:
        return OPS_DONE
    i = np.searchsorted(bounds, now, side="right") - 1
    mask = masks[i] if i >= 0 else 0
    until = bounds[i + 1] if i + 1 < bounds.shape[0] else np.inf
    share, ramp_next = _ramp(par, now)
    full_q = par[P_OUTPUT] * share
    cap = par[P_CAP]
    load = par[P_LOAD]
    rail = par[P_RAIL] != 0.0
    # a suspended site sends and loads nothing, whatever the comms rule
    suspended = (mask & SUSPENDED) != 0
    can_dispatch = not suspended and not (par[P_COMMS] != 0.0 and (mask & BLOCKED) != 0)
    road_out = not rail and can_dispatch and (mask & EXPORT_CLOSED) == 0
    storage = ost[O_STORAGE]
    if road_out and storage >= load - EMPTY_T:
        ready = math.floor((storage + EMPTY_T) / load)
        nd = int(ost[O_N_DEPARTS])
        if nd + ready > departs.shape[0]:
            raise RuntimeError("operate_step: more road export convoys than produced")
        departs[nd : nd + ready] = now
        ost[O_N_DEPARTS] = nd + ready
        storage = max(storage - ready * load, 0.0)
    starved = full_q > 0 and st[STOCK] <= EMPTY_T
    q = 0.0 if ((mask & OPS_STANDDOWN) != 0 or starved or suspended) else full_q
    if (mask & REMOB) != 0:
        q *= REMOB_SHARE
    # trains run on the railway's own signalling: a mobile-data blackout does not hold them;
    # while concentrate waits in storage they run at the surge rate, else at the service's
    export = surge = 0.0
    if rail and (mask & EXPORT_CLOSED) == 0 and not suspended:
        export, surge = par[P_TRAIN_RATE], par[P_SURGE_RATE]
    if storage >= cap - EMPTY_T and q > surge:
        q = surge
    out = surge if storage > EMPTY_T else min(export, q)
    d_storage = q - out
    use = par[P_CONSUMABLES] * q / par[P_OUTPUT] if q > 0 else 0.0
    until = min(until, ramp_next, par[P_END], st[NEXT_LOSSY])
    if starved:
        until = min(until, st[NEXT_ARRIVAL])
    # storage events: full, empty, or a road convoy's load reached
    t_level, level = np.inf, storage
    if d_storage > 0 and not road_out:
        t_level, level = now + (cap - storage) / d_storage, cap
    elif d_storage < 0:
        t_level, level = now + storage / -d_storage, 0.0
    limit = min(until, t_level)
    hold_code = HELD_BY_SUSPENSION if suspended else HELD_BY_BLACKOUT
    end = pile_plan(
        floats, ints, allow, inbound, port, site, st, pend, now, use, limit, can_dispatch,
        hold_code,
    )  # fmt: skip
    if q < full_q:  # after the regime's convoys are sent: one of them may end a stock-out
        held, held_until = _held_output(
            floats, ints, st, pend, export_route, mask, rail, can_dispatch, starved, storage,
            cap, now,
        )  # fmt: skip
        ost[O_LOST_HELD], ost[O_LOST_UNTIL] = held, held_until
    ost[O_PENDING] = 1.0
    ost[O_NOW], ost[O_END], ost[O_USE] = now, end, use
    ost[O_Q], ost[O_FULL_Q], ost[O_OUT], ost[O_D_STORAGE] = q, full_q, out, d_storage
    ost[O_T_LEVEL], ost[O_LEVEL], ost[O_START] = t_level, level, storage
    ost[O_ROAD_OUT] = 1.0 if road_out else 0.0
    ost[O_STORAGE] = storage
    return end


@nb.njit(cache=True, error_model="numpy")
def rail_hits(
    route: NDArray[np.int64],
    seg_days: NDArray[np.float64],
    att_ptr: NDArray[np.int64],
    att_start: NDArray[np.float64],
    flows: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """Attacks on a rail export route and the concentrate on the attacked segment then.

    The export is a flow: ``flows`` rows ``(from, to, tonnes a day)`` leaving
    the site. An attack at ``tau`` on the route's ``k``-th segment meets the
    concentrate that left in ``(tau - left_k, tau - entered_k]``, where
    ``entered_k``/``left_k`` are the travel days to the segment's start and
    end. Returns the days and segments of the attacks that met some (in route
    order) and the tonnes each met.
    """
    n = 0
    for seg in route:
        n += att_ptr[seg + 1] - att_ptr[seg]
    days = np.empty(n)
    segs = np.empty(n, dtype=np.int64)
    tonnes = np.empty(n)
    m = 0
    entered = 0.0
    for seg in route:
        left = entered + seg_days[seg]
        for a in range(att_ptr[seg], att_ptr[seg + 1]):
            tau = att_start[a]
            lo, hi = tau - left, tau - entered
            total = 0.0
            for f in range(flows.shape[0]):
                overlap = min(flows[f, 1], hi) - max(flows[f, 0], lo)
                if overlap > 0.0:
                    total += overlap * flows[f, 2]
            if total > 0.0:
                days[m] = tau
                segs[m] = seg
                tonnes[m] = total
                m += 1
        entered = left
    return days[:m], segs[:m], tonnes[:m]
