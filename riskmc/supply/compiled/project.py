"""One project, one replication, in Numba: the twin of :func:`riskmc.supply.simulate_project`.

The rules are those of :mod:`riskmc.supply.model` (read its docstring); this
module only runs them without SimPy. The SimPy model already does each regime
in compiled steps (:mod:`riskmc.supply.kernels`: a stockpile's convoys and
draw-down, one operations regime); here the loops that call them are
compiled too, with the clock advanced exactly as SimPy advances it
(``now + (end - now)``, not ``end``), so that both engines cut the same
regimes and book the same tonnes.

What a run produces is a vector of numbers (slots ``R_*``) and a few tables:
the construction stretches that stalled or were suspended, what held
construction (``delay``: held by, until, days) and output (``lost``: held by,
until, tonnes, follows the previous one), the concentrate destroyed on the
way to the port (``hits``: day, segment, tonnes) and the exports by calendar
year.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numpy.typing import NDArray

from riskmc.network.compiled import held_at_source_packed, ship_many_packed, unpack
from riskmc.supply import kernels as kern
from riskmc.supply.compiled.timeline import build_timeline, flags_at, time_with

__all__ = [
    "N_RESULT",
    "Plan",
    "simulate",
]

# Slots of a run's result vector.
R_FINISH, R_MAT_STALL, R_STANDDOWN, R_SUSP_BUILD, R_BLACKOUT_DAYS = range(5)
R_CONVOYS, R_CONVOYS_PV, R_DELAYED, R_WAIT, R_LOSSES = range(5, 10)
R_DETOUR_TKM, R_BUILD_DETOUR, R_DETOUR_PV, R_PRODUCED, R_EXPORTED = range(10, 15)
R_EXPORT_PV, R_EXPORT_LOST, R_IDLE, R_STORAGE, R_POTENTIAL = range(15, 20)
R_MAT_LOST, R_MAT_LOST_PV, R_CON_LOST, R_CON_LOST_PV, R_STEPS = range(20, 25)
N_RESULT = 25

# Slots of a project's plan vector (the numbers of ConstructionPlan and OperationsPlan).
(
    P_HAS_BUILD,
    P_START,
    P_PLANNED_DAYS,
    P_MATERIAL_T,
    P_BUFFER_DAYS,
    P_BLACKOUT_PROD,
    P_CONVOY_T,
    P_LOSS_SHARE,
    P_COMMS,
    P_HAS_OPS,
    P_END,
    P_OUTPUT,
    P_CONSUMABLES,
    P_CONS_BUFFER,
    P_STORAGE_DAYS,
    P_RAIL,
    P_TRAINS,
    P_SURGE,  # NaN: none
    P_TRAIN_T,
    P_RAMP_DAYS,
    P_PRICE,
    P_DISCOUNT,
    P_PORT,
    P_SITE,
    P_INBOUND_LEAD,
    P_KM_PLANNED,
    P_EXPORT_KM,
) = range(27)
N_PLAN = 27
Plan = NDArray[np.float64]

_RAMP_STEP_DAYS = 30.0
_STILL = 10_000  # regimes in a row with no time passing: a stuck clock
_HELD_BY_BLACKOUT_WORK = -4
_STANDDOWN, _BLACKOUT, _BLOCKED = kern.STANDDOWN, kern.BLACKOUT, kern.BLOCKED
_EXPORT_CLOSED, _OPS_STANDDOWN = kern.EXPORT_CLOSED, kern.OPS_STANDDOWN
_SUSPENDED, _REMOB = kern.SUSPENDED, kern.REMOB


@nb.njit(cache=True, error_model="numpy")
def _grow(a: NDArray[np.float64]) -> NDArray[np.float64]:
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
    """:func:`riskmc.supply.model.daily_rate`."""
    return math.log1p(rate_per_year) / 365.25


@nb.njit(cache=True, error_model="numpy")
def _new_pile(
    plan: Plan, need: float, buffer_days: float, rho: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A stockpile's state and its rows of convoys on the road (``state.Stockpile``)."""
    c = plan[P_CONVOY_T]
    initial = buffer_days * need
    level = max(initial + need * plan[P_INBOUND_LEAD], c)
    st = np.zeros(kern.N_SLOTS)
    st[kern.STOCK] = initial
    st[kern.INITIAL] = initial
    st[kern.LEVEL] = level
    st[kern.CONVOY_T] = c
    st[kern.LOSS] = plan[P_LOSS_SHARE]
    st[kern.RHO] = rho
    st[kern.PLANNED_KM] = plan[P_KM_PLANNED]
    st[kern.NEXT_LOSSY] = np.inf
    st[kern.NEXT_ARRIVAL] = np.inf
    pend = np.zeros((math.ceil(level / c) + 4, kern.PENDING_COLUMNS))
    return st, pend


