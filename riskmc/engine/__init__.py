"""Running replications: ``simulate`` and its result."""

from riskmc.engine.simulate import OUTCOME_COLUMNS, SimulationResult, simulate

__all__ = ["OUTCOME_COLUMNS", "SimulationResult", "simulate"]
