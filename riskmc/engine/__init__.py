"""Running replications: ``simulate``, its result, and the chunk of work behind it."""

from riskmc.engine.checkpoint import ExecutionError, read_manifest
from riskmc.engine.propagate import (
    DRIVER_CAUSES,
    LOSS_CAUSES,
    METRICS,
    OUTCOME_COLUMNS,
    ChunkModel,
    district_column,
    loss_district_column,
    simulate_chunk,
)
from riskmc.engine.simulate import SimulationResult, simulate

__all__ = [
    "DRIVER_CAUSES",
    "LOSS_CAUSES",
    "METRICS",
    "OUTCOME_COLUMNS",
    "ChunkModel",
    "ExecutionError",
    "SimulationResult",
    "district_column",
    "loss_district_column",
    "read_manifest",
    "simulate",
    "simulate_chunk",
]
