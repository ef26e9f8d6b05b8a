"""Running replications: ``simulate``, its result, and the chunk of work behind it."""

from riskmc.engine.propagate import (
    DRIVER_CAUSES,
    METRICS,
    OUTCOME_COLUMNS,
    ChunkModel,
    district_column,
    simulate_chunk,
)
from riskmc.engine.simulate import SimulationResult, simulate

__all__ = [
    "DRIVER_CAUSES",
    "METRICS",
    "OUTCOME_COLUMNS",
    "ChunkModel",
    "SimulationResult",
    "district_column",
    "simulate",
    "simulate_chunk",
]
