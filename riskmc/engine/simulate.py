"""``simulate``: hazard, then each project's supply chain, one row per (replication, project).

What is built so far: the construction phase. For each project with a
``construction`` block, the outcome row holds the first-production date and
the delay against the plan (the same model with no hazard), the stalled days,
the site blackout days, the attacks to which the project is exposed, the
convoys delayed and hit, and a partial capex overrun (see
:data:`OUTCOME_COLUMNS`). Operations (production, exports, lost output and
revenue, NPV) are not built yet; operating projects have no row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from riskmc.analysis.summary import summarize
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

__all__ = ["OUTCOME_COLUMNS", "SimulationResult", "simulate"]

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
METRICS = ("delay_days", "stall_days", "capex_overrun_usd", "site_blackout_days", "attacks")


@dataclass(frozen=True)
class SimulationResult:
    """Outcomes of a simulation: one row per (replication, project)."""

    scenario: Scenario
    seed: int
    outcomes: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Mean, P10, P50, P80, P90, P95, P99 of each metric per project, with errors."""
        return summarize(self.outcomes, METRICS)

    @cached_property
    def n_replications(self) -> int:
        return int(self.outcomes["replication"].nunique())


def _blackout_days(spans: Sequence[tuple[float, float]], start: float, end: float) -> float:
    return float(sum(max(0.0, min(e, end) - max(s, start)) for s, e in spans))


def simulate(
    scenario: Scenario, replications: int = 1000, seed: int = 0, *, chunk_size: int = 256
) -> SimulationResult:
    """Simulate ``replications`` replications of a scenario.

    Parameters
    ----------
    scenario : Scenario
    replications : int
        Number of replications, ``0 .. replications - 1``.
    seed : int
        Seed of every random stream; the same seed gives the same outcomes.
    chunk_size : int
        Replications whose hazard is held in memory at once; the outcomes do
        not depend on it.

    Returns
    -------
    SimulationResult
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    network = CorridorNetwork.from_scenario(scenario)
    builds = [
        _Build(
            project=p,
            standdown_days=param_mean(p.construction.site_attack_standdown_days),
            site_district=district_of(scenario, p.site),
            port_district=district_of(scenario, p.port),
            exposure=np.array(sorted(exposure_districts(scenario, p, network)), dtype=np.int64),
        )
        for p in scenario.projects
        if p.construction is not None
    ]
    plans: dict[ConstructionPlan, float] = {}
    rows: list[tuple[object, ...]] = []
    for first in range(0, replications, chunk_size):
        chunk = range(first, min(first + chunk_size, replications))
        hazard = sample_hazard(scenario, chunk, seed=seed, pieces=True)
        rows += _propagate(scenario, hazard, network, builds, plans)
    outcomes = pd.DataFrame(rows, columns=list(OUTCOME_COLUMNS))
    return SimulationResult(scenario=scenario, seed=seed, outcomes=outcomes)


class _Build(NamedTuple):
    """What a project under construction needs, worked out once per simulation."""

    project: Project
    standdown_days: float
    site_district: int | None
    port_district: int | None
    exposure: NDArray[np.int64]


def _propagate(
    scenario: Scenario,
    hazard: HazardSample,
    network: CorridorNetwork,
    builds: list[_Build],
    plans: dict[ConstructionPlan, float],
) -> list[tuple[object, ...]]:
    """Outcome rows of the replications of one hazard sample."""
    rows: list[tuple[object, ...]] = []
    for rep in hazard.replications:
        events = hazard.replication(int(rep))
        closures = replication_closures(network, events)
        hits = attack_closures(events)
        for build in builds:
            project = build.project
            plan = construction_plan(scenario, project, network, hazard, events.theta)
            if plan not in plans:
                plans[plan] = simulate_construction(
                    plan, network, Closures.none(len(network.segments))
                ).finish
            sched = site_schedule(
                build.site_district, build.port_district, events, build.standdown_days
            )
            r = simulate_construction(plan, network, closures, sched, *hits)
            delay = r.finish - plans[plan]
            stall = r.material_stall_days + r.standdown_days
            costs = project.costs
            overrun = (
                param_mean(costs.standby_usd_per_day) * stall
                + (param_mean(costs.overhead_usd_per_day) + param_mean(costs.interest_usd_per_day))
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
