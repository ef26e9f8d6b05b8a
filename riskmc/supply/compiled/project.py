"""One project, one replication, in Numba: the twin of :func:`riskmc.supply.simulate_project`.

The rules are those of :mod:`riskmc.supply.model` (read its docstring); this
module only runs them without SimPy. The SimPy model already does each regime
in compiled steps (:mod:`riskmc.supply.kernels`: a stockpile's convoys and
draw-down, one operations regime); here the loops that call them are
compiled too, with the clock advanced exactly as SimPy advances it
(``now + (end - now)``, not ``end``), so that both engines cut the same
regimes and book the same tonnes.

The phases are in :mod:`~riskmc.supply.compiled.construct` and
:mod:`~riskmc.supply.compiled.operate`; :func:`simulate` here sets up their
timelines and stockpiles and adds up the run. The plan's and the result's
slots are in :mod:`~riskmc.supply.compiled.slots`, re-exported here.

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

from riskmc.network.compiled import held_at_source_packed, unpack
from riskmc.supply import kernels as kern
from riskmc.supply.compiled.construct import construct
from riskmc.supply.compiled.numeric import daily_rate, pairwise_sum
from riskmc.supply.compiled.operate import operate
from riskmc.supply.compiled.slots import (
    N_PLAN,
    N_RESULT,
    P_BLACKOUT_PROD,
    P_BUFFER_DAYS,
    P_COMMS,
    P_CONS_BUFFER,
    P_CONSUMABLES,
    P_CONVOY_T,
    P_DISCOUNT,
    P_END,
    P_EXPORT_KM,
    P_HAS_BUILD,
    P_HAS_OPS,
    P_INBOUND_LEAD,
    P_KM_PLANNED,
    P_LOSS_SHARE,
    P_MATERIAL_T,
    P_OUTPUT,
    P_PLANNED_DAYS,
    P_PORT,
    P_PRICE,
    P_RAIL,
    P_RAMP_DAYS,
    P_SITE,
    P_START,
    P_STORAGE_DAYS,
    P_SURGE,
    P_TRAIN_T,
    P_TRAINS,
    R_BLACKOUT_DAYS,
    R_BUILD_DETOUR,
    R_CON_LOST,
    R_CON_LOST_PV,
    R_CONVOYS,
    R_CONVOYS_PV,
    R_DELAYED,
    R_DETOUR_PV,
    R_DETOUR_TKM,
    R_EXPORT_LOST,
    R_EXPORT_PV,
    R_EXPORTED,
    R_FINISH,
    R_IDLE,
    R_LOSSES,
    R_MAT_LOST,
    R_MAT_LOST_PV,
    R_MAT_STALL,
    R_POTENTIAL,
    R_PRODUCED,
    R_STANDDOWN,
    R_STEPS,
    R_STORAGE,
    R_SUSP_BUILD,
    R_WAIT,
    Plan,
)
from riskmc.supply.compiled.timeline import build_timeline, time_with

__all__ = [
    "N_PLAN",
    "N_RESULT",
    "P_BLACKOUT_PROD",
    "P_BUFFER_DAYS",
    "P_COMMS",
    "P_CONSUMABLES",
    "P_CONS_BUFFER",
    "P_CONVOY_T",
    "P_DISCOUNT",
    "P_END",
    "P_EXPORT_KM",
    "P_HAS_BUILD",
    "P_HAS_OPS",
    "P_INBOUND_LEAD",
    "P_KM_PLANNED",
    "P_LOSS_SHARE",
    "P_MATERIAL_T",
    "P_OUTPUT",
    "P_PLANNED_DAYS",
    "P_PORT",
    "P_PRICE",
    "P_RAIL",
    "P_RAMP_DAYS",
    "P_SITE",
    "P_START",
    "P_STORAGE_DAYS",
    "P_SURGE",
    "P_TRAINS",
    "P_TRAIN_T",
    "R_BLACKOUT_DAYS",
    "R_BUILD_DETOUR",
    "R_CONVOYS",
    "R_CONVOYS_PV",
    "R_CON_LOST",
    "R_CON_LOST_PV",
    "R_DELAYED",
    "R_DETOUR_PV",
    "R_DETOUR_TKM",
    "R_EXPORTED",
    "R_EXPORT_LOST",
    "R_EXPORT_PV",
    "R_FINISH",
    "R_IDLE",
    "R_LOSSES",
    "R_MAT_LOST",
    "R_MAT_LOST_PV",
    "R_MAT_STALL",
    "R_POTENTIAL",
    "R_PRODUCED",
    "R_STANDDOWN",
    "R_STEPS",
    "R_STORAGE",
    "R_SUSP_BUILD",
    "R_WAIT",
    "Plan",
    "daily_rate",
    "pairwise_sum",
    "simulate",
    "simulate_entry",
]

_STANDDOWN, _BLACKOUT, _BLOCKED = kern.STANDDOWN, kern.BLACKOUT, kern.BLOCKED
_EXPORT_CLOSED, _OPS_STANDDOWN = kern.EXPORT_CLOSED, kern.OPS_STANDDOWN
_SUSPENDED, _REMOB = kern.SUSPENDED, kern.REMOB


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
        stall, n_stall, susp, n_susp, delay, n_delay = construct(
            floats, ints, allow, inbound, plan, bounds, masks, st, pend, res
        )
        now = res[R_FINISH]
    else:
        res[R_FINISH] = np.nan
    if has_ops:
        cst, cpend = _new_pile(plan, plan[P_CONSUMABLES], plan[P_CONS_BUFFER], rho)
        keep = _OPS_STANDDOWN | _EXPORT_CLOSED | _SUSPENDED | _REMOB | blocked
        bounds, masks = _phase_timeline(s, e, f, n, keep)
        lost, n_lost, hits, n_hits = operate(
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
