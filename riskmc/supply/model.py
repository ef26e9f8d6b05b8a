"""A mining project as a SimPy model: construction, then operations to the horizon.

The model is event-driven by regimes: a process sleeps until the next moment
that can change its rates (a blackout or stand-down starting or ending, a
stock-out computed from the draw-down, a hit convoy's cargo coming in, the
export route closing or reopening, a ramp-up step, the work finishing) and
never ticks day by day. Within a regime every rate is constant, so stocks
move linearly and the convoys of the base-stock policy leave on known days;
they are sent in one batch (:func:`riskmc.supply.stockpile.stockpile_plan`), each
along the network under the replication's closures. In operations the whole
regime is one compiled step (:func:`riskmc.supply.kernels.operate_step`). The model draws no
random numbers: everything uncertain is in the replication's hazard sample.
SimPy engine only: its plans and result are those of :mod:`riskmc.supply.plans`
(shared with the compiled engine, :mod:`riskmc.supply.compiled`), the state of a
run is in :mod:`riskmc.supply.state`.

Construction (SPEC.md, "Supply chain" and "Stock policy")
    The planned work takes ``planned_days`` working days and consumes
    ``material_t / planned_days`` a working day from a site stock that starts
    full at ``site_buffer_days`` of need. Convoys of ``convoy_t`` leave the
    port when the stock plus what is on the road falls one convoy below the
    base-stock level (the buffer plus the need over the planned travel time).
    Work stops while the stock is empty (a stall) and during stand-downs after
    site attacks, and runs at ``blackout_productivity`` during blackouts of the
    site's district. First production is when the planned work is done.

Operations (from first production, or day 0 for an operating mine, to the horizon)
    Output ramps up linearly over ``ramp_up_days``, taken as a staircase of
    steps of at most 30 days, each at the ramp's mean over the step (the same
    tonnes as the linear ramp). Production draws consumables in proportion
    (``consumables_t_per_day`` at full output) from a site stock fed like the
    construction stockpile (full at ``consumables_buffer_days`` of full-output
    need at first production), fills concentrate storage (``storage_days`` of
    full output) and stops while consumables are out, during stand-downs,
    and when storage is full (then it runs at the export rate).
    Export by rail is a flow of ``trains_per_day x train_t`` a day while every
    segment of the export route is open (trains wait out closures), or of
    ``surge_trains_per_day x train_t`` while storage holds concentrate; export by
    road sends a convoy of ``convoy_t`` to the port each time storage holds one.
    With ``dispatch_needs_comms``, no convoy (inbound or road export) leaves
    while the origin's or the site's district is blacked out; trains run on
    the railway's own signalling and do not wait for mobile data. An attack on
    a segment of the rail export route destroys ``convoy_loss_share`` of the
    concentrate on that segment at that moment (the flow's tonnes between the
    segment's ends); a road convoy loses that share of its cargo per attack on
    its segment while it is on it.
    Revenue is booked when concentrate leaves the site, net of what attacks
    destroy on the way. Road export convoys wait at the site (their load stays
    in storage) while the first segment of their route is closed and no open
    detour exists; otherwise they wait or detour like any shipment.
    ``turnaround_days`` does not enter this flow model.

Suspensions (SPEC.md, "Suspensions: the long stops")
    While the site is suspended it is closed: no construction work, no
    production, no loading of exports (the rail flow stops, no road export
    convoy leaves), and no convoy leaves for the site, whatever
    ``dispatch_needs_comms`` says; shipments already on the road arrive. A
    stand-down inside a suspension changes nothing more. For
    ``remobilization_days`` after each suspension, work and production run at
    half rate (times the blackout productivity during a blackout). Delay and
    lost output of both are held by ``HELD_BY_SUSPENSION``.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray

from riskmc.network.compiled import held_at_source_packed, ship_many_packed
from riskmc.supply import kernels as kern
from riskmc.supply.plans import (
    HELD_BY_BLACKOUT,
    HELD_BY_BLACKOUT_WORK,
    HELD_BY_CAPACITY,
    HELD_BY_NOTHING,
    HELD_BY_SITE_ATTACK,
    HELD_BY_SUSPENSION,
    ConstructionPlan,
    Hazard,
    OperationsPlan,
    ProjectResult,
    SiteSchedule,
    daily_rate,
    present_value,
)
from riskmc.supply.state import Run, Stockpile

__all__ = [
    "HELD_BY_BLACKOUT",
    "HELD_BY_BLACKOUT_WORK",
    "HELD_BY_CAPACITY",
    "HELD_BY_NOTHING",
    "HELD_BY_SITE_ATTACK",
    "HELD_BY_SUSPENSION",
    "ConstructionPlan",
    "Hazard",
    "OperationsPlan",
    "ProjectResult",
    "SiteSchedule",
    "present_value",
    "simulate_project",
]

_EPS = kern.EMPTY_T  # tonnes: a stock below this is empty
_STANDDOWN, _BLACKOUT, _BLOCKED = kern.STANDDOWN, kern.BLACKOUT, kern.BLOCKED
_EXPORT_CLOSED, _OPS_STANDDOWN = kern.EXPORT_CLOSED, kern.OPS_STANDDOWN
_SUSPENDED, _REMOB = kern.SUSPENDED, kern.REMOB
_RAMP_STEP_DAYS = 30.0


def _construct(
    env: simpy.Environment, run: Run, plan: ConstructionPlan
) -> Generator[simpy.Event, Any, None]:
    r = run.result
    need = plan.need_t_per_day
    pile = run.piles["material"]
    used_flags = (_STANDDOWN, _BLACKOUT, _SUSPENDED, _REMOB)
    timeline = run.phase_timeline(
        (*used_flags, _BLOCKED) if plan.dispatch_needs_comms else used_flags
    )
    progress = 0.0
    while progress < plan.planned_days:
        now = env.now
        mask, until = timeline.at(now)
        suspended = bool(mask & _SUSPENDED)
        # productivity before and after a remobilization's half rate
        base = (
            0.0
            if mask & (_STANDDOWN | _SUSPENDED)
            else (plan.blackout_productivity if mask & _BLACKOUT else 1.0)
        )
        p = base * kern.REMOB_SHARE if mask & _REMOB else base
        stalled = p > 0 and pile.stock <= _EPS
        rate = need * p if p > 0 and not stalled else 0.0
        t_done = now + (plan.planned_days - progress) / p if rate > 0 else math.inf
        until = min(until, t_done)
        until = min(until, pile.next_lossy())
        if stalled:
            until = min(until, pile.next_arrival())
        blocked = suspended or (plan.dispatch_needs_comms and bool(mask & _BLOCKED))
        hold_code = HELD_BY_SUSPENSION if suspended else HELD_BY_BLACKOUT
        end = pile.plan(now, rate, until, not blocked, hold_code)
        run.check_progress(now, end)
        held = pile.held_next() if stalled else (-1, 0.0)
        yield env.timeout(end - now)
        used = pile.advance(now, end, rate)
        if end > now:
            # what this regime costs the schedule, and what held it (driver attribution)
            if stalled:
                r.delay_causes.append((held[0], held[1], end - now))
            elif suspended:
                r.delay_causes.append((HELD_BY_SUSPENSION, now, end - now))
            elif p == 0:
                r.delay_causes.append((HELD_BY_SITE_ATTACK, now, end - now))
            else:
                if base < 1:
                    r.delay_causes.append((HELD_BY_BLACKOUT_WORK, now, (1 - base) * (end - now)))
                if p < base:
                    r.delay_causes.append((HELD_BY_SUSPENSION, now, (base - p) * (end - now)))
        progress = plan.planned_days if end >= t_done else progress + used / need
        if stalled:
            r.material_stall_days += end - now
        elif suspended:
            r.suspended_build_days += end - now
            if end > now:
                r.suspended_build_spans.append((now, end))
        elif p == 0:
            r.standdown_days += end - now
        if (stalled or (p == 0 and not suspended)) and end > now:
            r.stall_spans.append((now, end))
    r.finish = env.now


def _operate(
    env: simpy.Environment, run: Run, plan: OperationsPlan, ramped: bool
) -> Generator[simpy.Event, Any, None]:
    """Operations to the horizon: one compiled step (:func:`kernels.operate_step`) per regime."""
    r = run.result
    pile = run.piles["consumables"]
    used_flags = (_OPS_STANDDOWN, _EXPORT_CLOSED, _SUSPENDED, _REMOB)
    timeline = run.phase_timeline(
        (*used_flags, _BLOCKED) if plan.dispatch_needs_comms else used_flags
    )
    bounds = np.array(timeline.bounds, dtype=np.float64)
    masks = np.array(timeline.masks, dtype=np.int64)
    load = min(plan.convoy_t, plan.storage_days * plan.output_t_per_day)  # a road export convoy
    par = np.zeros(kern.N_OPS_PARAMS)
    par[kern.P_OUTPUT] = plan.output_t_per_day
    par[kern.P_CONSUMABLES] = plan.consumables_t_per_day
    par[kern.P_CAP] = plan.storage_days * plan.output_t_per_day
    par[kern.P_RAIL] = plan.export_mode == "rail"
    par[kern.P_TRAIN_RATE] = plan.trains_per_day * plan.train_t
    par[kern.P_SURGE_RATE] = plan.surge_t_per_day
    par[kern.P_PRICE] = plan.price_usd_per_t
    par[kern.P_RHO] = daily_rate(plan.discount_rate)
    par[kern.P_LOAD] = load
    par[kern.P_RAMPED] = ramped
    par[kern.P_FIRST] = env.now
    par[kern.P_RAMP_DAYS] = plan.ramp_up_days
    par[kern.P_RAMP_STEP] = _RAMP_STEP_DAYS
    par[kern.P_END] = plan.end
    par[kern.P_COMMS] = plan.dispatch_needs_comms
    ost = np.zeros(kern.N_OPS_SLOTS)
    flows = np.zeros((64, 3))
    lost = np.zeros((64, 5))
    # road export convoys: each carries a load out of what is produced, so this many suffice;
    # their trips are worked out together at the end (they change nothing but storage)
    rail = plan.export_mode == "rail"
    # (none when construction ends past the horizon)
    days = max(0.0, plan.end - env.now)
    n_departs = 0 if rail else math.ceil(plan.output_t_per_day * days / load) + 64
    departs = np.zeros(n_departs)
    step, done, n_flows, n_lost = kern.operate_step, kern.OPS_DONE, kern.O_N_FLOWS, kern.O_N_LOST
    floats, ints, allow, inbound = run.floats, run.ints, run.road_mask, run.inbound_route
    port, site, st, pend, route = run.port, run.site, pile.st, pile.pend, run.export_route
    timeout = env.timeout
    while True:
        now = env.now
        if ost[n_flows] + 1 >= len(flows):
            flows = np.concatenate([flows, np.zeros_like(flows)])
        if ost[n_lost] + 1 >= len(lost):
            lost = np.concatenate([lost, np.zeros_like(lost)])
        end = step(
            floats, ints, allow, inbound, port, site, st, pend, bounds, masks, route, par, ost,
            flows, departs, lost, now,
        )  # fmt: skip
        if end == done:
            break
        if end > now:
            run.still = 0
        else:
            run.check_progress(now, end)
        yield timeout(end - now)
    r.produced_t += ost[kern.O_PRODUCED]
    r.potential_t += ost[kern.O_POTENTIAL]
    # a stretch that does not follow the previous one starts a new run of shortfall: "held by
    # nothing" (a stock still rebuilding) refers only to the disruption just before it
    prev = -math.inf
    for h, u, t, a, b in lost[: int(ost[kern.O_N_LOST])].tolist():
        r.lost_causes.append((int(h), float(u), float(t), a <= prev + 1e-9))
        prev = b
    r.idle_days += ost[kern.O_IDLE]
    r.exported_t += ost[kern.O_EXPORTED]
    r.export_pv_usd += ost[kern.O_EXPORT_PV]
    r.storage_t = float(ost[kern.O_STORAGE])
    n_departed = int(ost[kern.O_N_DEPARTS])
    if n_departed:
        _export_convoys(run, plan, departs[:n_departed], load)
    flows = flows[: int(ost[kern.O_N_FLOWS])]
    years = np.asarray(plan.year_starts, dtype=np.float64)
    if len(years) and len(flows):
        t0, t1, rate = flows[:, 0], flows[:, 1], flows[:, 2]
        # tonnes of each flow piece that fall in each calendar year
        ends = np.append(years[1:], np.inf)
        overlap = np.minimum(t1[:, None], ends) - np.maximum(t0[:, None], years)
        r.exported_by_year += (np.clip(overlap, 0.0, None) * rate[:, None]).sum(axis=0)
    if rail and len(flows):
        _rail_losses(run, plan, flows)


def _export_convoys(
    run: Run, plan: OperationsPlan, departs: NDArray[np.float64], load: float
) -> None:
    """Road convoys of ``load`` tonnes of concentrate leaving the site on days ``departs``."""
    if not len(departs):
        return
    _, waited, km, hits, hit_seg, hit_day = ship_many_packed(
        run.floats, run.ints, run.road_mask, run.export_route, run.site, run.port, departs
    )
    r = run.result
    delivered = load * (1.0 - plan.convoy_loss_share) ** hits
    for k in np.flatnonzero(hits > 0).tolist():
        # cargo destroyed on the way, booked to the first attack that hit the convoy
        r.export_hits.append((float(hit_day[k]), int(hit_seg[k]), float(load - delivered[k])))
    r.exported_t += float(delivered.sum())
    r.export_lost_t += float((load - delivered).sum())
    _book_by_year(r, plan, departs, np.asarray(delivered, dtype=np.float64))
    rho = daily_rate(plan.discount_rate)
    r.export_pv_usd += plan.price_usd_per_t * float((delivered * np.exp(-rho * departs)).sum())
    r.convoys += len(departs)
    r.convoys_pv += float(np.exp(-rho * departs).sum())
    r.convoy_losses += int((hits > 0).sum())
    detour = km - run.export_km
    r.detour_tkm += load * float(detour.sum())
    r.detour_pv_tkm += load * float((detour * np.exp(-rho * departs)).sum())
    r.convoys_delayed += int(((waited > 0) | (detour != 0)).sum())
    r.convoy_wait_days += float(waited.sum())


def _book_by_year(
    r: ProjectResult, plan: OperationsPlan, days: NDArray[np.float64], tonnes: NDArray[np.float64]
) -> None:
    """Add ``tonnes`` exported on ``days`` to their calendar years."""
    if len(plan.year_starts):
        k = np.searchsorted(np.asarray(plan.year_starts), days, side="right") - 1
        ok = k >= 0
        np.add.at(r.exported_by_year, k[ok], tonnes[ok])


def _rail_losses(run: Run, plan: OperationsPlan, flows: NDArray[np.float64]) -> None:
    """Concentrate destroyed by attacks on the rail export route, from the export flow.

    ``flows`` has a row ``(from, to, tonnes a day)`` per piece of the flow.
    """
    r = run.result
    att = run.hazard.attacks
    hits = kern.rail_hits(run.export_route, run.arrays.days, att.ptr, att.start, flows)
    for tau, seg, met in zip(*(h.tolist() for h in hits), strict=True):
        lost = plan.convoy_loss_share * met
        r.export_hits.append((tau, seg, lost))
        r.exported_t -= lost
        r.export_lost_t += lost
        _book_by_year(r, plan, np.array([tau]), np.array([-lost]))
        r.export_pv_usd -= plan.price_usd_per_t * lost * present_value(plan.discount_rate, tau)
        r.convoy_losses += 1


def simulate_project(
    hazard: Hazard,
    construction: ConstructionPlan | None,
    operations: OperationsPlan | None,
) -> ProjectResult:
    """Run one project for one replication: construction (if any), then operations (if any).

    Parameters
    ----------
    hazard : Hazard
        The replication's closures, attack days and site schedule
        (:meth:`Hazard.none` for the plan).
    construction, operations : plans or None
        At least one. An operating mine (no construction) operates from day 0.

    Returns
    -------
    ProjectResult
    """
    base = construction or operations
    if base is None:
        raise ValueError("a project needs a construction or an operations plan")
    net = hazard.network
    sched = hazard.schedule
    flags: dict[int, Sequence[tuple[float, float]]] = {
        _STANDDOWN: sched.standdowns,
        _BLACKOUT: sched.site_blackouts,
        _BLOCKED: sched.dispatch_blocked,
        _OPS_STANDDOWN: sched.standdowns if sched.ops_standdowns is None else sched.ops_standdowns,
        _SUSPENDED: sched.suspended,
        _REMOB: sched.remobilizing,
    }
    if operations is not None:
        # rail: the flow stops while any segment of the export route is closed;
        # road: convoys wait at the site (in storage) while its first segment is closed
        # and no open detour exists (with one, they reroute)
        mode = operations.export_mode
        route = np.array(
            net._route(operations.site, operations.port, (mode,)).segments, dtype=np.int64
        )
        c = hazard.closures
        if mode == "rail":
            flags[_EXPORT_CLOSED] = [
                (float(c.start[i]), float(c.end[i]))
                for j in set(route.tolist())
                for i in range(c.ptr[j], c.ptr[j + 1])
            ]
        else:
            floats, ints = hazard.packed()
            starts, ends = held_at_source_packed(
                floats, ints, net.road, route, operations.site, operations.port
            )
            flags[_EXPORT_CLOSED] = list(zip(starts.tolist(), ends.tolist(), strict=True))
    run = Run(hazard, net.arrays, base.port, base.site, flags)
    if operations is not None:
        run.export_route = route
        if mode == "road":
            run.export_km = float(net.km[run.export_route].sum())
    env = simpy.Environment(initial_time=construction.start if construction else 0.0)

    rho = daily_rate(operations.discount_rate) if operations else 0.0
    if operations is not None:
        run.result.exported_by_year = np.zeros(len(operations.year_starts))

    def stockpile(
        need: float, buffer_days: float, plan: ConstructionPlan | OperationsPlan
    ) -> Stockpile:
        # full at the buffer; the base-stock level adds the need over the planned trip,
        # and is at least one convoy load: a convoy leaves when the position falls a load
        # below the level, so a smaller level would never send one (the stock then runs
        # out and waits for each convoy)
        initial = buffer_days * need
        level = max(initial + need * run.inbound_lead, plan.convoy_t)
        return Stockpile(run, initial, level, plan.convoy_t, plan.convoy_loss_share, rho)

    def project() -> Generator[simpy.Event, Any, None]:
        if construction is not None:
            c = construction
            run.piles["material"] = stockpile(c.need_t_per_day, c.site_buffer_days, c)
            yield env.process(_construct(env, run, construction))
        if operations is not None:
            o = operations
            run.piles["consumables"] = stockpile(
                o.consumables_t_per_day, o.consumables_buffer_days, o
            )
            yield env.process(_operate(env, run, operations, construction is not None))

    done = env.process(project())
    steps = 0
    while not done.processed:
        env.step()
        steps += 1
    result = run.result
    result.simpy_events = steps
    first_day = construction.start if construction else 0.0
    last_day = operations.end if operations else result.finish
    blackouts = run.phase_timeline((_BLACKOUT,))
    result.blackout_days = blackouts.time_with(_BLACKOUT, first_day, last_day)
    result.stockpiles = {name: pile.summary() for name, pile in run.piles.items()}
    for name, pile in result.stockpiles.items():
        result.convoys += int(pile["convoys"])
        result.convoys_pv += pile["convoys_pv"]
        result.convoy_losses += int(pile["convoy_losses"])
        result.convoys_delayed += int(pile["convoys_delayed"])
        result.convoy_wait_days += pile["convoy_wait_days"]
        result.detour_tkm += pile["detour_tkm"]
        result.detour_pv_tkm += pile["detour_pv_tkm"]
        if name == "material":
            result.build_detour_tkm = pile["detour_tkm"]
    return result
