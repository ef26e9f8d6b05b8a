"""A chunk of replications through every project's compiled model: one Numba call.

For each replication, the network is packed with its closures and attack
pieces once (the layout of :func:`riskmc.network.compiled.pack`); for each
project, the site schedule is read off the event tables (blackouts of the
site's and the port's districts, stand-downs after site attacks, the
suspensions and their remobilisations), the project model runs
(:func:`riskmc.supply.compiled.project.simulate`), and its outcome row is
written: money against the plan, debt service, isolation, and the drivers.
The rules are those of :mod:`riskmc.engine.propagate` and
:mod:`riskmc.supply.project`; the Python side
(:mod:`riskmc.engine.compiled`) prepares the arrays.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

from riskmc.network.compiled import isolated_days_packed
from riskmc.supply import kernels as kern
from riskmc.supply.compiled import cover as cv
from riskmc.supply.compiled import outcomes as oc
from riskmc.supply.compiled import project as cp

__all__ = ["F_FIXED", "I_COLUMNS", "plan_runs", "run_chunk"]

# Float outcome columns, then delay by district, then lost output by district.
F_FINISH, F_DELAY, F_STALL, F_CAPEX, F_LOST, F_LOST_USD, F_NPV, F_ISOLATED = range(8)
F_BLACKOUT, F_WAIT, F_SUSPENDED_DAYS = range(8, 11)
F_MONEY = 11  # M_STANDBY .. M_MITIGATION (9 items)
F_DELAY_CAUSES = 20  # 8
F_LOST_CAUSES = 28  # 10
F_FIXED = 38
# Integer outcome columns.
I_REP, I_ATTACKS, I_DELAYED, I_LOSSES, I_SUSPENSIONS, I_FORCE_MAJEURE, I_DEBT, I_MASK = range(8)
I_COLUMNS = 8
# Integer and float settings of a project (cfg_i, cfg_f).
C_SITE_D, C_PORT_D, C_HAS_SUSP, C_ESCORTED = range(4)
N_CFG_I = 4
C_START, C_HORIZON, C_STANDDOWN_BUILD, C_STANDDOWN_OPS, C_FM_DAYS = range(5)
N_CFG_F = 5
_SITE_TARGET = 2  # riskmc.hazard.inputs.TARGETS.index("site")
_ATTACK_CAUSE = 0  # riskmc.hazard.inputs.CAUSES.index("attack")
_N_LOSS = 10


@nb.njit(cache=True, error_model="numpy")
def _sorted_rows(
    key: NDArray[np.int64], start: NDArray[np.float64], lo: int, hi: int, keep: NDArray[np.bool_]
) -> NDArray[np.int64]:
    """Rows ``lo..hi-1`` (those with ``keep``) ordered by (key, start), stably (np.lexsort)."""
    m = 0
    for i in range(lo, hi):
        if keep[i]:
            m += 1
    rows = np.empty(m, dtype=np.int64)
    s = np.empty(m)
    m = 0
    for i in range(lo, hi):
        if keep[i]:
            rows[m] = i
            s[m] = start[i]
            m += 1
    rows = rows[np.argsort(s, kind="mergesort")]
    k = np.empty(m, dtype=np.int64)
    for i in range(m):
        k[i] = key[rows[i]]
    return rows[np.argsort(k, kind="mergesort")]


@nb.njit(cache=True, error_model="numpy")
def _pack(
    net_f: NDArray[np.float64],
    net_i: NDArray[np.int64],
    head: NDArray[np.int64],
    clo_key: NDArray[np.int64],
    clo_start: NDArray[np.float64],
    clo_end: NDArray[np.float64],
    c_rows: NDArray[np.int64],
    pc_key: NDArray[np.int64],
    pc_start: NDArray[np.float64],
    a_rows: NDArray[np.int64],
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """:func:`riskmc.network.compiled.pack` of a replication's closures and attack pieces."""
    n = head[0]
    m, ma = c_rows.shape[0], a_rows.shape[0]
    floats = np.empty(net_f.shape[0] + 2 * m + 2 * ma)
    ints = np.empty(5 + net_i.shape[0] + 2 * (n + 1), dtype=np.int64)
    for i in range(net_f.shape[0]):
        floats[i] = net_f[i]
    f = net_f.shape[0]
    for i in range(m):
        floats[f + i] = clo_start[c_rows[i]]
        floats[f + m + i] = clo_end[c_rows[i]]
    f += 2 * m
    for i in range(ma):
        floats[f + i] = pc_start[a_rows[i]]
        floats[f + ma + i] = pc_start[a_rows[i]]
    ints[0], ints[1], ints[2], ints[3], ints[4] = n, head[1], head[2], m, ma
    for i in range(net_i.shape[0]):
        ints[5 + i] = net_i[i]
    i0 = 5 + net_i.shape[0]
    _ptr(clo_key, c_rows, n, ints, i0)
    _ptr(pc_key, a_rows, n, ints, i0 + n + 1)
    return floats, ints


