"""Supply chain: SimPy models of the mining projects, construction then operations."""

from riskmc.supply.construction import ConstructionResult, simulate_construction
from riskmc.supply.model import (
    ConstructionPlan,
    Hazard,
    OperationsPlan,
    ProjectResult,
    SiteSchedule,
    simulate_project,
)

__all__ = [
    "ConstructionPlan",
    "ConstructionResult",
    "Hazard",
    "OperationsPlan",
    "ProjectResult",
    "SiteSchedule",
    "simulate_construction",
    "simulate_project",
]
