"""Running replications: ``simulate``, its result, and the chunk of work behind it."""

from riskmc.engine.propagate import METRICS, OUTCOME_COLUMNS, ChunkModel, simulate_chunk
from riskmc.engine.simulate import SimulationResult, simulate

__all__ = [
    "METRICS",
    "OUTCOME_COLUMNS",
    "ChunkModel",
    "SimulationResult",
    "simulate",
    "simulate_chunk",
]
