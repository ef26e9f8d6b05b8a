"""A chunk of replications through every project's compiled model: one Numba call.

For each replication, the network is packed with its closures and attack
pieces once (the layout of :func:`riskmc.network.compiled.pack`); for each
project, the site schedule is read off the event tables (blackouts of the
site's and the port's districts, stand-downs after site attacks, the
suspensions and their remobilisations; both in
:mod:`riskmc.supply.compiled.events`), the project model runs
(:func:`riskmc.supply.compiled.project.simulate`), and its outcome row is
written: money against the plan, debt service, covers, isolation, and the
drivers, each by a helper of its own.
The rules are those of :mod:`riskmc.engine.propagate` and
:mod:`riskmc.supply.project`; the Python side
(:mod:`riskmc.engine.compiled`) prepares the arrays.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

from riskmc.network.compiled import isolated_days_packed
from riskmc.supply.compiled import cover as cv
from riskmc.supply.compiled import outcomes as oc
from riskmc.supply.compiled import project as cp
from riskmc.supply.compiled.events import pack, schedule, sorted_rows

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
    floats, ints = pack(net_f, net_i, head, none_i, none_f, none_f, none_i, none_i, none_f, none_i)
    out = np.empty((plans.shape[0], oc.N_SUMMARY))
    for k in range(plans.shape[0]):
        plan = plans[k]
        res, _, stall, n_stall, _, _, _, _, _, _, _, _ = cp.simulate(
            floats, ints, allow, inbound, export_route, plan, none_f, none_f, none_i, 0, years
        )
        out[k] = oc.plan_summary(res, stall, n_stall, plan[cp.P_DISCOUNT])
    return out


@nb.njit(cache=True, error_model="numpy")
def _suspensions(
    susp: NDArray[np.float64], start: float, horizon: float, has_susp: bool, fm_days: float
) -> tuple[NDArray[np.float64], int, int, float, bool]:
    """The merged suspensions ``susp`` (rows start, end) that reach into a run from ``start``.

    Returns those, whole, and their count; how many of them, and how many of
    their days, fall in ``[start, horizon)``; and whether one lasts ``fm_days``
    or more while the project has suspensions (force majeure).
    """
    touching = np.empty((susp.shape[0], 2))
    n_touch = 0
    n_run = 0
    run_days = 0.0
    fm = False
    for j in range(susp.shape[0]):
        a, b = susp[j, 0], susp[j, 1]
        if b > start:
            touching[n_touch, 0], touching[n_touch, 1] = a, b
            n_touch += 1
            if has_susp and b - a >= fm_days:
                fm = True
        if b > start and a < horizon:
            n_run += 1
            run_days += min(b, horizon) - max(a, start)
    return touching, n_touch, n_run, run_days, fm


@nb.njit(cache=True, error_model="numpy")
def _site_hits(
    site_d: int,
    att_day: NDArray[np.float64],
    att_district: NDArray[np.int64],
    att_target: NDArray[np.int64],
    damage: NDArray[np.float64],
    a0: int,
    a1: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Days and damage [USD] of the attacks on the site among attack rows ``a0..a1-1``.

    The site is in district ``site_d`` (-1: none); ``damage`` is the
    project's damage of each attack row.
    """
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
            hit_usd[k] = damage[a]
            k += 1
    return hit_days, hit_usd


@nb.njit(cache=True, error_model="numpy")
def _debt_service(
    by_year: NDArray[np.float64],
    debt: NDArray[np.int64],
    debt_due: NDArray[np.float64],
    j0: int,
    j1: int,
    val: NDArray[np.float64],
    price: float,
    xrow: NDArray[np.float64],
    dscr_at: int,
) -> tuple[int, int]:
    """Debt years ``j0..j1-1`` whose cash falls short of the service: how many, and their bits.

    Each year's DSCR goes into ``xrow[dscr_at + debt[j, 2]]`` (NaN with no service).
    """
    short = 0
    mask = 0
    for j in range(j0, j1):
        tonnes = by_year[debt[j, 0]]
        service = val[oc.V_SERVICE] if np.isnan(debt_due[j]) else debt_due[j]
        cash = val[oc.V_MARGIN] * price * tonnes
        xrow[dscr_at + debt[j, 2]] = cash / service if service > 0 else np.nan
        if cash < service:
            short += 1
            mask |= np.int64(1) << debt[j, 1]
    return short, mask


@nb.njit(cache=True, error_model="numpy")
def _cover(
    xrow: NDArray[np.float64],
    terms: NDArray[np.float64],
    slots: NDArray[np.int64],
    n_slots: int,
    n_years: int,
    touching: NDArray[np.float64],
    n_touch: int,
    hit_days: NDArray[np.float64],
    hit_usd: NDArray[np.float64],
    start: float,
    horizon: float,
    rate: float,
) -> None:
    """A project's covers (:func:`cover.project_cover`): totals into ``xrow[0:3]``, columns after.

    The totals are the recoveries, their present value and the premiums [USD].
    """
    rec, rec_pv, prem = cv.project_cover(
        terms, slots, n_slots, n_years, touching, n_touch, hit_days, hit_usd,
        hit_days.shape[0], start, horizon, rate, xrow[3:],
    )  # fmt: skip
    xrow[0] = rec
    xrow[1] = rec_pv
    xrow[2] = prem


