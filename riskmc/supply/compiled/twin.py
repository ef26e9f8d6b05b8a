""":func:`simulate_project`: the compiled project model behind the SimPy model's signature.

For tests and for readers who want to compare the two engines on one run;
the chunk engine (:mod:`riskmc.supply.compiled.chunk`) calls the kernels
directly, without these Python objects.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from riskmc.network import CorridorNetwork
from riskmc.supply import kernels as kern
from riskmc.supply.compiled import project as cp
from riskmc.supply.plans import (
    ConstructionPlan,
    Hazard,
    OperationsPlan,
    ProjectResult,
)

__all__ = ["plan_vector", "schedule_spans", "simulate_project"]


def plan_vector(
    network: CorridorNetwork,
    construction: ConstructionPlan | None,
    operations: OperationsPlan | None,
) -> NDArray[np.float64]:
    """The numbers of a project's plans as the compiled model reads them (slots ``P_*``)."""
    base = construction or operations
    if base is None:
        raise ValueError("a project needs a construction or an operations plan")
    v = np.full(cp.N_PLAN, np.nan)
    v[cp.P_HAS_BUILD] = construction is not None
    v[cp.P_HAS_OPS] = operations is not None
    v[cp.P_PORT], v[cp.P_SITE] = base.port, base.site
    v[cp.P_CONVOY_T] = base.convoy_t
    v[cp.P_LOSS_SHARE] = base.convoy_loss_share
    v[cp.P_COMMS] = base.dispatch_needs_comms
    route = network._route(base.port, base.site, ("road",)).segments
    v[cp.P_INBOUND_LEAD] = network.arrival_open(base.port, base.site, 0.25) - 0.25
    v[cp.P_KM_PLANNED] = float(network.km[np.array(route, dtype=np.int64)].sum())
    v[cp.P_DISCOUNT] = 0.0
    if construction is not None:
        c = construction
        v[cp.P_START] = c.start
        v[cp.P_PLANNED_DAYS] = c.planned_days
        v[cp.P_MATERIAL_T] = c.material_t
        v[cp.P_BUFFER_DAYS] = c.site_buffer_days
        v[cp.P_BLACKOUT_PROD] = c.blackout_productivity
    if operations is not None:
        o = operations
        v[cp.P_END] = o.end
        v[cp.P_OUTPUT] = o.output_t_per_day
        v[cp.P_CONSUMABLES] = o.consumables_t_per_day
        v[cp.P_CONS_BUFFER] = o.consumables_buffer_days
        v[cp.P_STORAGE_DAYS] = o.storage_days
        v[cp.P_RAIL] = o.export_mode == "rail"
        v[cp.P_TRAINS] = o.trains_per_day
        v[cp.P_SURGE] = math.nan if o.surge_trains_per_day is None else o.surge_trains_per_day
        v[cp.P_TRAIN_T] = o.train_t
        v[cp.P_RAMP_DAYS] = o.ramp_up_days
        v[cp.P_PRICE] = o.price_usd_per_t
        v[cp.P_DISCOUNT] = o.discount_rate
        export = network._route(o.site, o.port, (o.export_mode,)).segments
        v[cp.P_EXPORT_KM] = float(network.km[np.array(export, dtype=np.int64)].sum())
    return v


