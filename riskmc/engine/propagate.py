"""One chunk of replications: sample its hazard, run each project's supply chain.

This is the unit of work of every backend (:func:`simulate_chunk`). Its
outcome rows depend only on the scenario, the seed and the replication
indices, never on how the replications were split into chunks or where the
chunk ran.

For each project, each replication runs the project model
(:func:`riskmc.supply.model.simulate_project`: construction if any, then
operations to the horizon) under the replication's hazard, and once more with
no hazard (the plan, cached). Every outcome is measured against the plan.

Money (SPEC.md, "Costs")
    ``capex_overrun_usd`` (undiscounted) = standby x stalled days + (overhead
    + interest) x delay days + transport x detour tonne-km of construction
    convoys + damage of site attacks before first production. Each site
    attack's damage is the quantile of ``site_attack_damage_usd`` at the
    attack's uniform mark (so one replication's attacks differ).
    ``lost_revenue_usd`` = price x ``lost_output_t``.
    ``npv_loss_usd`` = the plan's export revenue minus the replication's, both
    discounted to the scenario's start at ``discount_rate`` (continuous, from
    the annual rate), plus every extra cost discounted at the day it is
    incurred: the capex overrun items, then, in operations, transport on
    detours and site-attack damage.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from riskmc.hazard.sample import HazardSample, sample_hazard
from riskmc.network import CorridorNetwork
from riskmc.network.compiled import isolated_days_packed
from riskmc.scenario.distributions import Param, param_quantile
from riskmc.scenario.schema import Project, Scenario
from riskmc.supply.model import (
    ConstructionPlan,
    Hazard,
    OperationsPlan,
    ProjectResult,
    present_value,
    simulate_project,
)
from riskmc.supply.project import (
    ProjectValues,
    construction_plan,
    district_of,
    exposure_districts,
    operations_plan,
    replication_hazard,
    site_attacks,
    site_schedule,
    standdown_days,
)

__all__ = ["METRICS", "OUTCOME_COLUMNS", "ChunkModel", "simulate_chunk"]

#: Columns of ``SimulationResult.outcomes`` and what they mean.
OUTCOME_COLUMNS = {
    "replication": "replication index",
    "project": "project name",
    "first_production": "date the construction work is done (empty for an operating mine)",
    "delay_days": "first production minus the plan's [days]",
    "stall_days": "construction days with the site idle: empty stockpile or stand-down [days]",
    "capex_overrun_usd": "standby x stall days + (overhead + interest) x delay days "
    "+ transport on construction detours + site-attack damage before first production [USD]",
    "lost_output_t": "planned minus actual output exported within the horizon, "
    "net of cargo destroyed [t]",
    "lost_revenue_usd": "price x lost_output_t [USD, undiscounted]",
    "npv_loss_usd": "discounted revenue shortfall against the plan plus discounted extra "
    "costs [USD at the scenario start]",
    "site_isolated_days": "days with no open road path between the port and the site [days]",
    "site_blackout_days": "days the site's district was blacked out [days]",
    "attacks": "attacks over the horizon in the districts of the site and its routes",
    "convoys_delayed": "convoys that waited for a closure or took a detour",
    "convoy_losses": "convoys and trains hit by an attack on their segment",
}
#: The numeric outcome columns that ``summary()`` reports.
METRICS = (
    "delay_days",
    "stall_days",
    "capex_overrun_usd",
    "lost_output_t",
    "lost_revenue_usd",
    "npv_loss_usd",
    "site_isolated_days",
    "site_blackout_days",
    "attacks",
)


class _Build(NamedTuple):
    """What a project needs, worked out once per simulation."""

    project: Project
    standdowns: tuple[float, float]
    site_district: int | None
    port_district: int | None
    exposure: NDArray[np.int64]
    start: float
    road_plan: NDArray[np.int64]


class ChunkModel:
    """A scenario made ready to simulate chunks of replications.

    Building it costs the per-scenario work once (network, routes, exposure);
    :meth:`run` then simulates any range of replications. Plan runs are
    cached by plan.

    Examples
    --------
    >>> from riskmc.scenario import load_scenario, shipped_scenarios
    >>> model = ChunkModel(load_scenario(shipped_scenarios()["tiny.yaml"]))
    >>> rows = model.run(seed=1, first=0, stop=2)
    >>> list(rows["replication"])
    [0, 1]
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.network = net = CorridorNetwork.from_scenario(scenario)
        self.builds = []
        for p in scenario.projects:
            port, site = net.index(p.port), net.index(p.site)
            path = net.fastest_path(port, site)
            self.builds.append(
                _Build(
                    project=p,
                    standdowns=standdown_days(p),
                    site_district=district_of(scenario, p.site),
                    port_district=district_of(scenario, p.port),
                    exposure=np.array(sorted(exposure_districts(scenario, p, net)), dtype=np.int64),
                    start=scenario.day_of(p.construction.start) if p.construction else 0.0,
                    road_plan=np.array(path.segments if path else (), dtype=np.int64),
                )
            )
        self._plans: dict[tuple[ConstructionPlan | None, OperationsPlan], ProjectResult] = {}
        #: SimPy events processed by :meth:`propagate` so far (plans excluded).
        self.simpy_events = 0

    def run(self, seed: int, first: int, stop: int) -> pd.DataFrame:
        """Outcome rows of replications ``first .. stop - 1``, in (replication, project) order."""
        hazard = sample_hazard(self.scenario, range(first, stop), seed=seed, pieces=True)
        rows = self.propagate(hazard)
        frame = pd.DataFrame(rows, columns=list(OUTCOME_COLUMNS))
        return frame.astype({"replication": np.int64, "attacks": np.int64})

    def _plan(self, build: ConstructionPlan | None, ops: OperationsPlan) -> ProjectResult:
        key = (build, ops)
        if key not in self._plans:
            self._plans[key] = simulate_project(Hazard.none(self.network), build, ops)
        return self._plans[key]

    def propagate(self, hazard: HazardSample) -> list[tuple[object, ...]]:
        """Outcome rows of the replications of a hazard sample (taken with ``pieces=True``).

        Adds the SimPy events processed to :attr:`simpy_events`.
        """
        scenario, net = self.scenario, self.network
        horizon = scenario.horizon_days
        rows: list[tuple[object, ...]] = []
        for rep in hazard.replications:
            events = hazard.replication(int(rep))
            for b in self.builds:
                p = b.project
                cplan = (
                    construction_plan(scenario, p, net, hazard, events.theta)
                    if p.construction
                    else None
                )
                oplan = operations_plan(scenario, p, net, hazard, events.theta)
                sched = site_schedule(b.site_district, b.port_district, events, b.standdowns)
                rh = replication_hazard(net, events, sched)
                r = simulate_project(rh, cplan, oplan)
                self.simpy_events += r.simpy_events
                plan = self._plan(cplan, oplan)
                money = _money(p, ProjectValues(p, hazard, events.theta), r, plan, oplan)
                attacks = events.attacks
                site_hits = site_attacks(b.site_district, events)
                damage = _damage(p.costs.site_attack_damage_usd, site_hits, r.finish, oplan)
                iso = isolated_days_packed(
                    *rh.packed(),
                    net.road,
                    b.road_plan,
                    cplan.port if cplan else oplan.port,
                    cplan.site if cplan else oplan.site,
                    b.start,
                    horizon,
                )
                lost_t = plan.exported_t - r.exported_t
                delay = r.finish - plan.finish if cplan else 0.0
                rows.append(
                    (
                        int(rep),
                        p.name,
                        scenario.start_date + timedelta(days=r.finish) if cplan else None,
                        delay,
                        r.material_stall_days + r.standdown_days,
                        money.capex + damage.capex,
                        lost_t,
                        oplan.price_usd_per_t * lost_t,
                        money.npv + damage.pv,
                        iso,
                        r.blackout_days,
                        int(np.isin(attacks["district"], b.exposure).sum()),
                        r.convoys_delayed,
                        r.convoy_losses,
                    )
                )
        return rows


