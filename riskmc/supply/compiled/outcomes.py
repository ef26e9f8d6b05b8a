"""Money, debt service and driver attribution of one run, in Numba.

The compiled twins of :func:`riskmc.engine.propagate.money`,
:func:`~riskmc.engine.propagate.debt_shortfalls` and
``ChunkModel._attribute``/``ChunkModel._lost``: the same items in the same
order (read their docstrings for the rules). They work on the compiled
model's result vector and tables (:mod:`riskmc.supply.compiled.project`).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numpy.typing import NDArray

from riskmc.supply import kernels as kern
from riskmc.supply.compiled import project as cp

__all__ = ["attribute", "money", "present_value"]

# Slots of a project's per-replication values (costs, suspension, debt).
V_STANDBY, V_OVERHEAD, V_INTEREST, V_TKM, V_MATERIAL_USD, V_CONSUMABLES_USD = range(6)
V_ESCORT, V_MITIGATION, V_REMOB_USD, V_REMOB_DAYS, V_STANDBY_DAYS = range(6, 11)
V_P_SITE, V_P_DISTRICT, V_P_CAMPAIGN, V_SERVICE, V_MARGIN = range(11, 16)
N_VALUES = 16

# Slots of a plan run's summary (what the outcomes read of the plan).
S_FINISH, S_STALLED, S_STALL_PV, S_EXPORT_PV, S_EXPORTED, S_STORAGE, S_POTENTIAL = range(7)
N_SUMMARY = 7

# Slots of money's result.
M_STANDBY, M_CARRY, M_TRANSPORT, M_DAMAGE, M_CARGO, M_SUSP_STANDBY, M_REMOB = range(7)
M_OPEX, M_MITIGATION, M_NPV = range(7, 10)
N_MONEY = 10

# Driver causes (riskmc.engine.propagate.DRIVER_CAUSES) by index.
C_ATTACK_CLOSURE, C_SEIZURE, C_PROTEST, C_STRESS, C_BLACKOUT, C_SITE_ATTACK = range(6)
C_SUSPENSION, C_OTHER = 6, 7
N_CAUSES = 8
_HELD_BY_BLACKOUT_WORK = -4


@nb.njit(cache=True, error_model="numpy")
def present_value(rate_per_year: float, a: float, b: float) -> float:
    """:func:`riskmc.supply.model.present_value` over ``[a, b]`` (``b`` NaN: 1 on day ``a``)."""
    rho = math.log1p(rate_per_year) / 365.25
    if np.isnan(b):
        return math.exp(-rho * a)
    if rho == 0.0:
        return b - a
    return (math.exp(-rho * a) - math.exp(-rho * b)) / rho


@nb.njit(cache=True, error_model="numpy")
def plan_summary(
    res: NDArray[np.float64], stall: NDArray[np.float64], n_stall: int, rate: float
) -> NDArray[np.float64]:
    """What the outcomes read of a plan run (slots ``S_*``)."""
    out = np.zeros(N_SUMMARY)
    out[S_FINISH] = res[cp.R_FINISH]
    out[S_STALLED] = res[cp.R_MAT_STALL] + res[cp.R_STANDDOWN]
    pv = 0.0
    for i in range(n_stall):
        pv += present_value(rate, stall[i, 0], stall[i, 1])
    out[S_STALL_PV] = pv
    out[S_EXPORT_PV] = res[cp.R_EXPORT_PV]
    out[S_EXPORTED] = res[cp.R_EXPORTED]
    out[S_STORAGE] = res[cp.R_STORAGE]
    out[S_POTENTIAL] = res[cp.R_POTENTIAL]
    return out


@nb.njit(cache=True, error_model="numpy")
def money(
    res: NDArray[np.float64],
    stall: NDArray[np.float64],
    n_stall: int,
    susp_build: NDArray[np.float64],
    n_susp_build: int,
    plan: NDArray[np.float64],
    summary: NDArray[np.float64],
    values: NDArray[np.float64],
    hit_days: NDArray[np.float64],
    hit_usd: NDArray[np.float64],
    n_hits: int,
    suspended: NDArray[np.float64],
    n_suspended: int,
    has_suspension: bool,
    escorted: bool,
) -> NDArray[np.float64]:
    """Cost items and NPV loss of a run against its plan (``propagate.money``), slots ``M_*``.

    ``hit_days``/``hit_usd`` are the site attacks and their damage,
    ``suspended`` the merged suspensions that reach into the run, whole.
    """
    standby = values[V_STANDBY]
    carry = values[V_OVERHEAD] + values[V_INTEREST]
    tkm = values[V_TKM]
    rate = plan[cp.P_DISCOUNT]
    finish = res[cp.R_FINISH]
    built = finish if not np.isnan(finish) else -np.inf
    delay = finish - summary[S_FINISH] if not np.isnan(finish) else 0.0
    pv_stall = 0.0
    for i in range(n_stall):
        pv_stall += present_value(rate, stall[i, 0], stall[i, 1])
    pv = standby * pv_stall
    pv -= standby * summary[S_STALL_PV]
    if delay > 0:
        pv += carry * present_value(rate, summary[S_FINISH], finish)
    elif delay < 0:
        pv -= carry * present_value(rate, finish, summary[S_FINISH])
    pv += tkm * res[cp.R_DETOUR_PV]
    pv += summary[S_EXPORT_PV] - res[cp.R_EXPORT_PV]
    build_damage = ops_damage = 0.0
    for i in range(n_hits):
        usd = hit_usd[i]
        if hit_days[i] < built:
            build_damage += usd
        else:
            ops_damage += usd
        pv += usd * present_value(rate, hit_days[i], np.nan)
    build_cargo = ops_cargo = 0.0
    if plan[cp.P_HAS_BUILD] != 0.0:
        build_cargo += values[V_MATERIAL_USD] * res[cp.R_MAT_LOST]
        pv += values[V_MATERIAL_USD] * res[cp.R_MAT_LOST_PV]
    if plan[cp.P_HAS_OPS] != 0.0:
        ops_cargo += values[V_CONSUMABLES_USD] * res[cp.R_CON_LOST]
        pv += values[V_CONSUMABLES_USD] * res[cp.R_CON_LOST_PV]
    # standby while suspended in construction: the first standby_days of each suspension
    cap = values[V_STANDBY_DAYS]
    charged_pv = 0.0
    charged_days = 0.0
    if not has_suspension or np.isnan(cap):
        for i in range(n_susp_build):
            charged_pv += present_value(rate, susp_build[i, 0], susp_build[i, 1])
            charged_days += susp_build[i, 1] - susp_build[i, 0]
    else:
        for i in range(n_susp_build):
            a, b = susp_build[i, 0], susp_build[i, 1]
            for j in range(n_suspended):
                w0 = suspended[j, 0]
                w1 = min(suspended[j, 1], w0 + cap)
                lo, hi = max(a, w0), min(b, w1)
                if hi > lo:
                    charged_pv += present_value(rate, lo, hi)
                    charged_days += hi - lo
    pv += standby * charged_pv
    build_remob = ops_remob = 0.0
    if has_suspension and n_suspended:
        remob = values[V_REMOB_USD]
        for j in range(n_suspended):
            day = suspended[j, 0]
            if day < built:
                build_remob += remob
            else:
                ops_remob += remob
            pv += remob * present_value(rate, day, np.nan)
    mitigation = values[V_MITIGATION]
    if escorted:
        mitigation += values[V_ESCORT] * res[cp.R_CONVOYS_PV]
    out = np.empty(N_MONEY)
    stalled = res[cp.R_MAT_STALL] + res[cp.R_STANDDOWN]
    out[M_STANDBY] = standby * (stalled - summary[S_STALLED])
    out[M_CARRY] = carry * delay
    out[M_TRANSPORT] = tkm * res[cp.R_BUILD_DETOUR]
    out[M_DAMAGE] = build_damage
    out[M_CARGO] = build_cargo
    out[M_SUSP_STANDBY] = standby * charged_days
    out[M_REMOB] = build_remob
    out[M_OPEX] = (
        tkm * (res[cp.R_DETOUR_TKM] - res[cp.R_BUILD_DETOUR]) + ops_damage + ops_cargo + ops_remob
    )
    out[M_MITIGATION] = mitigation
    out[M_NPV] = pv
    return out


@nb.njit(cache=True, error_model="numpy")
def _attack_district(
    day: float,
    seg: int,
    seg_ptr: NDArray[np.int64],
    seg_districts: NDArray[np.int64],
    att_day: NDArray[np.float64],
    att_district: NDArray[np.int64],
    a0: int,
    a1: int,
    out: NDArray[np.int64],
) -> int:
    """District of the attack on ``day`` in the segment's districts (``simpy_engine._Held``).

    Writes the districts into ``out`` and returns how many: the first attack
    of the day (in table order) in one of the segment's districts, else
    all of them. A replication's attacks are sorted by day.
    """
    lo, hi = seg_ptr[seg], seg_ptr[seg + 1]
    a = a0 + np.searchsorted(att_day[a0:a1], day, side="left")
    while a < a1 and att_day[a] == day:
        d = att_district[a]
        for k in range(lo, hi):
            if seg_districts[k] == d:
                out[0] = d
                return 1
        a += 1
    for k in range(lo, hi):
        out[k - lo] = seg_districts[k]
    return int(hi - lo)


@nb.njit(cache=True, error_model="numpy")
def _piece(
    seg: int,
    until: float,
    pc_key: NDArray[np.int64],
    pc_start: NDArray[np.float64],
    pc_end: NDArray[np.float64],
    pc_cause: NDArray[np.int64],
    p0: int,
    p1: int,
) -> tuple[int, float]:
    """(cause, start) of the last closure piece of ``seg`` ending at ``until`` (-1 if none).

    A replication's pieces are sorted by segment.
    """
    cause, start = -1, 0.0
    lo = p0 + np.searchsorted(pc_key[p0:p1], seg, side="left")
    hi = p0 + np.searchsorted(pc_key[p0:p1], seg, side="right")
    for i in range(lo, hi):
        if pc_end[i] == until:
            cause, start = pc_cause[i], pc_start[i]
    return cause, start


@nb.njit(cache=True, error_model="numpy")
def attribute(
    records: NDArray[np.float64],
    n: int,
    follows_all: bool,
    site_district: int,
    seg_ptr: NDArray[np.int64],
    seg_districts: NDArray[np.int64],
    slot: NDArray[np.int64],
    cause_driver: NDArray[np.int64],
    pc_key: NDArray[np.int64],
    pc_start: NDArray[np.float64],
    pc_end: NDArray[np.float64],
    pc_cause: NDArray[np.int64],
    p0: int,
    p1: int,
    att_day: NDArray[np.float64],
    att_district: NDArray[np.int64],
    a0: int,
    a1: int,
    by_cause: NDArray[np.float64],
    by_district: NDArray[np.float64],
) -> None:
    """Add records ``(held by, until, amount[, follows])`` to causes and districts.

    ``ChunkModel._attribute``: consecutive records with the same holder
    merged, then each to what held it; "held by nothing" to the disruption
    just before it. ``cause_driver`` maps a closure cause code to a driver
    cause (-1: other); ``slot`` a district to its column (-1: none).
    """
    n_d = seg_districts.shape[0] + 1
    cur = np.empty(max(n_d, 1), dtype=np.int64)
    last = np.empty(max(n_d, 1), dtype=np.int64)
    last_name = -1  # none
    last_n = 0
    i = 0
    while i < n:
        held, until, amount = records[i, 0], records[i, 1], records[i, 2]
        follows = follows_all or records[i, 3] != 0.0
        j = i + 1
        while (
            j < n
            and (follows_all or records[j, 3] != 0.0)
            and records[j, 0] == held
            and records[j, 1] == until
        ):
            amount += records[j, 2]
            j += 1
        i = j
        if not follows:
            last_name = -1
        nc = 0
        h = int(held)
        if h == kern.HELD_BY_NOTHING and last_name >= 0:
            name = last_name
            nc = last_n
            for k in range(nc):
                cur[k] = last[k]
        elif h >= 0:
            cause, start = _piece(h, until, pc_key, pc_start, pc_end, pc_cause, p0, p1)
            name = cause_driver[cause] if cause >= 0 else C_OTHER
            if name < 0:
                name = C_OTHER
            if name == C_ATTACK_CLOSURE:
                nc = _attack_district(
                    start, h, seg_ptr, seg_districts, att_day, att_district, a0, a1, cur
                )
            else:
                nc = seg_ptr[h + 1] - seg_ptr[h]
                for k in range(nc):
                    cur[k] = seg_districts[seg_ptr[h] + k]
        elif h == kern.HELD_BY_SITE_ATTACK:
            name = C_SITE_ATTACK
        elif h == kern.HELD_BY_SUSPENSION:
            name = C_SUSPENSION
        elif h == kern.HELD_BY_BLACKOUT or h == _HELD_BY_BLACKOUT_WORK:
            name = C_BLACKOUT
        else:
            name = C_OTHER
        # blackout, site attack, suspension: held by the site's district
        if C_BLACKOUT <= name <= C_SUSPENSION and site_district >= 0:
            cur[0] = site_district
            nc = 1
        if h >= 0 or h == kern.HELD_BY_BLACKOUT:
            last_name = name
            last_n = nc
            for k in range(nc):
                last[k] = cur[k]
        by_cause[name] += amount
        for k in range(nc):
            by_district[slot[cur[k]]] += amount / nc


@nb.njit(cache=True, error_model="numpy")
def export_hits(
    hits: NDArray[np.float64],
    n_hits: int,
    seg_ptr: NDArray[np.int64],
    seg_districts: NDArray[np.int64],
    slot: NDArray[np.int64],
    att_day: NDArray[np.float64],
    att_district: NDArray[np.int64],
    a0: int,
    a1: int,
    by_district: NDArray[np.float64],
) -> float:
    """Concentrate destroyed on the way to the port, to the attacks' districts; the total."""
    cur = np.empty(max(seg_districts.shape[0], 1), dtype=np.int64)
    total = 0.0
    for i in range(n_hits):
        tonnes = hits[i, 2]
        total += tonnes
        nc = _attack_district(
            hits[i, 0], int(hits[i, 1]), seg_ptr, seg_districts, att_day, att_district, a0, a1,
            cur,
        )  # fmt: skip
        for k in range(nc):
            by_district[slot[cur[k]]] += tonnes / nc
    return total
