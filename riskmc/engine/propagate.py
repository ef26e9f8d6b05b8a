"""One chunk of replications: sample its hazard, run each project's supply chain.

This is the unit of work of every backend (:func:`simulate_chunk`). Its
outcome rows depend only on the scenario, the seed and the replication
indices, never on how the replications were split into chunks or where the
chunk ran.

What is built so far: the construction phase. For each project with a
``construction`` block, the outcome row holds the first-production date and
the delay against the plan (the same model with no hazard), the stalled days,
the site blackout days, the attacks to which the project is exposed, the
convoys delayed and hit, and a partial capex overrun (see
:data:`OUTCOME_COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from riskmc.hazard.sample import HazardSample, sample_hazard
from riskmc.network import Closures, CorridorNetwork
from riskmc.scenario.distributions import param_mean
from riskmc.scenario.schema import Project, Scenario
from riskmc.supply.construction import ConstructionPlan, simulate_construction
from riskmc.supply.project import (
    attack_closures,
    construction_plan,
    district_of,
    exposure_districts,
    replication_closures,
    site_schedule,
)

__all__ = ["METRICS", "OUTCOME_COLUMNS", "ChunkModel", "simulate_chunk"]

#: Columns of ``SimulationResult.outcomes`` and what they mean.
OUTCOME_COLUMNS = {
    "replication": "replication index",
    "project": "project name",
    "first_production": "date the planned construction work is done",
    "delay_days": "first production minus the plan's [days]",
    "stall_days": "days the site stood idle: empty stockpile or stand-down [days]",
    "site_blackout_days": "days the site's district was blacked out during construction",
    "attacks": "attacks over the horizon in the districts of the site and its routes",
    "convoys_delayed": "convoys that waited for a closure or took a detour",
    "convoy_losses": "convoys hit by an attack on their segment",
    "capex_overrun_usd": "standby x stall days + (overhead + interest) x delay days "
    "+ transport on detours [USD]; damage and escorts not included yet",
}
#: The numeric outcome columns that ``summary()`` reports.
METRICS = ("delay_days", "stall_days", "capex_overrun_usd", "site_blackout_days", "attacks")


class _Build(NamedTuple):
    """What a project under construction needs, worked out once per simulation."""

    project: Project
    standdown_days: float
    site_district: int | None
    port_district: int | None
    exposure: NDArray[np.int64]


class ChunkModel:
    """A scenario made ready to simulate chunks of replications.

    Building it costs the per-scenario work once (network, routes, exposure,
    plan runs); :meth:`run` then simulates any range of replications.

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
        self.network = CorridorNetwork.from_scenario(scenario)
        self.builds = [
            _Build(
                project=p,
                standdown_days=param_mean(p.construction.site_attack_standdown_days),
                site_district=district_of(scenario, p.site),
                port_district=district_of(scenario, p.port),
                exposure=np.array(
                    sorted(exposure_districts(scenario, p, self.network)), dtype=np.int64
                ),
            )
            for p in scenario.projects
            if p.construction is not None
        ]
        self._plans: dict[ConstructionPlan, float] = {}

    def run(self, seed: int, first: int, stop: int) -> pd.DataFrame:
        """Outcome rows of replications ``first .. stop - 1``, in (replication, project) order."""
        hazard = sample_hazard(self.scenario, range(first, stop), seed=seed, pieces=True)
        rows = self._propagate(hazard)
        return pd.DataFrame(rows, columns=list(OUTCOME_COLUMNS))

    def _plan_finish(self, plan: ConstructionPlan) -> float:
        if plan not in self._plans:
            none = Closures.none(len(self.network.segments))
            self._plans[plan] = simulate_construction(plan, self.network, none).finish
        return self._plans[plan]

    def _propagate(self, hazard: HazardSample) -> list[tuple[object, ...]]:
        scenario, network = self.scenario, self.network
        rows: list[tuple[object, ...]] = []
        for rep in hazard.replications:
            events = hazard.replication(int(rep))
            closures = replication_closures(network, events)
            hits = attack_closures(events)
            for build in self.builds:
                project = build.project
                plan = construction_plan(scenario, project, network, hazard, events.theta)
                sched = site_schedule(
                    build.site_district, build.port_district, events, build.standdown_days
                )
                r = simulate_construction(plan, network, closures, sched, *hits)
                delay = r.finish - self._plan_finish(plan)
                stall = r.material_stall_days + r.standdown_days
                costs = project.costs
                overrun = (
                    param_mean(costs.standby_usd_per_day) * stall
                    + (
                        param_mean(costs.overhead_usd_per_day)
                        + param_mean(costs.interest_usd_per_day)
                    )
                    * delay
                    + param_mean(costs.transport_usd_per_tkm) * plan.convoy_t * r.detour_km
                )
                exposed = np.isin(events.attacks["district"], build.exposure)
                rows.append(
                    (
                        int(rep),
                        project.name,
                        scenario.start_date + timedelta(days=r.finish),
                        delay,
                        stall,
                        _blackout_days(sched.site_blackouts, plan.start, r.finish),
                        int(exposed.sum()),
                        r.convoys_delayed,
                        r.convoy_losses,
                        overrun,
                    )
                )
        return rows


def _blackout_days(spans: Sequence[tuple[float, float]], start: float, end: float) -> float:
    return float(sum(max(0.0, min(e, end) - max(s, start)) for s, e in spans))


def simulate_chunk(scenario: Scenario, seed: int, first: int, stop: int) -> pd.DataFrame:
    """Outcome rows of replications ``first .. stop - 1`` (builds a :class:`ChunkModel`)."""
    return ChunkModel(scenario).run(seed, first, stop)
