"""``simulate``: hazard, then each project's supply chain, one row per (replication, project).

The work is done chunk by chunk by :class:`riskmc.engine.propagate.ChunkModel`;
see :data:`~riskmc.engine.propagate.OUTCOME_COLUMNS` for the columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from riskmc.analysis.summary import summarize
from riskmc.engine.propagate import METRICS, OUTCOME_COLUMNS, ChunkModel
from riskmc.scenario.schema import Scenario

__all__ = ["SimulationResult", "simulate"]


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
    model = ChunkModel(scenario)
    chunks = [
        model.run(seed, first, min(first + chunk_size, replications))
        for first in range(0, replications, chunk_size)
    ]
    outcomes = (
        pd.concat(chunks, ignore_index=True)
        if chunks
        else pd.DataFrame(columns=list(OUTCOME_COLUMNS))
    )
    return SimulationResult(scenario=scenario, seed=seed, outcomes=outcomes)