@nb.njit(cache=True, error_model="numpy")
def _drivers(
    o: NDArray[np.float64],
    late: float,
    storage: float,
    lost_t: float,
    delay: NDArray[np.float64],
    n_delay: int,
    lost: NDArray[np.float64],
    n_lost: int,
    hits: NDArray[np.float64],
    n_hits: int,
    site_d: int,
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
) -> None:
    """Delay [days] and lost output [t] by cause and by district, into the row ``o``.

    The delay records to what held them (:func:`outcomes.attribute`); the
    output lost by a later first production (``late`` tonnes) shared as the
    delay; the lost output records; the concentrate ``storage`` holds above
    the plan's; the export hits; and the rest of ``lost_t`` to "other".
    """
    nd = (o.shape[0] - F_FIXED) // 2  # driver districts
    dc = np.zeros(oc.N_CAUSES)
    dd = np.zeros(nd)
    oc.attribute(
        delay, n_delay, True, site_d, seg_ptr, seg_districts, slot, cause_driver,
        pc_key, pc_start, pc_end, pc_cause, p0, p1, att_day, att_district, a0, a1, dc, dd,
    )  # fmt: skip
    lc = np.zeros(_N_LOSS)
    ld = np.zeros(nd)
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
    lc[9] = storage
    lc[8] += oc.export_hits(
        hits, n_hits, seg_ptr, seg_districts, slot, att_day, att_district, a0, a1, ld
    )
    total = 0.0
    for k in range(_N_LOSS):
        total += lc[k]
    lc[oc.C_OTHER] = lost_t - (total - lc[oc.C_OTHER])
    for k in range(oc.N_CAUSES):
        o[F_DELAY_CAUSES + k] = dc[k]
    for k in range(_N_LOSS):
        o[F_LOST_CAUSES + k] = lc[k]
    for k in range(nd):
        o[F_FIXED + k] = dd[k]
        o[F_FIXED + nd + k] = ld[k]


@nb.njit(cache=True, error_model="numpy")
def _money_columns(
    o: NDArray[np.float64],
    res: NDArray[np.float64],
    summary: NDArray[np.float64],
    m: NDArray[np.float64],
    plan: NDArray[np.float64],
    lost_t: float,
    iso: float,
    run_days: float,
) -> None:
    """The row's days and money against the plan (``summary``): ``F_FINISH .. F_MONEY + 8``."""
    finish = res[cp.R_FINISH]
    o[F_FINISH] = finish
    o[F_DELAY] = finish - summary[oc.S_FINISH] if plan[cp.P_HAS_BUILD] != 0.0 else 0.0
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


@nb.njit(cache=True, error_model="numpy")
def _count_columns(
    io: NDArray[np.int64],
    rep: int,
    exposure: NDArray[np.bool_],
    att_district: NDArray[np.int64],
    a0: int,
    a1: int,
    res: NDArray[np.float64],
    n_run: int,
    fm: bool,
    short: int,
    mask: int,
) -> None:
    """The row's counts: attacks in the project's exposure districts, convoys, suspensions, debt."""
    n_exposed = 0
    for a in range(a0, a1):
        if exposure[att_district[a]]:
            n_exposed += 1
    io[I_REP] = rep
    io[I_ATTACKS] = n_exposed
    io[I_DELAYED] = int(res[cp.R_DELAYED])
    io[I_LOSSES] = int(res[cp.R_LOSSES])
    io[I_SUSPENSIONS] = n_run
    io[I_FORCE_MAJEURE] = 1 if fm else 0
    io[I_DEBT] = short
    io[I_MASK] = mask


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
        c_rows = sorted_rows(clo_key, clo_start, c0, c1, keep_c)
        a_rows = sorted_rows(pc_key, pc_start, p0, p1, keep_a)
        floats, ints = pack(
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
            # the merged suspensions that reach into the run, whole; the site attacks
            touching, n_touch, n_run, run_days, fm = _suspensions(
                susp[susp_off[p, r] : susp_off[p, r + 1]], start, horizon,
                cfg_i[p, C_HAS_SUSP] != 0, cfg_f[p, C_FM_DAYS],
            )  # fmt: skip
            hit_days, hit_usd = _site_hits(
                site_d, att_day, att_district, att_target, damage[p], a0, a1
            )
            n_site = hit_days.shape[0]
            s, e, f, n = schedule(
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
            xrow = xout[row]
            short, mask = _debt_service(
                by_year, debt, debt_due, debt_ptr[p], debt_ptr[p + 1], val, plan[cp.P_PRICE],
                xrow, dscr_at,
            )  # fmt: skip
            c0, c1 = cov_ptr[p], cov_ptr[p + 1]
            if c1 > c0:  # covers
                _cover(
                    xrow, cov_terms[c0:c1], cov_slot[c0:c1], n_slots, n_years, touching, n_touch,
                    hit_days, hit_usd, start, horizon, plan[cp.P_DISCOUNT],
                )  # fmt: skip
            iso = isolated_days_packed(
                floats, ints, allow, road_plan, int(plan[cp.P_PORT]), int(plan[cp.P_SITE]),
                start, horizon,
            )  # fmt: skip
            lost_t = summary[oc.S_EXPORTED] - res[cp.R_EXPORTED]
            # the row: drivers (delay, then lost output), money, counts
            _drivers(
                out[row], summary[oc.S_POTENTIAL] - res[cp.R_POTENTIAL],
                res[cp.R_STORAGE] - summary[oc.S_STORAGE], lost_t, delay, n_delay, lost, n_lost,
                hits, n_hits, site_d, seg_ptr, seg_districts, slot, cause_driver, pc_key,
                pc_start, pc_end, pc_cause, p0, p1, att_day, att_district, a0, a1,
            )  # fmt: skip
            _money_columns(out[row], res, summary, m, plan, lost_t, iso, run_days)
            _count_columns(
                iout[row], first + r, exposure[p], att_district, a0, a1, res, n_run, fm, short,
                mask,
            )  # fmt: skip
