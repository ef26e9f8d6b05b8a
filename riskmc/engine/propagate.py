"""One chunk of replications: sample its hazard, run each project's supply chain.

This is the unit of work of every backend (:func:`simulate_chunk`). Its
outcome rows depend only on the scenario, the seed and the replication
indices, never on how the replications were split into chunks or where the
chunk ran.

For each project, each replication runs the project model
(:func:`riskmc.supply.model.simulate_project`: construction if any, then
operations to the horizon) under the replication's hazard, and once more with
no hazard (the plan, cached). Every outcome is measured against the plan.

Where each part lives, by engine:

- both: the outcome table's columns and types (:mod:`riskmc.engine.outcomes`),
  the per-scenario preparation (:mod:`riskmc.engine.prepared`), the covers
  (:mod:`riskmc.engine.cover`);
- the SimPy engine, the readable reference: :mod:`riskmc.engine.simpy_engine`
  (the replication loop, the attribution of delay and lost output) and
  :mod:`riskmc.engine.simpy_money` (money and debt, SPEC.md "Costs");
- the compiled engine: :mod:`riskmc.engine.compiled` (its Python side; its
  kernels are :mod:`riskmc.supply.compiled`).

:class:`ChunkModel` runs a chunk with either. The names of these modules stay
importable from here.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

from riskmc.engine.cover import debt_years
from riskmc.engine.outcomes import (
    DATE_DTYPE,
    DRIVER_CAUSES,
    INTEGER_COLUMNS,
    LOSS_CAUSES,
    METRICS,
    OUTCOME_COLUMNS,
    district_column,
    driver_districts,
    loss_district_column,
    outcome_frame,
    outcome_schema,
    project_dtype,
)
from riskmc.engine.simpy_engine import SimpyModel
from riskmc.engine.simpy_money import Money, debt_shortfalls, money
from riskmc.hazard.sample import sample_hazard
from riskmc.network.compiled import isolated_days_packed
from riskmc.scenario.schema import Scenario
from riskmc.supply.model import Hazard
from riskmc.supply.project import construction_plan, operations_plan

if TYPE_CHECKING:
    from riskmc.engine.compiled import CompiledModel

__all__ = [
    "DATE_DTYPE",
    "DRIVER_CAUSES",
    "ENGINES",
    "INTEGER_COLUMNS",
    "LOSS_CAUSES",
    "METRICS",
    "OUTCOME_COLUMNS",
    "ChunkModel",
    "Money",
    "debt_shortfalls",
    "debt_years",
    "district_column",
    "driver_districts",
    "loss_district_column",
    "money",
    "outcome_frame",
    "outcome_schema",
    "project_dtype",
    "simulate_chunk",
]

#: The engines that run the project models: the compiled state machine, and the SimPy
#: model (the readable reference). They give the same outcomes (SPEC 3c).
ENGINES = ("compiled", "simpy")


class ChunkModel(SimpyModel):
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

    def __init__(
        self, scenario: Scenario, threads: int | None = None, engine: str = "compiled"
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        #: Which project model runs the replications (:data:`ENGINES`).
        self.engine = engine
        #: Numba threads of the hazard sampler (None: every core); 1 in pool workers.
        self.threads = threads
        super().__init__(scenario)

    @cached_property
    def compiled(self) -> CompiledModel:
        """The compiled engine's arrays of this scenario (built when first needed)."""
        from riskmc.engine.compiled import CompiledModel

        return CompiledModel(self)

    def warm_hazard(self) -> None:
        """Compile (or load from the Numba cache) the hazard kernels: one replication."""
        sample_hazard(self.scenario, range(0, 1), seed=0, pieces=True, threads=self.threads)

    def warm_supply(self) -> None:
        """Compile (or load) the supply kernels: each project's plan, and the isolation sweep.

        Needs no hazard sample, so it can run beside :meth:`warm_hazard`. With the
        compiled engine, its chunk kernel too (on no replication).
        """
        if self.engine == "compiled":
            self.compiled.run(
                sample_hazard(self.scenario, range(0, 0), seed=0, pieces=True, threads=1)
            )
        net = self.network
        none = Hazard.none(net)
        for b in self.builds:
            p = b.project
            build = construction_plan(self.scenario, p, net) if p.construction else None
            ops = operations_plan(self.scenario, p, net)
            self._plan(build, ops)
            isolated_days_packed(
                *none.packed(), net.road, b.road_plan, ops.port, ops.site, 0.0, 1.0
            )

    def run(self, seed: int, first: int, stop: int) -> pd.DataFrame:
        """Outcome rows of replications ``first .. stop - 1``, in (replication, project) order."""
        hazard = sample_hazard(
            self.scenario, range(first, stop), seed=seed, pieces=True, threads=self.threads
        )
        if self.engine == "compiled":
            return self.compiled.run(hazard)  # typed as self.schema says
        return outcome_frame(self.propagate(hazard), self.schema)


def simulate_chunk(scenario: Scenario, seed: int, first: int, stop: int) -> pd.DataFrame:
    """Outcome rows of replications ``first .. stop - 1`` (builds a :class:`ChunkModel`)."""
    return ChunkModel(scenario).run(seed, first, stop)