@nb.njit(cache=True, error_model="numpy")
def _ptr(
    key: NDArray[np.int64], rows: NDArray[np.int64], n: int, out: NDArray[np.int64], at: int
) -> None:
    """Compressed-row pointers of ``rows`` (sorted by key) into ``out[at:at + n + 1]``."""
    k = 0
    for j in range(n + 1):
        while k < rows.shape[0] and key[rows[k]] < j:
            k += 1
        out[at + j] = k


@nb.njit(cache=True, error_model="numpy")
def plan_runs(
    net_f: NDArray[np.float64],
    net_i: NDArray[np.int64],
    head: NDArray[np.int64],
    allow: NDArray[np.bool_],
    inbound: NDArray[np.int64],
    export_route: NDArray[np.int64],
    plans: NDArray[np.float64],
    years: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Each plan (a row of ``plans``) run with no hazard: its summary (``outcomes.S_*``)."""
    none_i = np.zeros(0, dtype=np.int64)
    none_f = np.zeros(0)
    floats, ints = _pack(net_f, net_i, head, none_i, none_f, none_f, none_i, none_i, none_f, none_i)
    out = np.empty((plans.shape[0], oc.N_SUMMARY))
    for k in range(plans.shape[0]):
        plan = plans[k]
        res, _, stall, n_stall, _, _, _, _, _, _, _, _ = cp.simulate(
            floats, ints, allow, inbound, export_route, plan, none_f, none_f, none_i, 0, years
        )
        out[k] = oc.plan_summary(res, stall, n_stall, plan[cp.P_DISCOUNT])
    return out


@nb.njit(cache=True, error_model="numpy")
def _schedule(
    site_d: int,
    port_d: int,
    standdown_build: float,
    standdown_ops: float,
    hit_days: NDArray[np.float64],
    blk_key: NDArray[np.int64],
    blk_start: NDArray[np.float64],
    blk_end: NDArray[np.float64],
    b0: int,
    b1: int,
    suspended: NDArray[np.float64],
    n_suspended: int,
    remob_days: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], int]:
    """The site schedule's spans and flags (``project.site_schedule``).

    ``hit_days`` are the days of the attacks on the site, in table order.
    """
    n_site = n_port = 0
    n_att = hit_days.shape[0]
    for b in range(b0, b1):
        if blk_key[b] == site_d and site_d >= 0:
            n_site += 1
        elif blk_key[b] == port_d and port_d >= 0 and port_d != site_d:
            n_port += 1
    cap = 2 * n_site + n_port + 2 * n_att + 2 * n_suspended
    s = np.empty(cap)
    e = np.empty(cap)
    f = np.empty(cap, dtype=np.int64)
    n = 0
    for b in range(b0, b1):
        if site_d >= 0 and blk_key[b] == site_d:
            s[n], e[n], f[n] = blk_start[b], blk_end[b], kern.BLACKOUT
            s[n + 1], e[n + 1], f[n + 1] = blk_start[b], blk_end[b], kern.BLOCKED
            n += 2
        elif port_d >= 0 and port_d != site_d and blk_key[b] == port_d:
            s[n], e[n], f[n] = blk_start[b], blk_end[b], kern.BLOCKED
            n += 1
    for a in range(n_att):
        t = hit_days[a]
        s[n], e[n], f[n] = t, t + standdown_build, kern.STANDDOWN
        s[n + 1], e[n + 1], f[n + 1] = t, t + standdown_ops, kern.OPS_STANDDOWN
        n += 2
    for j in range(n_suspended):
        s[n], e[n], f[n] = suspended[j, 0], suspended[j, 1], kern.SUSPENDED
        n += 1
    if remob_days > 0:
        for j in range(n_suspended):
            a, b = suspended[j, 0], suspended[j, 1]
            s[n], e[n], f[n] = b, b + min(remob_days, b - a), kern.REMOB
            n += 1
    return s, e, f, n


@nb.njit(cache=True, error_model="numpy")
def run_chunk(
    net_f: NDArray[np.float64],
    net_i: NDArray[np.int64],
    head: NDArray[np.int64],
    allow: NDArray[np.bool_],
    first: int,
    n_reps: int,
    clo_key: NDArray[np.int64],
    clo_start: NDArray[np.float64],
    clo_end: NDArray[np.float64],
    clo_off: NDArray[np.int64],
    pc_key: NDArray[np.int64],
    pc_start: NDArray[np.float64],
    pc_end: NDArray[np.float64],
    pc_cause: NDArray[np.int64],
    pc_off: NDArray[np.int64],
    att_day: NDArray[np.float64],
    att_district: NDArray[np.int64],
    att_target: NDArray[np.int64],
    att_off: NDArray[np.int64],
    blk_key: NDArray[np.int64],
    blk_start: NDArray[np.float64],
    blk_end: NDArray[np.float64],
    blk_off: NDArray[np.int64],
    cfg_i: NDArray[np.int64],
    cfg_f: NDArray[np.float64],
    route_ptr: NDArray[np.int64],
    routes: NDArray[np.int64],
    year_ptr: NDArray[np.int64],
    years: NDArray[np.float64],
    debt_ptr: NDArray[np.int64],
    debt: NDArray[np.int64],
    exposure: NDArray[np.bool_],
    plans: NDArray[np.float64],
    summaries: NDArray[np.float64],
    values: NDArray[np.float64],
    damage: NDArray[np.float64],
    susp_off: NDArray[np.int64],
    susp: NDArray[np.float64],
    seg_ptr: NDArray[np.int64],
    seg_districts: NDArray[np.int64],
    slot: NDArray[np.int64],
    cause_driver: NDArray[np.int64],
    debt_due: NDArray[np.float64],
    cov_ptr: NDArray[np.int64],
    cov_terms: NDArray[np.float64],
    cov_slot: NDArray[np.int64],
    n_years: int,
    out: NDArray[np.float64],
    iout: NDArray[np.int64],
    xout: NDArray[np.float64],
) -> None:
    """Outcome rows of ``n_reps`` replications from ``first``, (replication, project) order.

    Rows of the event tables of replication ``first + r`` are
    ``*_off[r]:*_off[r + 1]``. Per project ``p``: settings ``cfg_i[p]``,
    ``cfg_f[p]``; its inbound road route, export route and planned road path
    are ``routes[route_ptr[3p + k]:route_ptr[3p + k + 1]]`` for k = 0, 1, 2;
    its years ``years[year_ptr[p]:year_ptr[p + 1]]``; its debt years rows
    ``(year index, bit)`` of ``debt``; ``plans[p, r]``, ``summaries[p, r]``
    (the plan's run) and ``values[p, r]`` per replication; ``damage[p, a]``
    of each attack row; the merged suspensions of replication r,
    ``susp[susp_off[p, r]:susp_off[p, r + 1]]`` (start, end). A debt row's service
    is ``debt_due`` (NaN: the level ``values[.., V_SERVICE]``) and its DSCR column
    ``debt[j, 2]``; project ``p``'s covers are rows ``cov_ptr[p]:cov_ptr[p + 1]`` of
    ``cov_terms`` (``cover.K_*``) with column slots ``cov_slot``, over ``n_years``
    simulated years. ``xout`` gets the totals of the covers (columns 0-2), then the
    columns of :func:`riskmc.engine.cover.extra_schema` (zeroed by the caller; DSCR NaN).
    """
    n_proj = cfg_i.shape[0]
    nd = (out.shape[1] - F_FIXED) // 2  # driver districts
    n_slots = 0
    for c in range(cov_slot.shape[0]):
        n_slots = max(n_slots, cov_slot[c] + 1)
    dscr_at = 3 + 2 * n_slots + 2 * n_slots * n_years
    keep_c = np.ones(clo_key.shape[0], dtype=np.bool_)
    keep_a = pc_cause == _ATTACK_CAUSE
    for r in range(n_reps):
        c0, c1 = clo_off[r], clo_off[r + 1]
        p0, p1 = pc_off[r], pc_off[r + 1]
        a0, a1 = att_off[r], att_off[r + 1]
        b0, b1 = blk_off[r], blk_off[r + 1]
        c_rows = _sorted_rows(clo_key, clo_start, c0, c1, keep_c)
        a_rows = _sorted_rows(pc_key, pc_start, p0, p1, keep_a)
        floats, ints = _pack(
            net_f, net_i, head, clo_key, clo_start, clo_end, c_rows, pc_key, pc_start, a_rows
        )
        for p in range(n_proj):
            row = r * n_proj + p
            site_d, port_d = cfg_i[p, C_SITE_D], cfg_i[p, C_PORT_D]
            start, horizon = cfg_f[p, C_START], cfg_f[p, C_HORIZON]
            plan = plans[p, r]
            summary = summaries[p, r]
            val = values[p, r]
            inbound = routes[route_ptr[3 * p] : route_ptr[3 * p + 1]]
            export = routes[route_ptr[3 * p + 1] : route_ptr[3 * p + 2]]
            road_plan = routes[route_ptr[3 * p + 2] : route_ptr[3 * p + 3]]
            yrs = years[year_ptr[p] : year_ptr[p + 1]]
            # the merged suspensions that reach into the run, whole
            s0, s1 = susp_off[p, r], susp_off[p, r + 1]
            touching = np.empty((s1 - s0, 2))
            n_touch = 0
            n_run = 0
            run_days = 0.0
            fm = False
            for j in range(s0, s1):
                a, b = susp[j, 0], susp[j, 1]
                if b > start:
                    touching[n_touch, 0], touching[n_touch, 1] = a, b
                    n_touch += 1
                    if cfg_i[p, C_HAS_SUSP] and b - a >= cfg_f[p, C_FM_DAYS]:
                        fm = True
                if b > start and a < horizon:
                    n_run += 1
                    run_days += min(b, horizon) - max(a, start)
            # site attacks and their damage
            n_site = 0
            for a in range(a0, a1):
                if site_d >= 0 and att_target[a] == _SITE_TARGET and att_district[a] == site_d:
                    n_site += 1
            hit_days = np.empty(n_site)
            hit_usd = np.empty(n_site)
            k = 0
            for a in range(a0, a1):
                if site_d >= 0 and att_target[a] == _SITE_TARGET and att_district[a] == site_d:
                    hit_days[k] = att_day[a]
                    hit_usd[k] = damage[p, a]
                    k += 1
            s, e, f, n = _schedule(
                site_d, port_d, cfg_f[p, C_STANDDOWN_BUILD], cfg_f[p, C_STANDDOWN_OPS],
                hit_days, blk_key, blk_start, blk_end, b0, b1,
                touching, n_touch, val[oc.V_REMOB_DAYS],
            )  # fmt: skip
            res, by_year, stall, n_stall, sb, n_sb, delay, n_delay, lost, n_lost, hits, n_hits = (
                cp.simulate(floats, ints, allow, inbound, export, plan, s, e, f, n, yrs)
            )
            m = oc.money(
                res, stall, n_stall, sb, n_sb, plan, summary, val, hit_days, hit_usd, n_site,
                touching, n_touch, cfg_i[p, C_HAS_SUSP] != 0, cfg_i[p, C_ESCORTED] != 0,
            )  # fmt: skip
            # debt service
            short = 0
            mask = 0
            xrow = xout[row]
            for j in range(debt_ptr[p], debt_ptr[p + 1]):
                tonnes = by_year[debt[j, 0]]
                service = val[oc.V_SERVICE] if np.isnan(debt_due[j]) else debt_due[j]
                cash = val[oc.V_MARGIN] * plan[cp.P_PRICE] * tonnes
                xrow[dscr_at + debt[j, 2]] = cash / service if service > 0 else np.nan
                if cash < service:
                    short += 1
                    mask |= np.int64(1) << debt[j, 1]
            # cover
            c0, c1 = cov_ptr[p], cov_ptr[p + 1]
            if c1 > c0:
                rec, rec_pv, prem = cv.project_cover(
                    cov_terms[c0:c1], cov_slot[c0:c1], n_slots, n_years, touching, n_touch,
                    hit_days, hit_usd, n_site, start, horizon, plan[cp.P_DISCOUNT], xrow[3:],
                )  # fmt: skip
                xrow[0] = rec
                xrow[1] = rec_pv
                xrow[2] = prem
            iso = isolated_days_packed(
                floats, ints, allow, road_plan, int(plan[cp.P_PORT]), int(plan[cp.P_SITE]),
                start, horizon,
            )  # fmt: skip
            n_exposed = 0
            for a in range(a0, a1):
                if exposure[p, att_district[a]]:
                    n_exposed += 1
            has_build = plan[cp.P_HAS_BUILD] != 0.0
            finish = res[cp.R_FINISH]
            delay_days = finish - summary[oc.S_FINISH] if has_build else 0.0
            lost_t = summary[oc.S_EXPORTED] - res[cp.R_EXPORTED]
            # drivers: delay, then lost output
            dc = np.zeros(oc.N_CAUSES)
            dd = np.zeros(nd)
            oc.attribute(
                delay, n_delay, True, site_d, seg_ptr, seg_districts, slot, cause_driver,
                pc_key, pc_start, pc_end, pc_cause, p0, p1, att_day, att_district, a0, a1, dc, dd,
            )  # fmt: skip
            lc = np.zeros(_N_LOSS)
            ld = np.zeros(nd)
            late = summary[oc.S_POTENTIAL] - res[cp.R_POTENTIAL]
            held = 0.0
            for k in range(oc.N_CAUSES):
                held += dc[k]
            if late > 0 and held > 0:
                for k in range(oc.N_CAUSES):
                    lc[k] += late * dc[k] / held
                for k in range(nd):
                    ld[k] += late * dd[k] / held
            mc = np.zeros(oc.N_CAUSES)
            md = np.zeros(nd)
            oc.attribute(
                lost, n_lost, False, site_d, seg_ptr, seg_districts, slot, cause_driver,
                pc_key, pc_start, pc_end, pc_cause, p0, p1, att_day, att_district, a0, a1, mc, md,
            )  # fmt: skip
            for k in range(oc.N_CAUSES):
                lc[k] += mc[k]
            for k in range(nd):
                ld[k] += md[k]
            lc[9] = res[cp.R_STORAGE] - summary[oc.S_STORAGE]
            lc[8] += oc.export_hits(
                hits, n_hits, seg_ptr, seg_districts, slot, att_day, att_district, a0, a1, ld
            )
            total = 0.0
            for k in range(_N_LOSS):
                total += lc[k]
            lc[oc.C_OTHER] = lost_t - (total - lc[oc.C_OTHER])
            # the row
            o = out[row]
            o[F_FINISH] = finish
            o[F_DELAY] = delay_days
            stalled = res[cp.R_MAT_STALL] + res[cp.R_STANDDOWN]
            o[F_STALL] = stalled - summary[oc.S_STALLED]
            o[F_CAPEX] = (
                m[oc.M_STANDBY]
                + m[oc.M_CARRY]
                + m[oc.M_TRANSPORT]
                + m[oc.M_DAMAGE]
                + m[oc.M_CARGO]
                + m[oc.M_SUSP_STANDBY]
                + m[oc.M_REMOB]
            )
            o[F_LOST] = lost_t
            o[F_LOST_USD] = plan[cp.P_PRICE] * lost_t
            o[F_NPV] = m[oc.M_NPV]
            o[F_ISOLATED] = iso
            o[F_BLACKOUT] = res[cp.R_BLACKOUT_DAYS]
            o[F_WAIT] = res[cp.R_WAIT]
            o[F_SUSPENDED_DAYS] = run_days
            for k in range(9):
                o[F_MONEY + k] = m[k]
            for k in range(oc.N_CAUSES):
                o[F_DELAY_CAUSES + k] = dc[k]
            for k in range(_N_LOSS):
                o[F_LOST_CAUSES + k] = lc[k]
            for k in range(nd):
                o[F_FIXED + k] = dd[k]
                o[F_FIXED + nd + k] = ld[k]
            io = iout[row]
            io[I_REP] = first + r
            io[I_ATTACKS] = n_exposed
            io[I_DELAYED] = int(res[cp.R_DELAYED])
            io[I_LOSSES] = int(res[cp.R_LOSSES])
            io[I_SUSPENSIONS] = n_run
            io[I_FORCE_MAJEURE] = 1 if fm else 0
            io[I_DEBT] = short
            io[I_MASK] = mask