class _Money(NamedTuple):
    capex: float
    npv: float


def _money(
    project: Project,
    value: ProjectValues,
    r: ProjectResult,
    plan: ProjectResult,
    ops: OperationsPlan,
) -> _Money:
    """Capex overrun and NPV loss of one run against its plan (before attack damage)."""
    c = project.costs
    standby = value("costs.standby_usd_per_day", c.standby_usd_per_day)
    carry = value("costs.overhead_usd_per_day", c.overhead_usd_per_day) + value(
        "costs.interest_usd_per_day", c.interest_usd_per_day
    )
    tkm = value("costs.transport_usd_per_tkm", c.transport_usd_per_tkm)
    rate = ops.discount_rate
    stall = r.material_stall_days + r.standdown_days
    delay = r.finish - plan.finish if not math.isnan(r.finish) else 0.0
    capex = standby * stall + carry * delay + tkm * r.build_detour_tkm
    pv = standby * sum(present_value(rate, a, b) for a, b in r.stall_spans)
    if delay > 0:
        pv += carry * present_value(rate, plan.finish, r.finish)
    elif delay < 0:
        pv -= carry * present_value(rate, r.finish, plan.finish)
    pv += tkm * r.detour_pv_tkm
    pv += plan.export_pv_usd - r.export_pv_usd
    return _Money(capex, pv)


class _Damage(NamedTuple):
    capex: float
    pv: float


def _damage(amount: Param, hits: np.ndarray, finish: float, ops: OperationsPlan) -> _Damage:
    """Damage of site attacks: before first production (capex) and all of it discounted."""
    capex = pv = 0.0
    built = finish if not math.isnan(finish) else -math.inf
    for day, mark in zip(hits["day"], hits["mark"], strict=True):
        usd = param_quantile(amount, float(mark))
        if day < built:
            capex += usd
        pv += usd * present_value(ops.discount_rate, float(day))
    return _Damage(capex, pv)


def simulate_chunk(scenario: Scenario, seed: int, first: int, stop: int) -> pd.DataFrame:
    """Outcome rows of replications ``first .. stop - 1`` (builds a :class:`ChunkModel`)."""
    return ChunkModel(scenario).run(seed, first, stop)