@nb.njit(cache=True, error_model="numpy")
def _phase_timeline(
    starts: NDArray[np.float64],
    ends: NDArray[np.float64],
    flags: NDArray[np.int64],
    n: int,
    keep: int,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The timeline of the spans whose flag is one of the bits of ``keep``."""
    s = np.empty(n)
    e = np.empty(n)
    f = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):
        if flags[i] & keep:
            s[m] = starts[i]
            e[m] = ends[i]
            f[m] = flags[i]
            m += 1
    return build_timeline(s, e, f, m)


@nb.njit(cache=True, error_model="numpy")
def _construct(
    floats: NDArray[np.float64],
    ints: NDArray[np.int64],
    allow: NDArray[np.bool_],
    inbound: NDArray[np.int64],
    plan: Plan,
    bounds: NDArray[np.float64],
    masks: NDArray[np.int64],
    st: NDArray[np.float64],
    pend: NDArray[np.float64],
    res: NDArray[np.float64],
) -> tuple[NDArray[np.float64], int, NDArray[np.float64], int, NDArray[np.float64], int]:
    """Construction (``model._construct``); returns its stall, suspended and delay records."""
    port, site = int(plan[P_PORT]), int(plan[P_SITE])
    planned = plan[P_PLANNED_DAYS]
    need = plan[P_MATERIAL_T] / planned
    comms = plan[P_COMMS] != 0.0
    stall = np.zeros((16, 2))
    susp = np.zeros((8, 2))
    delay = np.zeros((32, 3))
    n_stall = n_susp = n_delay = 0
    still = 0
    progress = 0.0
    now = plan[P_START]
    while progress < planned:
        mask, until = flags_at(bounds, masks, now)
        suspended = (mask & _SUSPENDED) != 0
        if mask & (_STANDDOWN | _SUSPENDED):
            base = 0.0
        elif mask & _BLACKOUT:
            base = plan[P_BLACKOUT_PROD]
        else:
            base = 1.0
        p = base * kern.REMOB_SHARE if mask & _REMOB else base
        stalled = p > 0 and st[kern.STOCK] <= kern.EMPTY_T
        rate = need * p if p > 0 and not stalled else 0.0
        t_done = now + (planned - progress) / p if rate > 0 else np.inf
        until = min(until, t_done)
        until = min(until, st[kern.NEXT_LOSSY])
        if stalled:
            until = min(until, st[kern.NEXT_ARRIVAL])
        blocked = suspended or (comms and (mask & _BLOCKED) != 0)
        hold_code = kern.HELD_BY_SUSPENSION if suspended else kern.HELD_BY_BLACKOUT
        end = kern.pile_plan(
            floats, ints, allow, inbound, port, site, st, pend, now, rate, until, not blocked,
            hold_code,
        )  # fmt: skip
        still = still + 1 if end <= now else 0
        if still > _STILL:
            raise RuntimeError("supply model stuck: please report this scenario")
        held_by, held_until = -1.0, 0.0
        if stalled:
            n = int(st[kern.N_PEND])
            if n > 0:
                k = 0
                for i in range(1, n):
                    if pend[i, 0] < pend[k, 0]:
                        k = i
                held_by, held_until = pend[k, 3], pend[k, 4]
        res[R_STEPS] += 1.0
        used = kern.stockpile_advance(st, pend, now, end, rate)
        dt = end - now
        if end > now:
            if n_delay + 2 >= delay.shape[0]:
                delay = _grow(delay)
            if stalled:
                delay[n_delay, 0], delay[n_delay, 1], delay[n_delay, 2] = held_by, held_until, dt
                n_delay += 1
            elif suspended:
                delay[n_delay, 0], delay[n_delay, 1] = kern.HELD_BY_SUSPENSION, now
                delay[n_delay, 2] = dt
                n_delay += 1
            elif p == 0:
                delay[n_delay, 0], delay[n_delay, 1] = kern.HELD_BY_SITE_ATTACK, now
                delay[n_delay, 2] = dt
                n_delay += 1
            else:
                if base < 1:
                    delay[n_delay, 0], delay[n_delay, 1] = _HELD_BY_BLACKOUT_WORK, now
                    delay[n_delay, 2] = (1 - base) * dt
                    n_delay += 1
                if p < base:
                    delay[n_delay, 0], delay[n_delay, 1] = kern.HELD_BY_SUSPENSION, now
                    delay[n_delay, 2] = (base - p) * dt
                    n_delay += 1
        progress = planned if end >= t_done else progress + used / need
        if stalled:
            res[R_MAT_STALL] += dt
        elif suspended:
            res[R_SUSP_BUILD] += dt
            if end > now:
                if n_susp == susp.shape[0]:
                    susp = _grow(susp)
                susp[n_susp, 0], susp[n_susp, 1] = now, end
                n_susp += 1
        elif p == 0:
            res[R_STANDDOWN] += dt
        if (stalled or (p == 0 and not suspended)) and end > now:
            if n_stall == stall.shape[0]:
                stall = _grow(stall)
            stall[n_stall, 0], stall[n_stall, 1] = now, end
            n_stall += 1
        now = now + (end - now)  # as SimPy's clock moves: a timeout of end - now
    res[R_FINISH] = now
    return stall, n_stall, susp, n_susp, delay, n_delay


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
def _operate(
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
            flows = _grow(flows)
        if ost[kern.O_N_LOST] + 1 >= lost.shape[0]:
            lost = _grow(lost)
        end = kern.operate_step(
            floats, ints, allow, inbound, port, site, st, pend, bounds, masks, export_route,
            par, ost, flows, departs, lost, now,
        )  # fmt: skip
        if end == kern.OPS_DONE:
            break
        res[R_STEPS] += 1.0
        still = still + 1 if end <= now else 0
        if still > _STILL:
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
                    hits = _grow(hits)
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
                hits = _grow(hits)
            hits[n_hits, 0], hits[n_hits, 1], hits[n_hits, 2] = tau, segs_h[i], lost_i
            n_hits += 1
            res[R_EXPORTED] -= lost_i
            res[R_EXPORT_LOST] += lost_i
            _book_year(by_year, years, tau, -lost_i)
            res[R_EXPORT_PV] -= price * lost_i * np.exp(-rho * tau)
            res[R_LOSSES] += 1.0
    return records, n_lost, hits, n_hits


@nb.njit(cache=True, error_model="numpy")
def _add_pile(res: NDArray[np.float64], st: NDArray[np.float64], material: bool) -> None:
    res[R_CONVOYS] += st[kern.CONVOYS]
    res[R_CONVOYS_PV] += st[kern.CONVOYS_PV]
    res[R_LOSSES] += st[kern.LOSSES]
    res[R_DELAYED] += st[kern.DELAYED]
    res[R_WAIT] += st[kern.WAIT_DAYS]
    res[R_DETOUR_TKM] += st[kern.DETOUR_TKM]
    res[R_DETOUR_PV] += st[kern.DETOUR_PV]
    if material:
        res[R_BUILD_DETOUR] = st[kern.DETOUR_TKM]
        res[R_MAT_LOST] = st[kern.LOST]
        res[R_MAT_LOST_PV] = st[kern.LOST_PV]
    else:
        res[R_CON_LOST] = st[kern.LOST]
        res[R_CON_LOST_PV] = st[kern.LOST_PV]


@nb.njit(cache=True, error_model="numpy")
def _room(
    starts: NDArray[np.float64],
    ends: NDArray[np.float64],
    flags: NDArray[np.int64],
    n: int,
    extra: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """The first ``n`` spans, copied into arrays with ``extra`` more rows."""
    s = np.empty(n + extra)
    e = np.empty(n + extra)
    f = np.empty(n + extra, dtype=np.int64)
    for i in range(n):
        s[i] = starts[i]
        e[i] = ends[i]
        f[i] = flags[i]
    return s, e, f


@nb.njit(cache=True, error_model="numpy")
def simulate(
    floats: NDArray[np.float64],
    ints: NDArray[np.int64],
    allow: NDArray[np.bool_],
    inbound: NDArray[np.int64],
    export_route: NDArray[np.int64],
    plan: Plan,
    span_start: NDArray[np.float64],
    span_end: NDArray[np.float64],
    span_flag: NDArray[np.int64],
    n_spans: int,
    years: NDArray[np.float64],
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    int,
    NDArray[np.float64],
    int,
    NDArray[np.float64],
    int,
    NDArray[np.float64],
    int,
    NDArray[np.float64],
    int,
]:
    """Run a project under a replication's hazard (``model.simulate_project``).

    ``floats``/``ints`` are the network with the replication's closures and
    attacks (:func:`riskmc.network.compiled.pack`); ``span_*`` the first
    ``n_spans`` spans of the site schedule, each with its flag (STANDDOWN,
    BLACKOUT, BLOCKED, OPS_STANDDOWN, SUSPENDED, REMOB of
    :mod:`riskmc.supply.kernels`); the export route's closed spans are added
    here. ``years`` are the days of 1 January of the horizon's years.

    Returns the result vector (``R_*``), exports by year, and the tables
    ``(array, rows)``: stalls, suspended construction, delay records, lost
    output records, export hits.
    """
    res = np.zeros(N_RESULT)
    by_year = np.zeros(years.shape[0])
    has_build = plan[P_HAS_BUILD] != 0.0
    has_ops = plan[P_HAS_OPS] != 0.0
    comms = plan[P_COMMS] != 0.0
    n = n_spans
    s = span_start
    e = span_end
    f = span_flag
    if has_ops:
        # the export route's closed spans: rail, any segment closed; road, the convoys
        # held at the site (first segment closed and no open detour)
        _, closures, _ = unpack(floats, ints)
        site, port = int(plan[P_SITE]), int(plan[P_PORT])
        if plan[P_RAIL] != 0.0:
            extra = 0
            for i in range(export_route.shape[0]):
                seg = export_route[i]
                dup = False
                for j in range(i):
                    dup = dup or export_route[j] == seg
                if not dup:
                    extra += closures.ptr[seg + 1] - closures.ptr[seg]
            s, e, f = _room(span_start, span_end, span_flag, n, extra)
            for i in range(export_route.shape[0]):
                seg = export_route[i]
                dup = False
                for j in range(i):
                    dup = dup or export_route[j] == seg
                if dup:
                    continue
                for c in range(closures.ptr[seg], closures.ptr[seg + 1]):
                    s[n], e[n], f[n] = closures.start[c], closures.end[c], _EXPORT_CLOSED
                    n += 1
        else:
            hs, he = held_at_source_packed(floats, ints, allow, export_route, site, port)
            m = hs.shape[0]
            s, e, f = _room(span_start, span_end, span_flag, n, m)
            for i in range(m):
                s[n], e[n], f[n] = hs[i], he[i], _EXPORT_CLOSED
                n += 1
    rho = daily_rate(plan[P_DISCOUNT]) if has_ops else 0.0
    blocked = _BLOCKED if comms else 0
    stall = susp = delay = np.zeros((1, 2))
    n_stall = n_susp = n_delay = 0
    lost = hits = np.zeros((1, 4))
    n_lost = n_hits = 0
    now = plan[P_START] if has_build else 0.0
    first_day = now
    if has_build:
        need = plan[P_MATERIAL_T] / plan[P_PLANNED_DAYS]
        st, pend = _new_pile(plan, need, plan[P_BUFFER_DAYS], rho)
        keep = _STANDDOWN | _BLACKOUT | _SUSPENDED | _REMOB | blocked
        bounds, masks = _phase_timeline(s, e, f, n, keep)
        stall, n_stall, susp, n_susp, delay, n_delay = _construct(
            floats, ints, allow, inbound, plan, bounds, masks, st, pend, res
        )
        now = res[R_FINISH]
    else:
        res[R_FINISH] = np.nan
    if has_ops:
        cst, cpend = _new_pile(plan, plan[P_CONSUMABLES], plan[P_CONS_BUFFER], rho)
        keep = _OPS_STANDDOWN | _EXPORT_CLOSED | _SUSPENDED | _REMOB | blocked
        bounds, masks = _phase_timeline(s, e, f, n, keep)
        lost, n_lost, hits, n_hits = _operate(
            floats, ints, allow, inbound, export_route, plan, has_build, now, bounds, masks,
            cst, cpend, years, res, by_year,
        )  # fmt: skip
    last_day = plan[P_END] if has_ops else res[R_FINISH]
    bounds, masks = _phase_timeline(s, e, f, n, _BLACKOUT)
    res[R_BLACKOUT_DAYS] = time_with(bounds, masks, _BLACKOUT, first_day, last_day)
    if has_build:
        _add_pile(res, st, True)
    if has_ops:
        _add_pile(res, cst, False)
    return (
        res, by_year, stall, n_stall, susp, n_susp, delay, n_delay, lost, n_lost, hits, n_hits
    )  # fmt: skip


@nb.njit(cache=True, error_model="numpy")
def simulate_entry(
    floats: NDArray[np.float64],
    ints: NDArray[np.int64],
    allow: NDArray[np.bool_],
    inbound: NDArray[np.int64],
    export_route: NDArray[np.int64],
    plan: Plan,
    span_start: NDArray[np.float64],
    span_end: NDArray[np.float64],
    span_flag: NDArray[np.int64],
    n_spans: int,
    years: NDArray[np.float64],
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    int,
    NDArray[np.float64],
    int,
    NDArray[np.float64],
    int,
    NDArray[np.float64],
    int,
    NDArray[np.float64],
    int,
]:
    """:func:`simulate`, called from Python.

    A function that compiled code calls and Python calls too lost its
    environment in a process that loaded the caller from Numba's cache
    ("'descr' is NULL" when its arrays were returned to Python, Numba
    0.68): Python calls this entry point instead.
    """
    return simulate(
        floats, ints, allow, inbound, export_route, plan, span_start, span_end, span_flag,
        n_spans, years,
    )  # fmt: skip
