"""Operations of one project in one replication, in Numba: the twin of ``model._operate``.

The regimes are :func:`riskmc.supply.kernels.operate_step`'s, in a loop with
the clock moved as SimPy moves it; then, as the SimPy model books them after
its process ends, the road export convoys (shipped together and summed in
NumPy's order, :func:`riskmc.supply.compiled.numeric.pairwise_sum`), the
exports by calendar year and the concentrate destroyed on the rail export
route. Called by :func:`riskmc.supply.compiled.project.simulate`.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numpy.typing import NDArray

from riskmc.network.compiled import ship_many_packed, unpack
from riskmc.supply import kernels as kern
from riskmc.supply.compiled.numeric import daily_rate, grow, pairwise_sum
from riskmc.supply.compiled.slots import (
    P_COMMS,
    P_CONSUMABLES,
    P_CONVOY_T,
    P_DISCOUNT,
    P_END,
    P_EXPORT_KM,
    P_LOSS_SHARE,
    P_OUTPUT,
    P_PORT,
    P_PRICE,
    P_RAIL,
    P_RAMP_DAYS,
    P_SITE,
    P_STORAGE_DAYS,
    P_SURGE,
    P_TRAIN_T,
    P_TRAINS,
    R_CONVOYS,
    R_CONVOYS_PV,
    R_DELAYED,
    R_DETOUR_PV,
    R_DETOUR_TKM,
    R_EXPORT_LOST,
    R_EXPORT_PV,
    R_EXPORTED,
    R_IDLE,
    R_LOSSES,
    R_POTENTIAL,
    R_PRODUCED,
    R_STEPS,
    R_STORAGE,
    R_WAIT,
    STILL,
    Plan,
)

__all__ = ["operate"]

_RAMP_STEP_DAYS = 30.0


@nb.njit(cache=True, error_model="numpy")
def _ops_params(plan: Plan, ramped: bool, first: float, load: float) -> NDArray[np.float64]:
    par = np.zeros(kern.N_OPS_PARAMS)
    trains = plan[P_TRAINS]
    surge = trains
    if not np.isnan(plan[P_SURGE]):
        surge = max(trains, plan[P_SURGE])
    par[kern.P_OUTPUT] = plan[P_OUTPUT]
    par[kern.P_CONSUMABLES] = plan[P_CONSUMABLES]
    par[kern.P_CAP] = plan[P_STORAGE_DAYS] * plan[P_OUTPUT]
    par[kern.P_RAIL] = plan[P_RAIL]
    par[kern.P_TRAIN_RATE] = trains * plan[P_TRAIN_T]
    par[kern.P_SURGE_RATE] = surge * plan[P_TRAIN_T]
    par[kern.P_PRICE] = plan[P_PRICE]
    par[kern.P_RHO] = daily_rate(plan[P_DISCOUNT])
    par[kern.P_LOAD] = load
    par[kern.P_RAMPED] = 1.0 if ramped else 0.0
    par[kern.P_FIRST] = first
    par[kern.P_RAMP_DAYS] = plan[P_RAMP_DAYS]
    par[kern.P_RAMP_STEP] = _RAMP_STEP_DAYS
    par[kern.P_END] = plan[P_END]
    par[kern.P_COMMS] = plan[P_COMMS]
    return par


@nb.njit(cache=True, error_model="numpy")
def _book_year(
    by_year: NDArray[np.float64], years: NDArray[np.float64], day: float, t: float
) -> None:
    if years.shape[0]:
        k = np.searchsorted(years, day, side="right") - 1
        if k >= 0:
            by_year[k] += t


@nb.njit(cache=True, error_model="numpy")
def operate(
    floats: NDArray[np.float64],
    ints: NDArray[np.int64],
    allow: NDArray[np.bool_],
    inbound: NDArray[np.int64],
    export_route: NDArray[np.int64],
    plan: Plan,
    ramped: bool,
    start: float,
    bounds: NDArray[np.float64],
    masks: NDArray[np.int64],
    st: NDArray[np.float64],
    pend: NDArray[np.float64],
    years: NDArray[np.float64],
    res: NDArray[np.float64],
    by_year: NDArray[np.float64],
) -> tuple[NDArray[np.float64], int, NDArray[np.float64], int]:
    """Operations (``model._operate``); returns the lost-output and export-hit records."""
    port, site = int(plan[P_PORT]), int(plan[P_SITE])
    output = plan[P_OUTPUT]
    load = min(plan[P_CONVOY_T], plan[P_STORAGE_DAYS] * output)
    par = _ops_params(plan, ramped, start, load)
    ost = np.zeros(kern.N_OPS_SLOTS)
    flows = np.zeros((64, 3))
    lost = np.zeros((64, 5))
    rail = plan[P_RAIL] != 0.0
    days = max(0.0, plan[P_END] - start)
    n_departs = 0 if rail else math.ceil(output * days / load) + 64
    departs = np.zeros(n_departs)
    now = start
    still = 0
    while True:
        if ost[kern.O_N_FLOWS] + 1 >= flows.shape[0]:
            flows = grow(flows)
        if ost[kern.O_N_LOST] + 1 >= lost.shape[0]:
            lost = grow(lost)
        end = kern.operate_step(
            floats, ints, allow, inbound, port, site, st, pend, bounds, masks, export_route,
            par, ost, flows, departs, lost, now,
        )  # fmt: skip
        if end == kern.OPS_DONE:
            break
        res[R_STEPS] += 1.0
        still = still + 1 if end <= now else 0
        if still > STILL:
            raise RuntimeError("supply model stuck: please report this scenario")
        now = now + (end - now)
    res[R_PRODUCED] += ost[kern.O_PRODUCED]
    res[R_POTENTIAL] += ost[kern.O_POTENTIAL]
    n_lost = int(ost[kern.O_N_LOST])
    records = np.zeros((max(n_lost, 1), 4))
    prev = -np.inf
    for i in range(n_lost):
        records[i, 0] = lost[i, 0]
        records[i, 1] = lost[i, 1]
        records[i, 2] = lost[i, 2]
        records[i, 3] = 1.0 if lost[i, 3] <= prev + 1e-9 else 0.0
        prev = lost[i, 4]
    res[R_IDLE] += ost[kern.O_IDLE]
    res[R_EXPORTED] += ost[kern.O_EXPORTED]
    res[R_EXPORT_PV] += ost[kern.O_EXPORT_PV]
    res[R_STORAGE] = ost[kern.O_STORAGE]
    rho = daily_rate(plan[P_DISCOUNT])
    price = plan[P_PRICE]
    loss_share = plan[P_LOSS_SHARE]
    hits = np.zeros((8, 3))
    n_hits = 0
    n_departed = int(ost[kern.O_N_DEPARTS])
    if n_departed:
        d = departs[:n_departed]
        _, waited, km, n_hit, hit_seg, hit_day = ship_many_packed(
            floats, ints, allow, export_route, site, port, d
        )
        # each convoy's numbers, summed as the SimPy model sums them (NumPy)
        delivered = np.empty(n_departed)
        short = np.empty(n_departed)
        disc = np.empty(n_departed)
        worth = np.empty(n_departed)
        detour = np.empty(n_departed)
        detour_worth = np.empty(n_departed)
        losses = delayed = 0
        for k in range(n_departed):
            delivered[k] = load * (1.0 - loss_share) ** float(n_hit[k])
            short[k] = load - delivered[k]
            if n_hit[k] > 0:
                if n_hits == hits.shape[0]:
                    hits = grow(hits)
                hits[n_hits, 0], hits[n_hits, 1] = hit_day[k], hit_seg[k]
                hits[n_hits, 2] = load - delivered[k]
                n_hits += 1
                losses += 1
            _book_year(by_year, years, d[k], delivered[k])
            disc[k] = np.exp(-rho * d[k])
            worth[k] = delivered[k] * disc[k]
            detour[k] = km[k] - plan[P_EXPORT_KM]
            detour_worth[k] = detour[k] * disc[k]
            if waited[k] > 0 or detour[k] != 0:
                delayed += 1
        exported = pairwise_sum(delivered, 0, n_departed)
        lost_t = pairwise_sum(short, 0, n_departed)
        pv = pairwise_sum(worth, 0, n_departed)
        convoys_pv = pairwise_sum(disc, 0, n_departed)
        detour_sum = pairwise_sum(detour, 0, n_departed)
        detour_pv = pairwise_sum(detour_worth, 0, n_departed)
        wait = pairwise_sum(waited, 0, n_departed)
        res[R_EXPORTED] += exported
        res[R_EXPORT_LOST] += lost_t
        res[R_EXPORT_PV] += price * pv
        res[R_CONVOYS] += n_departed
        res[R_CONVOYS_PV] += convoys_pv
        res[R_LOSSES] += losses
        res[R_DETOUR_TKM] += load * detour_sum
        res[R_DETOUR_PV] += load * detour_pv
        res[R_DELAYED] += delayed
        res[R_WAIT] += wait
    n_flows = int(ost[kern.O_N_FLOWS])
    if years.shape[0] and n_flows:
        for f in range(n_flows):
            t0, t1, rate = flows[f, 0], flows[f, 1], flows[f, 2]
            for y in range(years.shape[0]):
                nxt = years[y + 1] if y + 1 < years.shape[0] else np.inf
                overlap = min(t1, nxt) - max(t0, years[y])
                if overlap > 0.0:
                    by_year[y] += overlap * rate
    if rail and n_flows:
        net, _, attacks = unpack(floats, ints)
        days_h, segs_h, met = kern.rail_hits(
            export_route, net.days, attacks.ptr, attacks.start, flows[:n_flows]
        )
        for i in range(days_h.shape[0]):
            tau = days_h[i]
            lost_i = loss_share * met[i]
            if n_hits == hits.shape[0]:
                hits = grow(hits)
            hits[n_hits, 0], hits[n_hits, 1], hits[n_hits, 2] = tau, segs_h[i], lost_i
            n_hits += 1
            res[R_EXPORTED] -= lost_i
            res[R_EXPORT_LOST] += lost_i
            _book_year(by_year, years, tau, -lost_i)
            res[R_EXPORT_PV] -= price * lost_i * np.exp(-rho * tau)
            res[R_LOSSES] += 1.0
    return records, n_lost, hits, n_hits
