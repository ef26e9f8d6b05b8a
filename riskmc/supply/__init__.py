"""Supply chain: SimPy models of the mining projects (construction so far)."""

from riskmc.supply.construction import (
    ConstructionPlan,
    ConstructionResult,
    SiteSchedule,
    simulate_construction,
)

__all__ = ["ConstructionPlan", "ConstructionResult", "SiteSchedule", "simulate_construction"]