def schedule_spans(
    hazard: Hazard,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """A site schedule's spans with their flags (the SimPy model's timeline input)."""
    sched = hazard.schedule
    ops = sched.standdowns if sched.ops_standdowns is None else sched.ops_standdowns
    groups = (
        (kern.STANDDOWN, sched.standdowns),
        (kern.BLACKOUT, sched.site_blackouts),
        (kern.BLOCKED, sched.dispatch_blocked),
        (kern.OPS_STANDDOWN, ops),
        (kern.SUSPENDED, sched.suspended),
        (kern.REMOB, sched.remobilizing),
    )
    rows = [(float(s), float(e), flag) for flag, spans in groups for s, e in spans]
    return (
        np.array([r[0] for r in rows], dtype=np.float64),
        np.array([r[1] for r in rows], dtype=np.float64),
        np.array([r[2] for r in rows], dtype=np.int64),
    )


def simulate_project(
    hazard: Hazard,
    construction: ConstructionPlan | None,
    operations: OperationsPlan | None,
) -> ProjectResult:
    """:func:`riskmc.supply.simulate_project`, run by the compiled model.

    Fills the fields of :class:`~riskmc.supply.ProjectResult` that the
    outcomes read (not ``simpy_events``, ``stockpiles`` beyond the lost
    tonnes, or ``storage``'s tables).
    """
    net = hazard.network
    base = construction or operations
    assert base is not None
    vec = plan_vector(net, construction, operations)
    floats, ints = hazard.packed()
    inbound = np.array(net._route(base.port, base.site, ("road",)).segments, dtype=np.int64)
    if operations is not None:
        export = np.array(
            net._route(operations.site, operations.port, (operations.export_mode,)).segments,
            dtype=np.int64,
        )
        years = np.asarray(operations.year_starts, dtype=np.float64)
    else:
        export = np.zeros(0, dtype=np.int64)
        years = np.zeros(0)
    s, e, f = schedule_spans(hazard)
    out = cp.simulate_entry(
        floats, ints, net.road.copy(), inbound, export, vec, s, e, f, len(s), years
    )
    res, by_year, stall, n_stall, susp, n_susp, delay, n_delay, lost, n_lost, hits, n_hits = out
    r = ProjectResult(
        finish=float(res[cp.R_FINISH]),
        material_stall_days=float(res[cp.R_MAT_STALL]),
        standdown_days=float(res[cp.R_STANDDOWN]),
        suspended_build_days=float(res[cp.R_SUSP_BUILD]),
        blackout_days=float(res[cp.R_BLACKOUT_DAYS]),
        convoys=int(res[cp.R_CONVOYS]),
        convoys_pv=float(res[cp.R_CONVOYS_PV]),
        convoys_delayed=int(res[cp.R_DELAYED]),
        convoy_wait_days=float(res[cp.R_WAIT]),
        convoy_losses=int(res[cp.R_LOSSES]),
        detour_tkm=float(res[cp.R_DETOUR_TKM]),
        build_detour_tkm=float(res[cp.R_BUILD_DETOUR]),
        detour_pv_tkm=float(res[cp.R_DETOUR_PV]),
        produced_t=float(res[cp.R_PRODUCED]),
        exported_t=float(res[cp.R_EXPORTED]),
        export_pv_usd=float(res[cp.R_EXPORT_PV]),
        export_lost_t=float(res[cp.R_EXPORT_LOST]),
        idle_days=float(res[cp.R_IDLE]),
        storage_t=float(res[cp.R_STORAGE]),
        potential_t=float(res[cp.R_POTENTIAL]),
        exported_by_year=by_year,
    )
    r.stall_spans = [(float(a), float(b)) for a, b in stall[:n_stall]]
    r.suspended_build_spans = [(float(a), float(b)) for a, b in susp[:n_susp]]
    r.delay_causes = [(int(h), float(u), float(d)) for h, u, d in delay[:n_delay]]
    r.lost_causes = [(int(h), float(u), float(t), bool(a)) for h, u, t, a in lost[:n_lost]]
    r.export_hits = [(float(d), int(g), float(t)) for d, g, t in hits[:n_hits]]
    piles = {}
    if construction is not None:
        piles["material"] = {"lost_t": res[cp.R_MAT_LOST], "lost_pv_t": res[cp.R_MAT_LOST_PV]}
    if operations is not None:
        piles["consumables"] = {"lost_t": res[cp.R_CON_LOST], "lost_pv_t": res[cp.R_CON_LOST_PV]}
    r.stockpiles = {k: {n: float(x) for n, x in v.items()} for k, v in piles.items()}
    return r
